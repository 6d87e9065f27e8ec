"""Masking what must never be kept (payment card numbers, security codes, IBANs, passwords)
in a customer's message, before the desk stores it or Rasa reads it.

Only real numbers are masked: a card number must pass the Luhn check and an IBAN its
mod-97 check (python-stdnum), so order numbers, phone numbers and amounts are left alone.
Security codes and passwords have no shape of their own, so they are masked only when the
customer names them ("cvv 123", "my password is hunter2")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from stdnum import iban, luhn

KINDS = ("card", "security_code", "iban", "password")
LABELS = {"card": "[card number removed]", "security_code": "[security code removed]",
          "iban": "[IBAN removed]", "password": "[password removed]"}

# A run of digits in groups separated by single spaces or dashes; a card number (13-19
# digits) is some consecutive groups of it ("order 10482 4242 4242 4242 4242").
DIGIT_RUN = re.compile(r"(?<![\w-])\d+(?:[ -]\d+)*(?![\w-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]+)+", re.IGNORECASE)
SECURITY_CODE = re.compile(
    r"\b(?:cvv2?|cvc2?|csc|cid|security\s+code|card\s+code|verification\s+code|pin(?:\s+number)?|"
    r"(?:3|three|4|four)\s+digits?\s+on\s+the\s+back)"
    r"(?:\s+(?:is|are|was|=|:|number|code))*\s*[:=]?\s*(\d{3,4})(?!\d)",
    re.IGNORECASE)
PASSWORD = re.compile(
    r"\b(?:password|passwd|passcode|pass\s*word|pwd|pw)"
    r"(?:\s+(?:is|was|=|:|would\s+be|should\s+be|of|for\s+\w+\s+is))+\s*[:=]?\s*"
    r"[\"'“‘]?([^\s\"'”’]+)",
    re.IGNORECASE)
PASSWORD_COLON = re.compile(r"\b(?:password|passwd|passcode|pwd|pw)\s*[:=]\s*[\"'“‘]?([^\s\"'”’]+)",
                            re.IGNORECASE)


@dataclass(frozen=True)
class Redaction:
    text: str
    kinds: tuple[str, ...]  # what was masked, each kind once, in KINDS order

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def _mask_card(digits: str, style: str) -> str:
    if style == "partial":
        return f"[card number ending {digits[-4:]} removed]"
    return LABELS["card"]


def _is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and luhn.is_valid(digits)


def _cards_in_run(run: str, style: str) -> tuple[str, bool]:
    """The run with every card number in it masked: the longest valid span of whole groups
    from each group on."""
    parts = re.split(r"([ -])", run)  # digits, separator, digits, ...
    groups, out, i, found = parts[0::2], [], 0, False
    while i < len(groups):
        for j in range(len(groups), i, -1):
            digits = "".join(groups[i:j])
            if _is_card(digits):
                out.append(_mask_card(digits, style))
                i, found = j, True
                break
        else:
            out.append(groups[i])
            i += 1
    return " ".join(out) if found else run, found


def _iban_prefix(candidate: str) -> int:
    """The length of the longest valid IBAN at the start of candidate (ending at a word's
    end), or 0: the pattern runs on into the words after it."""
    for end in range(len(candidate), 14, -1):
        if (end == len(candidate) or candidate[end] == " ") and iban.is_valid(candidate[:end]):
            return end
    return 0


class Redactor:
    def __init__(self, kinds: Iterable[str] = KINDS, style: str = "label") -> None:
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown redaction kinds: {', '.join(sorted(unknown))} (known: {', '.join(KINDS)})")
        self._kinds = frozenset(kinds)
        self._style = style

    def redact(self, text: str) -> Redaction:
        found: set[str] = set()

        def card(match: re.Match[str]) -> str:
            masked, hit = _cards_in_run(match.group(), self._style)
            if hit:
                found.add("card")
            return masked

        def account(match: re.Match[str]) -> str:
            end = _iban_prefix(match.group())
            if not end:
                return match.group()
            found.add("iban")
            return LABELS["iban"] + match.group()[end:]

        def secret(kind: str) -> object:
            def mask(match: re.Match[str]) -> str:
                found.add(kind)
                start, end = match.span(1)
                whole = match.group()
                return whole[:start - match.start()] + LABELS[kind] + whole[end - match.start():]
            return mask

        if "card" in self._kinds:
            text = DIGIT_RUN.sub(card, text)
        if "iban" in self._kinds:
            text = IBAN.sub(account, text)
        if "security_code" in self._kinds:
            text = SECURITY_CODE.sub(secret("security_code"), text)
        if "password" in self._kinds:
            text = PASSWORD.sub(secret("password"), text)
            text = PASSWORD_COLON.sub(secret("password"), text)
        return Redaction(text, tuple(kind for kind in KINDS if kind in found))
