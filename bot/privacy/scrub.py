"""Anonymising conversations: their text goes, their figures stay.

Retention and erasure both end here. Every message keeps its row, sender, time, status and
the bot's reading of it (intent, confidence, sentiment) without the entities, so analytics
and `assistant analytics rebuild` still count it; the text, the payloads, the handoff's
summary, the agents' notes, the questions asked of the knowledge base, the review inbox's
copies, the channel deliveries and the link to the channel contact are removed (the
caller then deletes the conversations' events in Rasa's tracker store, `TrackerEvents`,
once the desk's rows are committed). Core statements, not the ORM: the
analytics listener must not count an anonymised message as a new one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from bot.channels.models import ChannelContact, Delivery
from bot.db import utcnow
from bot.desk.handoffs import OPEN
from bot.desk.models import Conversation, Handoff, HandoffStatus, Message, Mode, Note
from bot.kb.feedback import KbQuestion
from bot.studio.inbox import ReviewItem

BATCH = 500
# What of a message's analysis survives: figures, not values the customer gave.
KEPT_ANALYSIS = ("mode", "sentiment", "intent", "ranking", "form_question", "form_rejected",
                 "kb_question_id", "kb_declined")


def _kept_analysis(analysis: dict | None) -> dict | None:
    if not analysis:
        return analysis
    return {key: value for key, value in analysis.items() if key in KEPT_ANALYSIS}


def _count(counts: dict[str, int], key: str, value: int | None) -> None:
    counts[key] = counts.get(key, 0) + (value or 0)


def anonymise_conversations(session: Session, conversation_ids: Sequence[str],
                            now: datetime | None = None) -> dict[str, int]:
    """Counts of what was removed, by kind; the caller commits."""
    now = now or utcnow()
    counts: dict[str, int] = {}
    ids = list(conversation_ids)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        rows = session.execute(select(Message.id, Message.analysis)
                               .where(Message.conversation_id.in_(chunk))).all()
        if rows:
            session.connection().execute(
                update(Message.__table__).where(Message.__table__.c.id == bindparam("row_id"))
                .values(text="", payload=None, analysis=bindparam("kept")),
                [{"row_id": row.id, "kept": _kept_analysis(row.analysis)} for row in rows])
        _count(counts, "messages", len(rows))
        _count(counts, "handoff_summaries", session.execute(
            update(Handoff).where(Handoff.conversation_id.in_(chunk)).values(summary={})
            .execution_options(synchronize_session=False)).rowcount)
        # Nobody is left to answer: an open handoff leaves the agents' queue.
        session.execute(update(Handoff).where(Handoff.conversation_id.in_(chunk), Handoff.status.in_(OPEN))
                        .values(status=HandoffStatus.returned, closed_at=now)
                        .execution_options(synchronize_session=False))
        _count(counts, "notes", session.execute(
            delete(Note).where(Note.conversation_id.in_(chunk))).rowcount)
        _count(counts, "kb_questions", session.execute(
            update(KbQuestion).where(KbQuestion.conversation_id.in_(chunk)).values(question="")
            .execution_options(synchronize_session=False)).rowcount)
        _count(counts, "review_items", session.execute(
            delete(ReviewItem).where(ReviewItem.conversation_id.in_(chunk))).rowcount)
        _count(counts, "deliveries", session.execute(
            delete(Delivery).where(Delivery.conversation_id.in_(chunk))).rowcount)
        _count(counts, "channel_contacts", session.execute(
            delete(ChannelContact).where(ChannelContact.conversation_id.in_(chunk))).rowcount)
        session.execute(update(Conversation).where(Conversation.id.in_(chunk))
                        .values(customer_id=None, contact_email=None, token_hash="", anonymised_at=now,
                                mode=Mode.bot, policy_state={})
                        .execution_options(synchronize_session=False))
    counts["conversations"] = len(ids)
    session.flush()
    return counts
