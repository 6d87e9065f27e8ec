"""Reading a provider's JSON without trusting its shape: a field of the wrong type reads as
missing, so a malformed (or hostile) but signed call is acknowledged and ignored instead of
failing inside the adapter."""

from __future__ import annotations

from typing import Any


def obj(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str | None:
    """A non-empty string field, else None."""
    return value if isinstance(value, str) and value else None


def ident(value: Any) -> str | None:
    """An id that providers send as a string or a number (Telegram's chat ids)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return text(value)


def items(value: Any) -> list:
    return value if isinstance(value, list) else []
