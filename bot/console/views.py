"""What the console shows: queue rows and the conversation view, as JSON-ready dicts."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from bot.console.accounts import Account
from bot.console.suggestions import Suggester
from bot.db import aware, utcnow
from bot.desk.conversations import ConversationStore
from bot.desk.handoffs import HandoffStore, HandoffView, QueueEntry
from bot.desk.models import Message, Sender
from bot.profiles.store import ProfileStore
from bot.summary.build import order_facts


def queue_view(entries: list[QueueEntry], agents_online: int, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    return {"agents_online": agents_online, "items": [{
        "handoff_id": e.handoff_id, "conversation_id": e.conversation_id, "status": e.status,
        "priority": e.summary.get("escalation", {}).get("priority", "normal"), "score": round(e.priority, 2),
        "reasons": e.reasons, "issue": e.summary.get("issue", ""),
        "customer_name": (e.summary.get("customer") or {}).get("name"),
        "tier": (e.summary.get("customer") or {}).get("tier"),
        "waiting_s": int((now - aware(e.created_at)).total_seconds()),
        "claimed_by": e.claimed_by, "last_message": e.last_message,
    } for e in entries]}


def message_view(message: Message) -> dict[str, Any]:
    analysis = message.analysis or {}
    return {"id": message.id, "sender": message.sender.value, "text": message.text,
            "created_at": message.created_at.isoformat(),
            "agent": (message.payload or {}).get("agent") if message.sender == Sender.agent else None,
            "sentiment": analysis.get("sentiment"), "intent": analysis.get("intent")}


def handoff_view(handoff: HandoffView | None, account: Account) -> dict[str, Any] | None:
    if handoff is None:
        return None
    return {"id": handoff.id, "status": handoff.status.value, "claimed_by": handoff.agent_name,
            "mine": handoff.agent_id == account.id,
            "priority": handoff.summary.get("escalation", {}).get("priority", "normal"),
            "reasons": handoff.reasons, "created_at": handoff.created_at.isoformat()}


def conversation_view(conversation_id: str, account: Account, conversations: ConversationStore,
                      handoffs: HandoffStore, profiles: ProfileStore,
                      suggester: Suggester) -> dict[str, Any] | None:
    conversation = conversations.get(conversation_id)
    if conversation is None:
        return None
    messages = conversations.transcript(conversation_id)
    handoff = handoffs.current(conversation_id)
    customer = profiles.get_customer(conversation.customer_id) if conversation.customer_id else None
    last_customer = next((m.text for m in reversed(messages) if m.sender == Sender.customer), "")
    return {
        "conversation_id": conversation.id, "channel": conversation.channel, "mode": conversation.mode.value,
        "contact_email": conversation.contact_email,
        "handoff": handoff_view(handoff, account),
        "summary": handoff.summary if handoff else None,
        "transcript": [message_view(m) for m in messages],
        "profile": None if customer is None else {
            "id": customer.id, "name": f"{customer.first_name} {customer.last_name}", "email": customer.email,
            "tier": customer.tier, "language": customer.language,
            # Masked as the customer sees them: the store holds no more than the last four digits.
            "payment_methods": [m.label + (f", expires {m.expiry}" if m.expiry else "")
                                for m in profiles.payment_methods(customer.id)],
            "orders": [order_facts(o) for o in profiles.orders(customer.id)]},
        "suggestions": [asdict(s) for s in suggester.suggest(
            last_customer, handoff.summary.get("issue", "") if handoff else "")],
        "notes": [{"id": n.id, "author": n.author, "text": n.text, "created_at": n.created_at.isoformat()}
                  for n in handoffs.notes(conversation_id)],
        "other_conversations": [] if customer is None else [
            {"conversation_id": other.id, "channel": other.channel, "created_at": other.created_at.isoformat(),
             "last_message": last[:200]}
            for other, last in conversations.others_of(customer.id, conversation_id)],
    }


def handoff_payload(conversation_id: str, conversations: ConversationStore,
                    handoffs: HandoffStore) -> dict[str, Any] | None:
    """Everything an external agent desk needs to take the conversation over."""
    conversation = conversations.get(conversation_id)
    handoff = handoffs.current(conversation_id)
    if conversation is None or handoff is None:
        return None
    messages = conversations.transcript(conversation_id)
    summary = dict(handoff.summary)
    return {
        "conversation_id": conversation.id, "channel": conversation.channel,
        "customer_id": conversation.customer_id, "language": summary.pop("language", "en"),
        "slots": summary.pop("slots", {}),
        "intents": [{"message_id": m.id, "text": m.text, "intent": (m.analysis or {}).get("intent"),
                     "ranking": (m.analysis or {}).get("ranking", [])}
                    for m in messages if m.sender == Sender.customer and (m.analysis or {}).get("intent")],
        "transcript": [message_view(m) for m in messages],
        "summary": summary, "reasons": handoff.reasons, "status": handoff.status.value,
    }
