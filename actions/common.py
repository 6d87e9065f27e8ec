"""Adapter helpers shared by the actions: who the customer is, and the stores."""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.db import make_engine, make_session_factory
from bot.dialogue.replies import Reply
from bot.profiles.store import ProfileStore
from bot.settings import get_settings


@cache
def profile_store() -> ProfileStore:
    return ProfileStore(make_session_factory(make_engine(get_settings().database_url)))


def today() -> date:
    return datetime.now(timezone.utc).date()


def customer_id_of(tracker: Tracker) -> str | None:
    """The verified customer: signed by the store and passed on by the desk in the message
    metadata, or verified earlier in this chat (slot `verified_customer_id`)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            customer_id = (event.get("metadata") or {}).get("customer_id")
            if customer_id:
                return str(customer_id)
            break
    return tracker.get_slot("verified_customer_id")


def say(dispatcher: CollectingDispatcher, reply: Reply, marker: dict | None = None) -> None:
    """`marker` rides along as the reply's custom payload, for the desk (reply_marker)."""
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None, json_message=marker)


def reject(dispatcher: CollectingDispatcher, text: str, slot: str) -> None:
    """Says why a form did not accept an answer. The marker tells the desk's escalation
    policy that the form rejected it: a question the bot answered mid-form is no rejection."""
    dispatcher.utter_message(text=text, json_message={"rejected_answer": slot})


def last_text_with_intent(tracker: Tracker, intents: set[str]) -> str:
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("parse_data", {}).get("intent", {}).get(
            "name"
        ) in intents:
            return event.get("text") or ""
    return ""


def as_order_number(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


STOP_INTENTS = ("deny", "contact_human_agent")


def wants_to_stop(tracker: Tracker, min_confidence: float = 0.7) -> bool:
    """A confident "no"/"agent" ends a free-text question; a name that merely looks like
    "no" to the classifier ("Nair-Okafor": deny 0.44) is an answer."""
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name") in STOP_INTENTS and (intent.get("confidence") or 0) >= min_confidence
