"""What the channels store: who a channel user is, which provider events were seen, and
every reply still to be delivered."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow


class ChannelContact(Base):
    """A user on a messaging channel (the provider's id for them) and their conversation."""

    __tablename__ = "channel_contacts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))  # where replies go (a Telegram chat id)
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    last_inbound_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The number the customer wrote to (Twilio), which replies are sent from.
    reply_from: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The last reply's options on channels without buttons (SMS, WhatsApp): "1" means the first.
    options: Mapped[list | None] = mapped_column(JSON, nullable=True)


class InboundEvent(Base):
    """A provider's event id, seen once: a redelivered webhook changes nothing."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("channel", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeliveryStatus(str, enum.Enum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # permanently: the agent is shown why


class Delivery(Base):
    """One reply to send on a channel; sent in id order within its conversation."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(Enum(DeliveryStatus, native_enum=False, length=16),
                                                   default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
