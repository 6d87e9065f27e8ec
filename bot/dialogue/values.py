"""Parsing of the values customers type into forms: order numbers and e-mail addresses."""

from __future__ import annotations

import re

ORDER_ID_RE = re.compile(r"(?<![\d.,])#?\s*(\d{4,8})(?![\d.,]\d|\d)")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def parse_order_id(value: object) -> str | None:
    """Return the order number's digits, or None if the value holds no valid number.

    Rasa may hand over a list when a message mentions several numbers; the first wins.
    """
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    match = ORDER_ID_RE.search(str(value).strip())
    return match.group(1) if match else None


def parse_email(value: object) -> str | None:
    """Return the address in lower case, or None if it is not a plausible e-mail address."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    text = str(value).strip().strip(".,;!?<>()").lower()
    return text if EMAIL_RE.match(text) else None


def unrecognised_answer(intent: str | None, entities: list[dict], entity: str, text: str) -> str | None:
    """The raw text of an answer to a form's question in which NLU found no `entity`.

    Validating it lets the form say what is wrong with it ("12" is not an order number)
    instead of silently rejecting; questions of other kinds are left to the dialogue.
    """
    if intent not in ("inform", "nlu_fallback") or any(e.get("entity") == entity for e in entities):
        return None
    return text
