"""Conversations and their messages, as the desk stores them."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Sender(str, enum.Enum):
    customer = "customer"
    bot = "bot"
    agent = "agent"


class DeliveryStatus(str, enum.Enum):
    """Where a customer message is: stored, answered by the bot, or not answered yet."""

    received = "received"
    answered = "answered"
    failed = "failed"


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32), default="web")
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", cascade="all, delete-orphan"
    )


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    sender: Mapped[Sender] = mapped_column(Enum(Sender, native_enum=False, length=16))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    status: Mapped[DeliveryStatus | None] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
