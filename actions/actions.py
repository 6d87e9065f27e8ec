"""Rasa custom actions for forms and order requests: thin adapters over `bot.dialogue`
and the profile store. Identity: a customer signed in by the store (desk metadata), or
verified here with the e-mail on the account plus one of their order numbers."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    as_order_number,
    customer_id_of,
    last_text_with_intent,
    profile_store,
    reject,
    say,
    today,
    wants_to_stop,
)
from bot.dialogue.account import (
    ASK_ORDER_TO_VERIFY,
    LOCKED,
    MAX_VERIFICATION_ATTEMPTS,
    ask_email_to_verify,
    verification_failed,
)
from bot.dialogue.orders import CHANGEABLE, change_reply, likely_order_question, order_reply
from bot.dialogue.replies import Reply
from bot.dialogue.values import parse_email, parse_order_id, unrecognised_answer


def _extract_unrecognised(tracker: Tracker, slot: str) -> dict[str, Any]:
    if tracker.get_slot("requested_slot") != slot:
        return {}
    latest = tracker.latest_message
    text = unrecognised_answer(latest.get("intent", {}).get("name"), latest.get("entities", []),
                               slot, latest.get("text") or "")
    return {} if text is None else {slot: text}


def _well_formed_email(dispatcher: CollectingDispatcher, value: Any) -> str | None:
    email = parse_email(value)
    if email is None:
        reject(dispatcher, "That doesn't look like an e-mail address, could you check it?", "email")
    return email


def _attempts(tracker: Tracker) -> int:
    return int(tracker.get_slot("verification_attempts") or 0)


def _verify(dispatcher: CollectingDispatcher, tracker: Tracker, email: str, order_id: str) -> dict[str, Any]:
    """Check e-mail plus order number; on success link the conversation to the customer."""
    customer_id = profile_store().verify(email, int(order_id))
    if customer_id is None:
        attempts = _attempts(tracker) + 1
        dispatcher.utter_message(text=verification_failed(attempts))
        return {"email": None, "order_id": None, "verification_attempts": attempts}
    customer = profile_store().get_customer(customer_id)
    dispatcher.utter_message(text=f"Thanks, {customer.first_name}, you're verified.",
                             json_message={"verified_customer": customer_id})
    return {"email": email, "order_id": order_id, "verified_customer_id": customer_id}


class IdentityChecking:
    """Mixed into the order form's and the verify form's validation: asks for e-mail and an
    order number unless the customer is already known; stops after too many failed tries.
    (A mixin, because rasa-sdk registers every Action subclass as an action.)"""

    def slots_once_verified(self, tracker: Tracker) -> list[str]:
        return []

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        if customer_id_of(tracker):
            return self.slots_once_verified(tracker)
        if _attempts(tracker) >= MAX_VERIFICATION_ATTEMPTS:
            return []
        return ["email", "order_id"]

    async def extract_order_id(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        return _extract_unrecognised(tracker, "order_id")

    async def extract_email(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        return _extract_unrecognised(tracker, "email")

    def validate_email(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> dict[str, Any]:
        email = _well_formed_email(dispatcher, slot_value)
        if email is None:
            return {"email": None}
        order_id = parse_order_id(tracker.get_slot("order_id"))
        # When both arrive in one message, validate_order_id runs the check.
        if order_id and "order_id" not in tracker.slots_to_validate() and not customer_id_of(tracker):
            return _verify(dispatcher, tracker, email, order_id)
        return {"email": email}

    def validate_order_id(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> dict[str, Any]:
        order_id = parse_order_id(slot_value)
        if order_id is None:
            reject(dispatcher, "That doesn't look like an order number: it has 4 to 8 digits, like #10482.",
                   "order_id")
            return {"order_id": None}
        customer_id = customer_id_of(tracker)
        if customer_id is None:
            email = parse_email(tracker.get_slot("email"))
            return _verify(dispatcher, tracker, email, order_id) if email else {"order_id": order_id}
        if profile_store().order(customer_id, int(order_id)) is None:
            # The same answer for someone else's order and a number that does not exist.
            reject(dispatcher, f"I can't find order #{order_id} on your account.", "order_id")
            return {"order_id": None}
        return {"order_id": order_id}


def _value_before_latest_message(tracker: Tracker, slot: str) -> Any:
    seen_user_message = False
    for event in reversed(tracker.events):
        seen_user_message = seen_user_message or event.get("event") == "user"
        if seen_user_message and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def _order_id_asked_about(tracker: Tracker) -> Any:
    """While the new address is asked for, digits in the answer (a postcode) are not a new
    order number: the order stays the one from before this message."""
    if tracker.get_slot("requested_slot") == "new_address":
        return _value_before_latest_message(tracker, "order_id")
    return tracker.get_slot("order_id")


class ValidateOrderForm(IdentityChecking, FormValidationAction):
    def name(self) -> str:
        return "validate_order_form"

    def validate_order_id(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") == "new_address":
            return {"order_id": _order_id_asked_about(tracker)}
        return super().validate_order_id(slot_value, dispatcher, tracker, domain)

    def slots_once_verified(self, tracker: Tracker) -> list[str]:
        slots = ["order_id"]
        order_id = as_order_number(_order_id_asked_about(tracker))
        if tracker.get_slot("order_topic") == "address" and order_id is not None:
            order = profile_store().order(customer_id_of(tracker), order_id)
            if order is not None and order.status in CHANGEABLE:
                slots.append("new_address")
        return slots

    async def extract_new_address(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "new_address":
            return {}
        if wants_to_stop(tracker):
            return {}
        return {"new_address": tracker.latest_message.get("text")}

    def validate_new_address(self, slot_value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        address = " ".join(str(slot_value or "").split())
        if not 10 <= len(address) <= 200 or not any(ch.isdigit() for ch in address):
            reject(dispatcher, "Please give the full address: street and number, city and postcode.",
                   "new_address")
            return {"new_address": None}
        return {"new_address": address}


class ValidateVerifyForm(IdentityChecking, FormValidationAction):
    def name(self) -> str:
        return "validate_verify_form"


class ValidateEmailForm(FormValidationAction):
    """The password-reset form: any well-formed address; no identity needed to ask."""

    def name(self) -> str:
        return "validate_email_form"

    async def extract_email(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        return _extract_unrecognised(tracker, "email")

    def validate_email(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> dict[str, Any]:
        return {"email": _well_formed_email(dispatcher, slot_value)}


class ActionAskOrderId(Action):
    """Asks for the order number: offers a known customer's open orders as buttons."""

    def name(self) -> str:
        return "action_ask_order_id"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        customer_id = customer_id_of(tracker)
        if customer_id is None:
            say(dispatcher, Reply(ASK_ORDER_TO_VERIFY))
        else:
            say(dispatcher, likely_order_question(profile_store().orders(customer_id), today()))
        return []


class ActionAskEmail(Action):
    def name(self) -> str:
        return "action_ask_email"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        if tracker.active_loop.get("name") == "email_form":
            dispatcher.utter_message(text="What's the e-mail address on your account?")
        else:
            dispatcher.utter_message(text=ask_email_to_verify(parse_order_id(tracker.get_slot("order_id"))))
        return []


class ActionAskNewAddress(Action):
    def name(self) -> str:
        return "action_ask_new_address"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=f"Order #{tracker.get_slot('order_id')} hasn't been packed yet, "
                                      "so its address can still change. What's the new address?")
        return []


class ActionOrderRequest(Action):
    def name(self) -> str:
        return "action_order_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        customer_id = customer_id_of(tracker)
        order_id = as_order_number(tracker.get_slot("order_id"))
        order = profile_store().order(customer_id, order_id) if customer_id and order_id else None
        if order is None:
            say(dispatcher, LOCKED if customer_id is None else Reply("I couldn't find that order on your account."))
            return [SlotSet("confirmation_pending", False)]
        reply = order_reply(tracker.get_slot("order_topic"), order, profile_store(), customer_id,
                            today(), tracker.get_slot("new_address"))
        say(dispatcher, reply)
        return [SlotSet("confirmation_pending", reply.asks_confirmation)]


class ActionResolveConfirmation(Action):
    def name(self) -> str:
        return "action_resolve_confirmation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        topic = tracker.get_slot("order_topic")
        order_id = as_order_number(tracker.get_slot("order_id"))
        customer_id = customer_id_of(tracker)
        events: list[dict[str, Any]] = [SlotSet("confirmation_pending", False)]
        if tracker.get_intent_of_latest_message() != "affirm" or customer_id is None or order_id is None:
            say(dispatcher, Reply(f"Okay, I won't change order #{order_id}. Anything else I can help with?"))
            return events
        store = profile_store()
        if topic == "cancel":
            result = store.cancel_order(customer_id, order_id)
        elif topic == "address":
            result = store.change_shipping_address(customer_id, order_id, tracker.get_slot("new_address"))
            events.append(SlotSet("new_address", None))
        else:
            request = last_text_with_intent(tracker, {"get_refund"})
            result = store.start_refund(customer_id, order_id, request or "requested in chat")
        say(dispatcher, change_reply(topic, result, order_id))
        return events
