"""Text as every store keeps it, whichever path it came by (widget, REST, channels, console):
Unicode NFC, no control characters but newline and tab, no lone surrogates.

PostgreSQL refuses NUL in text columns and UTF-8 encoders refuse lone surrogates, so either
would fail a turn after the request was accepted; other control characters only garble
transcripts and logs."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean(text: str) -> str:
    text = SURROGATE.sub("\ufffd", text.replace("\r\n", "\n"))
    return unicodedata.normalize("NFC", CONTROL.sub("", text))


def clean_required(text: str) -> str:
    cleaned = clean(text).strip()
    if not cleaned:
        raise ValueError("text is empty")
    return cleaned


# A request field holding text for the stores: cleaned, stripped, and not empty.
CleanText = Annotated[str, AfterValidator(clean_required)]
