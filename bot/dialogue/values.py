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


# Intents a garbled answer gets: a form that asked for a number reads "maybe 12" as an
# answer to check, even where NLU took it for small talk.
ANSWER_INTENTS = ("inform", "nlu_fallback", "out_of_scope")
QUESTION_WORDS = {"what", "whats", "what's", "where", "when", "why", "how", "who", "which", "do", "does",
                  "can", "could", "is", "are", "will", "would", "should"}


def looks_like_question(text: str) -> bool:
    words = text.lower().split()
    return text.rstrip().endswith("?") or bool(words and words[0] in QUESTION_WORDS)


def unrecognised_answer(intent: str | None, entities: list[dict], entity: str, text: str) -> str | None:
    """The raw text of an answer to a form's question in which NLU found no value at all.

    Validating it lets the form say what is wrong with it ("12" is not an order number)
    instead of silently rejecting. A message carrying another value (an order number
    when the e-mail was asked for) is kept for its own slot, not judged as this one, and
    questions are left to the dialogue, which answers them and asks again.
    """
    if intent not in ANSWER_INTENTS or entities:
        return None
    if intent != "inform" and looks_like_question(text):
        return None
    return text
