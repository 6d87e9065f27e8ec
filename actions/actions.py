"""Rasa custom actions: thin adapters from the Rasa SDK to the logic in `bot.dialogue`."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.dialogue.replies import Reply, confirmation_reply, email_reply, order_reply
from bot.dialogue.values import parse_email, parse_order_id, unrecognised_answer


def _say(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)


def _extract_unrecognised(tracker: Tracker, slot: str) -> dict[str, Any]:
    if tracker.get_slot("requested_slot") != slot:
        return {}
    latest = tracker.latest_message
    text = unrecognised_answer(latest.get("intent", {}).get("name"), latest.get("entities", []),
                               slot, latest.get("text") or "")
    return {} if text is None else {slot: text}


def _last_text_with_intent(tracker: Tracker, intents: set[str]) -> str:
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("parse_data", {}).get("intent", {}).get(
            "name"
        ) in intents:
            return event.get("text") or ""
    return ""


class ValidateOrderForm(FormValidationAction):
    def name(self) -> str:
        return "validate_order_form"

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _extract_unrecognised(tracker, "order_id")

    def validate_order_id(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        order_id = parse_order_id(slot_value)
        if order_id is None:
            dispatcher.utter_message(
                text="That doesn't look like an order number: it has 4 to 8 digits, like #10482."
            )
        return {"order_id": order_id}


class ValidateEmailForm(FormValidationAction):
    def name(self) -> str:
        return "validate_email_form"

    async def extract_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _extract_unrecognised(tracker, "email")

    def validate_email(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        email = parse_email(slot_value)
        if email is None:
            dispatcher.utter_message(text="That doesn't look like an e-mail address, could you check it?")
        return {"email": email}


class ActionOrderRequest(Action):
    def name(self) -> str:
        return "action_order_request"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        reply = order_reply(tracker.get_slot("order_topic"), tracker.get_slot("order_id"))
        _say(dispatcher, reply)
        return [SlotSet("confirmation_pending", reply.asks_confirmation)]


class ActionResolveConfirmation(Action):
    def name(self) -> str:
        return "action_resolve_confirmation"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        confirmed = tracker.get_intent_of_latest_message() == "affirm"
        _say(
            dispatcher,
            confirmation_reply(tracker.get_slot("order_topic"), tracker.get_slot("order_id"), confirmed),
        )
        return [SlotSet("confirmation_pending", False)]


class ActionEmailRequest(Action):
    def name(self) -> str:
        return "action_email_request"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        request = _last_text_with_intent(tracker, {"newsletter_subscription", "recover_password"})
        _say(dispatcher, email_reply(tracker.get_slot("email_topic"), tracker.get_slot("email"), request))
        return []


class ActionDeleteAccount(Action):
    def name(self) -> str:
        return "action_delete_account"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text="Your deletion request is recorded. The account is closed after a 14-day grace "
            "period; sign in before then if you change your mind."
        )
        return []


class ActionHandoff(Action):
    """Asks the desk to bring in a person; the desk owns queueing and what happens next."""

    def name(self) -> str:
        return "action_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text="I'll bring in a member of our team. People are here Monday-Friday 8 am-8 pm ET "
            "and Saturday 9 am-5 pm ET; everything you write here stays in this conversation.",
            json_message={"handoff": {"reason": "customer_request"}},
        )
        return []
