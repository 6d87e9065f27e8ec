"""A channel user (channel + the provider's id) and the conversation they write in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.models import ChannelContact, InboundEvent
from bot.db import utcnow
from bot.desk.conversations import ConversationStore
from bot.desk.models import Conversation
from bot.text import clean


@dataclass(frozen=True)
class Arrival:
    """A new event's conversation, and the options its last reply offered (numbered channels)."""

    conversation: Conversation
    options: list[dict] | None = None


class Contacts:
    def __init__(self, sessions: sessionmaker[Session], conversations: ConversationStore) -> None:
        self._sessions = sessions
        self._conversations = conversations

    def first_time(self, channel: str, event_id: str) -> bool:
        """Record a provider's event id; False when it was seen before (a redelivery)."""
        try:
            with self._sessions.begin() as session:
                session.add(InboundEvent(channel=channel, event_id=event_id))
        except IntegrityError:
            return False
        return True

    def receive(self, channel: str, event_id: str, external_id: str,
                display_name: str | None, reply_from: str | None = None) -> Arrival | None:
        """Record the event and find the contact's conversation in one transaction (opened on
        their first message); None when the event was seen before (a redelivery)."""
        try:
            with self._sessions.begin() as session:
                session.add(InboundEvent(channel=channel, event_id=event_id))
                session.flush()
                contact = session.scalar(select(ChannelContact).where(
                    ChannelContact.channel == channel, ChannelContact.external_id == external_id))
                if contact is not None:
                    contact.last_inbound_at = utcnow()
                    contact.reply_from = reply_from or contact.reply_from
                    return Arrival(session.get(Conversation, contact.conversation_id), contact.options)
        except IntegrityError:
            return None
        return Arrival(self._conversations.get(self._open(channel, external_id, display_name, reply_from)))

    def _open(self, channel: str, external_id: str, display_name: str | None,
              reply_from: str | None = None) -> str:
        conversation_id = self._conversations.create(channel).id
        try:
            with self._sessions.begin() as session:
                session.add(ChannelContact(channel=channel, external_id=external_id,
                                           display_name=clean(display_name)[:200] if display_name else None, conversation_id=conversation_id,
                                           reply_from=reply_from))
        except IntegrityError:  # the same contact's other message won the race
            with self._sessions() as session:
                return session.scalar(select(ChannelContact.conversation_id).where(
                    ChannelContact.channel == channel, ChannelContact.external_id == external_id))
        return conversation_id

    def contact(self, conversation_id: str) -> ChannelContact | None:
        with self._sessions() as session:
            return session.scalar(select(ChannelContact).where(
                ChannelContact.conversation_id == conversation_id))

    @staticmethod
    def set_options(session: Session, conversation_id: str, options: list[dict] | None) -> None:
        """Remember the last reply's options, in the caller's transaction (the one that queues it)."""
        session.execute(update(ChannelContact).where(ChannelContact.conversation_id == conversation_id)
                        .values(options=options))
