"""Account actions: greeting, password reset, requests that needed a verified identity,
and handing off to a person. Thin adapters over `bot.dialogue.account` and the store."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import customer_id_of, last_text_with_intent, profile_store, say
from bot.dialogue.account import (
    LOCKED,
    deletion_reply,
    greeting,
    newsletter_reply,
    password_reset_reply,
    payment_methods_reply,
    wants_unsubscribe,
)


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
