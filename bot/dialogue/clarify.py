"""Near-ties between two intents are asked about instead of guessed.

Rasa's FallbackClassifier turns a message into `nlu_fallback` when its top intent is below
`threshold` or within `ambiguity_threshold` of the second; config.yml holds both. When the
reason was a near-tie between two requests we can serve, the customer chooses between them
(buttons that send the intent); otherwise the knowledge base answers as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.dialogue.replies import Reply

CONFIG = Path(__file__).resolve().parents[2] / "config.yml"
FALLBACK = "nlu_fallback"

# What each request is, in the customer's words after "do you want to ...".
REQUESTS = {
    "track_order": "track an order",
    "delivery_period": "know how long delivery takes",
    "delivery_options": "know our shipping options",
    "place_order": "place an order",
    "cancel_order": "cancel an order",
    "change_order": "change the items in an order",
    "change_shipping_address": "change the delivery address of an order",
    "set_up_shipping_address": "add a new saved address to your account",
    "check_cancellation_fee": "know the cancellation fee",
    "check_invoice": "look at an invoice",
    "get_invoice": "get a copy of an invoice",
    "check_payment_methods": "know which payment methods we accept",
    "list_saved_payment_methods": "see the cards saved on your account",
    "payment_issue": "sort out a problem with a payment",
    "check_refund_policy": "know our refund policy",
    "get_refund": "ask for a refund",
    "track_refund": "check on a refund",
    "complaint": "make a complaint",
    "review": "leave a review",
    "contact_customer_service": "know how to reach customer service",
    "contact_human_agent": "talk to a person",
    "create_account": "create an account",
    "delete_account": "delete your account",
    "edit_account": "change your account details",
    "switch_account": "switch to another account",
    "recover_password": "reset your password",
    "registration_problems": "sort out a problem signing up",
    "newsletter_subscription": "subscribe or unsubscribe from the newsletter",
}


@dataclass(frozen=True)
class Bars:
    threshold: float
    ambiguity: float


@cache
def fallback_bars(config: Path = CONFIG) -> Bars:
    """The FallbackClassifier's settings in config.yml, so the two never disagree."""
    pipeline = (yaml.safe_load(config.read_text()) or {}).get("pipeline") or []
    fallback = next((c for c in pipeline if c.get("name") == "FallbackClassifier"), {})
    return Bars(float(fallback.get("threshold", 0.3)), float(fallback.get("ambiguity_threshold", 0.1)))


def clarification(intent: str | None, ranking: list[dict], bars: Bars | None = None) -> Reply | None:
    """A question between the two closest requests, when a near-tie caused the fallback."""
    if intent != FALLBACK:
        return None
    bars = bars or fallback_bars()
    ranked = [r for r in ranking if r.get("name") != FALLBACK]
    if len(ranked) < 2:
        return None
    first, second = ranked[0], ranked[1]
    tie = first["confidence"] >= bars.threshold and first["confidence"] - second["confidence"] < bars.ambiguity
    if not tie or first["name"] not in REQUESTS or second["name"] not in REQUESTS:
        return None
    a, b = REQUESTS[first["name"]], REQUESTS[second["name"]]
    return Reply(f"Just to be sure: do you want to {a}, or {b}?",
                 [{"title": a[0].upper() + a[1:], "payload": f"/{first['name']}"},
                  {"title": b[0].upper() + b[1:], "payload": f"/{second['name']}"}])
