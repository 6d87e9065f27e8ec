"""What the desk's HTTP and WebSocket APIs accept and return."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.desk.models import Message
from bot.identity import SignedIdentity


class ConversationCreated(BaseModel):
    id: str
    token: str
    customer_id: str | None = None


class ConversationStart(BaseModel):
    """Optional: the store backend's signed identity of a logged-in customer."""

    model_config = ConfigDict(extra="forbid")
    identity: SignedIdentity | None = None


class CustomerMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


class MessageOut(BaseModel):
    id: int
    sender: str
    text: str
    buttons: list[dict[str, Any]] = []
    custom: dict[str, Any] | None = None
    status: str | None = None
    author: str | None = None  # the agent who wrote it
    created_at: datetime

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        payload = message.payload or {}
        return cls(
            id=message.id,
            sender=message.sender.value,
            text=message.text,
            buttons=payload.get("buttons") or [],
            custom=payload.get("custom"),
            status=message.status.value if message.status else None,
            author=payload.get("agent"),
            created_at=message.created_at,
        )


class ExchangeOut(BaseModel):
    """A customer message as stored, and the bot's replies to it."""

    message: MessageOut
    replies: list[MessageOut]


class TranscriptOut(BaseModel):
    conversation_id: str
    messages: list[MessageOut]
