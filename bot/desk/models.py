"""Conversations and their messages, as the desk stores them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Enum, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, utcnow


class Sender(str, enum.Enum):
    customer = "customer"
    bot = "bot"
    agent = "agent"


class DeliveryStatus(str, enum.Enum):
    """Where a customer message is: stored, answered by the bot, or not answered yet."""

    received = "received"
    answered = "answered"
    failed = "failed"


class Mode(str, enum.Enum):
    """Who answers the customer: the bot, a person (queued or claimed), the rating question
    after a person resolved it, or "did I solve your problem?" after the bot said goodbye."""

    bot = "bot"
    human = "human"
    rating = "rating"
    survey = "survey"


class HandoffStatus(str, enum.Enum):
    queued = "queued"
    claimed = "claimed"
    resolved = "resolved"
    returned = "returned"  # handed back to the bot without resolving


class Role(str, enum.Enum):
    agent = "agent"
    editor = "editor"
    admin = "admin"
    lead = "lead"  # reads the analytics; cannot work the queue or edit accounts


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32), default="web")
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    mode: Mapped[Mode] = mapped_column(Enum(Mode, native_enum=False, length=16), default=Mode.bot)
    # Left by a customer who could not reach a person, so the team can write back.
    contact_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # Written by `assistant seed --history`: shown on the dashboard as demo data.
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # "Did I solve your problem?", asked once after the bot alone served the customer.
    survey_asked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    solved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # Privacy: when the customer was told not to share card numbers (once), and when retention
    # or an erasure removed the conversation's text (bot.privacy.scrub).
    redaction_notice_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The escalation policy's memory of the turns since the conversation last came back from a
    # person (bot.escalation.policy.PolicyState); NULL only for rows stored before it was kept.
    policy_state: Mapped[dict | None] = mapped_column(JSON, nullable=True, default=dict)

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
    # Indexed for recovery, which asks every few seconds for the messages still owed an answer.
    status: Mapped[DeliveryStatus | None] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # For customer messages: sentiment, intent and entities as the desk saw them.
    analysis: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class Agent(Base):
    """A person who logs into the console: agents work the queue, editors keep content."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Handoff(Base):
    """A conversation waiting for, or worked by, a person: the queue is the open handoffs."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    status: Mapped[HandoffStatus] = mapped_column(
        Enum(HandoffStatus, native_enum=False, length=16), default=HandoffStatus.queued, index=True)
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    first_reply_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)

    agent: Mapped[Agent | None] = relationship()


class Note(Base):
    """An agent's private note on a conversation; the customer never sees it."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    agent: Mapped[Agent] = relationship()
