"""What the privacy features record: who opened whose data, and each request served."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow


class AccessEntry(Base):
    """A console user opened a customer's profile or a conversation (GDPR art. 32: who saw what)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    username: Mapped[str] = mapped_column(String(64))  # kept if the account is removed
    role: Mapped[str] = mapped_column(String(16))
    what: Mapped[str] = mapped_column(String(16))  # "conversation" or "profile"
    subject: Mapped[str] = mapped_column(String(64), index=True)  # its id
    via: Mapped[str] = mapped_column(String(32))  # which view: console, handoff_api, analytics


class PrivacyRequest(Base):
    """An export, erasure or purge that was carried out: who asked, when, and how much it
    touched (counts only, never the data itself)."""

    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # export, erase, purge
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    requested_by: Mapped[str] = mapped_column(String(64))  # a console username, or "cli", "retention"
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
