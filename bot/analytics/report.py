"""The team lead's figures over a date range and channel; every definition is in
docs/analytics.md and each figure here names the rule it follows.

Everything is read from the facts tables (bot/analytics/facts.py) and from handoffs,
knowledge-base questions and review items by their indexed dates, never by scanning
messages, so a report over a million messages stays well under a second.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Boolean, Select, and_, case, cast, func, not_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.analytics.facts import ActivityHour, ConversationFacts, Turn
from bot.db import aware
from bot.desk.models import Agent, Conversation, Handoff, HandoffStatus
from bot.kb.feedback import KbQuestion
from bot.studio.inbox import Reason, ReviewItem

IDLE_MINUTES = 30  # a conversation nobody wrote in for this long has ended
WAIT_BUCKETS = ((60, "under 1 min"), (300, "1-5 min"), (900, "5-15 min"), (3600, "15-60 min"),
                (None, "over 1 hour"))
UNANSWERED = {Reason.fallback.value, Reason.kb_declined.value, Reason.not_helpful.value}
DRILLS = ("conversations", "contained", "not_contained", "escalated", "fallback", "abandoned",
          "low_rating", "reason", "topic", "escalation_intent", "unsolved")


class ReportError(ValueError):
    """The report cannot be made as asked (the message says why)."""


@dataclass(frozen=True)
class Filters:
    since: datetime
    until: datetime
    channel: str | None = None
    include_demo: bool = True

    def __post_init__(self) -> None:
        if aware(self.until) <= aware(self.since):
            raise ReportError("the period must end after it starts")

    def previous(self) -> Filters:
        """The period of the same length just before this one."""
        length = aware(self.until) - aware(self.since)
        return replace(self, since=aware(self.since) - length, until=aware(self.since))


def period(since: date, until: date, channel: str | None = None, include_demo: bool = True) -> Filters:
    """Whole UTC days, `until` included."""
    start = datetime(since.year, since.month, since.day, tzinfo=timezone.utc)
    end = datetime(until.year, until.month, until.day, tzinfo=timezone.utc) + timedelta(days=1)
    return Filters(start, end, channel, include_demo)


def _facts_in(filters: Filters) -> list[Any]:
    where = [ConversationFacts.started_at >= filters.since, ConversationFacts.started_at < filters.until]
    if filters.channel:
        where.append(ConversationFacts.channel == filters.channel)
    if not filters.include_demo:
        where.append(not_(ConversationFacts.demo))
    return where


def _ended(now: datetime) -> Any:
    """Ended: idle for IDLE_MINUTES, or the customer said goodbye/thanks, or answered the survey."""
    return or_(ConversationFacts.last_message_at < now - timedelta(minutes=IDLE_MINUTES),
               ConversationFacts.said_goodbye, ConversationFacts.solved.is_not(None))


def _contained(now: datetime) -> Any:
    """Contained: ended, never handed to a person, the bot's last turn understood and answered,
    and the customer did not say "no" to "did I solve your problem?"."""
    return and_(_ended(now), ConversationFacts.handoffs == 0, ConversationFacts.last_turn == Turn.answered,
                or_(ConversationFacts.solved.is_(None), ConversationFacts.solved == cast(True, Boolean)))


def _day(column: Any, session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (aware(end) - aware(start)).total_seconds())


def _sum(expression: Any) -> Any:
    return func.coalesce(func.sum(expression), 0)


def _count_if(condition: Any) -> Any:
    return _sum(case((condition, 1), else_=0))


def _conversation_rows(session: Session, filters: Filters, now: datetime) -> list[Any]:
    """Per day and channel: the conversation counts every headline and trend is made of."""
    day = _day(ConversationFacts.started_at, session)
    statement = (select(day.label("day"), ConversationFacts.channel,
                        func.count().label("conversations"),
                        _count_if(ConversationFacts.demo).label("demo"),
                        _count_if(_ended(now)).label("ended"),
                        _count_if(_contained(now)).label("contained"),
                        _count_if(ConversationFacts.handoffs > 0).label("escalated"),
                        _sum(ConversationFacts.bot_turns).label("bot_turns"),
                        _sum(ConversationFacts.fallback_turns).label("fallback_turns"),
                        _sum(ConversationFacts.declined_turns).label("declined_turns"),
                        _count_if(ConversationFacts.survey_asked).label("survey_asked"),
                        _count_if(ConversationFacts.solved.is_not(None)).label("survey_answered"),
                        _count_if(ConversationFacts.solved == cast(True, Boolean)).label("solved"))
                 .where(*_facts_in(filters)).group_by(day, ConversationFacts.channel))
    return list(session.execute(statement))


def _activity(session: Session, filters: Filters) -> list[Any]:
    where = [ActivityHour.hour >= filters.since, ActivityHour.hour < filters.until]
    if filters.channel:
        where.append(ActivityHour.channel == filters.channel)
    if not filters.include_demo:
        where.append(not_(ActivityHour.demo))
    return list(session.execute(select(ActivityHour.hour, ActivityHour.channel, ActivityHour.customer_messages)
                                .where(*where)))


def _joined(statement: Select, column: Any, filters: Filters) -> Select:
    """Restrict rows of another table to the conversations of the filtered channel/demo."""
    if filters.channel is None and filters.include_demo:
        return statement
    statement = statement.join(ConversationFacts, ConversationFacts.conversation_id == column)
    if filters.channel:
        statement = statement.where(ConversationFacts.channel == filters.channel)
    if not filters.include_demo:
        statement = statement.where(not_(ConversationFacts.demo))
    return statement


def _handoffs(session: Session, filters: Filters) -> list[Any]:
    """Handoffs opened in the period, with the customer's last message time (abandonment)."""
    statement = (select(Handoff.id, Handoff.conversation_id, Handoff.status, Handoff.reasons,
                        Handoff.created_at, Handoff.claimed_at, Handoff.first_reply_at, Handoff.closed_at,
                        Handoff.rating, Handoff.agent_id, ConversationFacts.last_customer_at)
                 .join(ConversationFacts, ConversationFacts.conversation_id == Handoff.conversation_id)
                 .where(Handoff.created_at >= filters.since, Handoff.created_at < filters.until))
    if filters.channel:
        statement = statement.where(ConversationFacts.channel == filters.channel)
    if not filters.include_demo:
        statement = statement.where(not_(ConversationFacts.demo))
    return list(session.execute(statement))


def abandoned(handoff: Any, now: datetime) -> bool:
    """Abandoned: never claimed, and the customer has not written for IDLE_MINUTES (or the
    handoff was closed without anyone claiming it)."""
    if handoff.claimed_at is not None:
        return False
    if handoff.status != HandoffStatus.queued:
        return True
    last = handoff.last_customer_at or handoff.created_at
    return aware(last) < now - timedelta(minutes=IDLE_MINUTES)


def _knowledge_base(session: Session, filters: Filters) -> dict[str, Any]:
    statement = _joined(select(func.count().label("asked"), _count_if(KbQuestion.answered).label("answered"),
                               _count_if(KbQuestion.helpful == cast(True, Boolean)).label("helpful"),
                               _count_if(KbQuestion.helpful == cast(False, Boolean)).label("not_helpful"))
                        .where(KbQuestion.created_at >= filters.since, KbQuestion.created_at < filters.until),
                        KbQuestion.conversation_id, filters)
    row = session.execute(statement).one()
    asked, answered = int(row.asked), int(row.answered)
    rated = int(row.helpful) + int(row.not_helpful)
    return {"questions": asked, "answered": answered, "declined": asked - answered,
            "answer_rate": _rate(answered, asked), "decline_rate": _rate(asked - answered, asked),
            "helpful_yes": int(row.helpful), "helpful_no": int(row.not_helpful),
            "helpful_rate": _rate(int(row.helpful), rated)}


def _unanswered(session: Session, filters: Filters, limit: int = 10) -> list[dict[str, Any]]:
    """Review-inbox groups of messages the bot could not answer, biggest first."""
    statement = _joined(select(ReviewItem.group_id, ReviewItem.text, ReviewItem.reasons)
                        .where(ReviewItem.created_at >= filters.since, ReviewItem.created_at < filters.until)
                        .order_by(ReviewItem.id), ReviewItem.conversation_id, filters)
    sizes: Counter[int] = Counter()
    example: dict[int, str] = {}
    for row in session.execute(statement):
        if UNANSWERED & set(row.reasons or []):
            sizes[row.group_id] += 1
            example.setdefault(row.group_id, row.text)
    return [{"group_id": group, "messages": size, "example": example[group],
             "inbox": f"/console/studio#inbox-group-{group}"} for group, size in sizes.most_common(limit)]


def _top(session: Session, filters: Filters, column: Any, limit: int = 10) -> list[Any]:
    statement = (select(column, func.count().label("n"),
                        _count_if(ConversationFacts.handoffs > 0).label("escalated"))
                 .where(*_facts_in(filters), column.is_not(None))
                 .group_by(column).order_by(func.count().desc(), column).limit(limit))
    return list(session.execute(statement))


def _headline(conversations: list[Any], activity: list[Any], handoffs: list[Any], kb: dict[str, Any],
              now: datetime) -> dict[str, Any]:
    total = Counter()
    for row in conversations:
        for key in ("conversations", "demo", "ended", "contained", "escalated", "bot_turns", "fallback_turns",
                    "declined_turns", "survey_asked", "survey_answered", "solved"):
            total[key] += int(getattr(row, key))
    resolved = [h for h in handoffs if h.status == HandoffStatus.resolved]
    ratings = [h.rating for h in resolved if h.rating is not None]
    first_responses = [s for s in (_seconds(h.created_at, h.first_reply_at) for h in handoffs) if s is not None]
    return {
        "conversations": total["conversations"],
        "demo_conversations": total["demo"],
        "customer_messages": sum(int(row.customer_messages) for row in activity),
        "ended": total["ended"],
        "contained": total["contained"],
        "containment": _rate(total["contained"], total["ended"]),
        "escalated": total["escalated"],
        "escalation_rate": _rate(total["escalated"], total["conversations"]),
        "bot_turns": total["bot_turns"],
        "fallback_turns": total["fallback_turns"],
        "fallback_rate": _rate(total["fallback_turns"], total["bot_turns"]),
        "kb_answer_rate": kb["answer_rate"],
        "csat": _rate(sum(1 for r in ratings if r >= 4), len(ratings)),
        "mean_rating": round(statistics.fmean(ratings), 2) if ratings else None,
        "ratings": len(ratings),
        "rating_response_rate": _rate(len(ratings), len(resolved)),
        "survey_asked": total["survey_asked"],
        "survey_answered": total["survey_answered"],
        "survey_response_rate": _rate(total["survey_answered"], total["survey_asked"]),
        "solved_rate": _rate(total["solved"], total["survey_answered"]),
        "handoffs": len(handoffs),
        "median_first_response_s": _median(first_responses),
        "abandoned": sum(1 for h in handoffs if abandoned(h, now)),
        "abandonment_rate": _rate(sum(1 for h in handoffs if abandoned(h, now)), len(handoffs)),
    }


def _per_channel(conversations: list[Any], now: datetime) -> list[dict[str, Any]]:
    by_channel: dict[str, list[Any]] = defaultdict(list)
    for row in conversations:
        by_channel[row.channel].append(row)
    out = []
    for channel, rows in sorted(by_channel.items()):
        figures = _headline(rows, [], [], {"answer_rate": None}, now)
        out.append({"channel": channel, "conversations": figures["conversations"],
                    "containment": figures["containment"], "escalation_rate": figures["escalation_rate"],
                    "fallback_rate": figures["fallback_rate"], "solved_rate": figures["solved_rate"]})
    return out


def _queue(handoffs: list[Any], now: datetime) -> dict[str, Any]:
    waits = [_seconds(h.created_at, h.claimed_at) for h in handoffs]
    buckets = Counter()
    for wait in filter(lambda w: w is not None, waits):
        label = next(name for limit, name in WAIT_BUCKETS if limit is None or wait < limit)
        buckets[label] += 1
    resolution = [s for s in (_seconds(h.created_at, h.closed_at) for h in handoffs
                              if h.status == HandoffStatus.resolved) if s is not None]
    first = [s for s in (_seconds(h.created_at, h.first_reply_at) for h in handoffs) if s is not None]
    reasons = Counter(code for h in handoffs for code in {r.get("code") for r in h.reasons or []} if code)
    return {
        "wait_distribution": [{"bucket": name, "handoffs": buckets[name]} for _, name in WAIT_BUCKETS],
        "first_response_s": {"median": _median(first), "p90": _p90(first)},
        "resolution_s": {"median": _median(resolution), "p90": _p90(resolution)},
        "abandoned": sum(1 for h in handoffs if abandoned(h, now)),
        "reasons": [{"reason": code, "handoffs": n, "share": _rate(n, len(handoffs))}
                    for code, n in reasons.most_common()],
    }


def _agents(session: Session, handoffs: list[Any]) -> list[dict[str, Any]]:
    by_agent: dict[int, list[Any]] = defaultdict(list)
    for handoff in handoffs:
        if handoff.agent_id is not None:
            by_agent[handoff.agent_id].append(handoff)
    names = dict(session.execute(select(Agent.id, Agent.display_name).where(Agent.id.in_(list(by_agent)))).all())
    out = []
    for agent_id, worked in by_agent.items():
        ratings = [h.rating for h in worked if h.rating is not None]
        out.append({
            "agent": names.get(agent_id, f"agent {agent_id}"), "agent_id": agent_id, "handoffs": len(worked),
            "resolved": sum(1 for h in worked if h.status == HandoffStatus.resolved),
            "median_first_response_s": _median([s for s in (_seconds(h.created_at, h.first_reply_at)
                                                            for h in worked) if s is not None]),
            "median_resolution_s": _median([s for s in (_seconds(h.created_at, h.closed_at) for h in worked
                                                        if h.status == HandoffStatus.resolved) if s is not None]),
            "csat": _rate(sum(1 for r in ratings if r >= 4), len(ratings)),
            "mean_rating": round(statistics.fmean(ratings), 2) if ratings else None,
        })
    return sorted(out, key=lambda a: (-a["handoffs"], a["agent"]))


def _trends(conversations: list[Any], activity: list[Any], handoffs: list[Any], filters: Filters) -> list[dict]:
    days: dict[str, Counter] = defaultdict(Counter)
    for row in conversations:
        day = days[str(row.day)]
        for key in ("conversations", "ended", "contained", "escalated"):
            day[key] += int(getattr(row, key))
    for row in activity:
        days[aware(row.hour).date().isoformat()]["customer_messages"] += int(row.customer_messages)
    for handoff in handoffs:
        if handoff.rating is not None and handoff.status == HandoffStatus.resolved:
            day = days[aware(handoff.closed_at or handoff.created_at).date().isoformat()]
            day["ratings"] += 1
            day["good_ratings"] += int(handoff.rating >= 4)
    out, cursor = [], aware(filters.since).date()
    while cursor < aware(filters.until).date():
        day = days.get(cursor.isoformat(), Counter())
        out.append({"day": cursor.isoformat(), "conversations": day["conversations"],
                    "customer_messages": day["customer_messages"],
                    "containment": _rate(day["contained"], day["ended"]),
                    "escalation_rate": _rate(day["escalated"], day["conversations"]),
                    "csat": _rate(day["good_ratings"], day["ratings"])})
        cursor += timedelta(days=1)
    return out


def _rhythm(activity: list[Any]) -> dict[str, list[int]]:
    hours, weekdays = [0] * 24, [0] * 7
    for row in activity:
        moment = aware(row.hour)
        hours[moment.hour] += int(row.customer_messages)
        weekdays[moment.weekday()] += int(row.customer_messages)
    return {"by_hour_utc": hours, "by_weekday": weekdays}


def figures(session: Session, filters: Filters, now: datetime) -> dict[str, Any]:
    """The headline figures alone (what the previous period is compared on)."""
    return _headline(_conversation_rows(session, filters, now), _activity(session, filters),
                     _handoffs(session, filters), _knowledge_base(session, filters), now)


def build_report(sessions: sessionmaker[Session], filters: Filters, now: datetime | None = None) -> dict[str, Any]:
    now = aware(now or datetime.now(timezone.utc))
    with sessions() as session:
        conversations = _conversation_rows(session, filters, now)
        activity = _activity(session, filters)
        handoffs = _handoffs(session, filters)
        kb = _knowledge_base(session, filters)
        return {
            "period": {"since": aware(filters.since).isoformat(), "until": aware(filters.until).isoformat(),
                       "channel": filters.channel, "include_demo": filters.include_demo,
                       "idle_minutes": IDLE_MINUTES, "timezone": "UTC"},
            "headline": _headline(conversations, activity, handoffs, kb, now),
            "previous": figures(session, filters.previous(), now),
            "channels": _per_channel(conversations, now),
            "volume": _rhythm(activity),
            "trend": _trends(conversations, activity, handoffs, filters),
            "knowledge_base": kb,
            "queue": _queue(handoffs, now),
            "agents": _agents(session, handoffs),
            "top_intents": [{"intent": r[0], "conversations": r.n, "escalated": r.escalated}
                            for r in _top(session, filters, ConversationFacts.topic)],
            "escalation_intents": [{"intent": r[0], "escalations": r.n}
                                   for r in _top(session, filters, ConversationFacts.escalation_intent)],
            "unanswered": _unanswered(session, filters),
            "channels_available": sorted(session.scalars(select(ConversationFacts.channel).distinct())),
        }


def conversations_behind(sessions: sessionmaker[Session], filters: Filters, drill: str, key: str | None = None,
                         now: datetime | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The conversations a figure counts, newest first (at most `limit`)."""
    if drill not in DRILLS:
        raise ReportError(f"unknown figure '{drill}'; one of: {', '.join(DRILLS)}")
    if drill in ("reason", "topic", "escalation_intent") and not key:
        raise ReportError(f"'{drill}' needs a key (which {drill.replace('_', ' ')})")
    now = aware(now or datetime.now(timezone.utc))
    where = _facts_in(filters)
    conditions = {"conversations": None, "contained": _contained(now),
                  "not_contained": and_(_ended(now), not_(_contained(now))),
                  "escalated": ConversationFacts.handoffs > 0, "fallback": ConversationFacts.fallback_turns > 0,
                  "unsolved": ConversationFacts.solved == cast(False, Boolean),
                  "topic": ConversationFacts.topic == key,
                  "escalation_intent": ConversationFacts.escalation_intent == key}
    with sessions() as session:
        if drill in ("abandoned", "low_rating", "reason"):
            handoffs = _handoffs(session, filters)
            if drill == "abandoned":
                chosen = [h for h in handoffs if abandoned(h, now)]
            elif drill == "low_rating":
                chosen = [h for h in handoffs if h.rating is not None and h.rating <= 3]
            else:
                chosen = [h for h in handoffs if key in {r.get("code") for r in h.reasons or []}]
            ids = list(dict.fromkeys(h.conversation_id for h in chosen))[:limit]
            where = [ConversationFacts.conversation_id.in_(ids)]
        elif conditions[drill] is not None:
            where = [*where, conditions[drill]]
        rows = session.execute(select(ConversationFacts, Conversation.customer_id)
                               .join(Conversation, Conversation.id == ConversationFacts.conversation_id)
                               .where(*where).order_by(ConversationFacts.started_at.desc()).limit(limit))
        return [{"conversation_id": f.conversation_id, "channel": f.channel, "demo": f.demo,
                 "started_at": aware(f.started_at).isoformat(), "customer_messages": f.customer_messages,
                 "handoffs": f.handoffs, "last_turn": f.last_turn, "topic": f.topic, "solved": f.solved,
                 "signed_in": customer_id is not None} for f, customer_id in rows]
