"""Account actions: greeting, password reset, requests that needed a verified identity,
and handing off to a person. Thin adapters over `bot.dialogue.account` and the store."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import customer_id_of, last_text_with_intent, profile_store, reject, say, wants_to_stop
from bot.dialogue.account import (
    ACCOUNT_FIELDS,
    LOCKED,
    account_change_reply,
    account_field_from_text,
    ask_account_field,
    confirm_account_change,
    deletion_reply,
    greeting,
    newsletter_reply,
    password_reset_reply,
    payment_methods_reply,
    wants_unsubscribe,
)
from bot.profiles.store import ChangeResult, valid_account_value


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        customer_id = customer_id_of(tracker)
        say(dispatcher, greeting(profile_store().get_customer(customer_id) if customer_id else None))
        return []


class ActionPasswordReset(Action):
    def name(self) -> str:
        return "action_password_reset"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        email = tracker.get_slot("email")
        profile_store().request_password_reset(email)
        say(dispatcher, password_reset_reply(email))
        return []


class ActionResumeRequest(Action):
    """Carries out the request that waited for the identity check (slot `pending_request`)."""

    def name(self) -> str:
        return "action_resume_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        customer_id = customer_id_of(tracker)
        if customer_id is None:
            say(dispatcher, LOCKED)
            return [SlotSet("pending_request", None)]
        store = profile_store()
        request = tracker.get_slot("pending_request")
        if request == "newsletter":
            subscribe = not wants_unsubscribe(last_text_with_intent(tracker, {"newsletter_subscription"}))
            say(dispatcher, newsletter_reply(store.set_newsletter(customer_id, subscribe), subscribe))
        elif request == "delete_account":
            say(dispatcher, deletion_reply(store.request_deletion(customer_id)))
        elif request == "edit_account":
            return [SlotSet("pending_request", None), FollowupAction("account_form")]
        else:
            say(dispatcher, payment_methods_reply(store.payment_methods(customer_id)))
        return [SlotSet("pending_request", None)]


class ActionHandoff(Action):
    """Asks the desk to bring in a person; the desk owns queueing and what happens next.
    VIP customers are marked for priority."""

    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        customer_id = customer_id_of(tracker)
        customer = profile_store().get_customer(customer_id) if customer_id else None
        handoff = {"reason": "customer_request", "customer_id": customer_id,
                   "priority": "high" if customer and customer.tier == "vip" else "normal"}
        dispatcher.utter_message(
            text="I'll bring in a member of our team. People are here Monday-Friday 8 am-8 pm ET "
            "and Saturday 9 am-5 pm ET; everything you write here stays in this conversation.",
            json_message={"handoff": handoff},
        )
        return []


class ValidateAccountForm(FormValidationAction):
    def name(self) -> str:
        return "validate_account_form"

    async def extract_account_field(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "account_field" or tracker.get_slot("account_field"):
            return {}
        field = account_field_from_text(tracker.latest_message.get("text") or "")
        return {"account_field": field} if field else {}

    async def extract_account_value(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "account_value":
            return {}
        if wants_to_stop(tracker):
            return {}
        return {"account_value": (tracker.latest_message.get("text") or "").strip()}

    def validate_account_value(self, slot_value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if not valid_account_value(tracker.get_slot("account_field"), str(slot_value)):
            reject(dispatcher, account_change_reply(ChangeResult(False, "invalid_value")).text, "account_value")
            return {"account_value": None}
        return {"account_value": str(slot_value).strip()}


class ActionAskAccountField(Action):
    def name(self) -> str:
        return "action_ask_account_field"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        say(dispatcher, ask_account_field())
        return []


class ActionAskAccountValue(Action):
    def name(self) -> str:
        return "action_ask_account_value"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=f"What's the new {ACCOUNT_FIELDS[tracker.get_slot('account_field')]}?")
        return []


class ActionConfirmAccountChange(Action):
    def name(self) -> str:
        return "action_confirm_account_change"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        say(dispatcher, confirm_account_change(tracker.get_slot("account_field"),
                                               tracker.get_slot("account_value")))
        return []


class ActionUpdateAccount(Action):
    def name(self) -> str:
        return "action_update_account"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        customer_id = customer_id_of(tracker)
        if tracker.get_intent_of_latest_message() != "affirm" or customer_id is None:
            dispatcher.utter_message(text="Okay, your details stay as they are.")
        else:
            result = profile_store().update_account(customer_id, tracker.get_slot("account_field"),
                                                    tracker.get_slot("account_value"))
            say(dispatcher, account_change_reply(result))
        return [SlotSet("account_field", None), SlotSet("account_value", None)]
