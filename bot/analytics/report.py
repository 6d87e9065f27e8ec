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
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import Boolean, Select, String, and_, case, cast, func, not_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from bot.analytics.facts import ActivityHour, ConversationFacts, DaySummary, Turn
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


def _duration(start: Any, end: Any, session: Session) -> Any:
    """Seconds from `start` to `end`, computed by the database (NULL when either is)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _sum(expression: Any) -> Any:
    return func.coalesce(func.sum(expression), 0)


def _count_if(condition: Any) -> Any:
    return _sum(case((condition, 1), else_=0))


COUNTS = ("conversations", "ended", "contained", "escalated", "bot_turns", "fallback_turns", "declined_turns",
          "survey_asked", "survey_answered", "solved")


def _compute_days(session: Session, days: list[str], now: datetime) -> dict[str, dict[str, Any]]:
    """Per day, channel and demo flag: the conversation counts, topics and escalation intents."""
    starts = [datetime.fromisoformat(d).replace(tzinfo=timezone.utc) for d in days]
    within = or_(*(and_(ConversationFacts.started_at >= start, ConversationFacts.started_at < start + timedelta(days=1))
                   for start in starts))
    day = _day(ConversationFacts.started_at, session)
    keys = (day.label("day"), ConversationFacts.channel, ConversationFacts.demo)
    out: dict[str, dict[str, Any]] = {d: {"rows": [], "topics": [], "escalation_intents": []} for d in days}
    counts = (func.count().label("conversations"),
              _count_if(_ended(now)).label("ended"),
              _count_if(_contained(now)).label("contained"),
              _count_if(ConversationFacts.handoffs > 0).label("escalated"),
              _sum(ConversationFacts.bot_turns).label("bot_turns"),
              _sum(ConversationFacts.fallback_turns).label("fallback_turns"),
              _sum(ConversationFacts.declined_turns).label("declined_turns"),
              _count_if(ConversationFacts.survey_asked).label("survey_asked"),
              _count_if(ConversationFacts.solved.is_not(None)).label("survey_answered"),
              _count_if(ConversationFacts.solved == cast(True, Boolean)).label("solved"))
    for row in session.execute(select(*keys, *counts).where(within).group_by(*keys)):
        out[str(row.day)]["rows"].append({"channel": row.channel, "demo": bool(row.demo),
                                          **{k: int(getattr(row, k)) for k in COUNTS}})
    for column, name in ((ConversationFacts.topic, "topics"), (ConversationFacts.escalation_intent, "escalation_intents")):
        for row in session.execute(select(*keys, column, func.count().label("n"),
                                          _count_if(ConversationFacts.handoffs > 0).label("escalated"))
                                   .where(within, column.is_not(None)).group_by(*keys, column)):
            out[str(row.day)][name].append([row.channel, bool(row.demo), row[3], int(row.n), int(row.escalated)])
    return out


def _settled(day: str, figures: dict[str, Any], now: datetime) -> bool:
    """A past day whose conversations have all ended: its figures change only by a write."""
    return day < now.date().isoformat() and all(r["ended"] == r["conversations"] for r in figures["rows"])


def _days_of(session: Session, filters: Filters, now: datetime) -> dict[str, dict[str, Any]]:
    """The day figures of the period: kept ones from `day_summaries`, the others computed (and
    kept when settled)."""
    first, last = aware(filters.since), aware(filters.until)
    if first.time() != datetime.min.time() or last.time() != datetime.min.time():
        raise ReportError("periods are whole UTC days")
    days = [(first + timedelta(days=n)).date().isoformat() for n in range((last - first).days)]
    kept = {d.day: d.figures for d in session.scalars(select(DaySummary).where(DaySummary.day.in_(days)))}
    missing = [d for d in days if d not in kept]
    for start in range(0, len(missing), 31):
        computed = _compute_days(session, missing[start:start + 31], now)
        settled = [{"day": d, "figures": f} for d, f in computed.items() if _settled(d, f, now)]
        if settled:
            _keep(session, settled)
        kept.update(computed)
    return {d: kept[d] for d in days}


def _keep(session: Session, summaries: list[dict[str, Any]]) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    with session.get_bind().begin() as connection:  # its own transaction: a read keeps it
        connection.execute(dialect.insert(DaySummary).values(summaries).on_conflict_do_nothing(index_elements=["day"]))


def _chosen(filters: Filters, channel: str, demo: bool) -> bool:
    return (filters.channel is None or channel == filters.channel) and (filters.include_demo or not demo)


def _conversation_rows(days: dict[str, dict[str, Any]], filters: Filters) -> list[SimpleNamespace]:
    """Per day and channel: the conversation counts every headline and trend is made of."""
    return [SimpleNamespace(day=day, **{**row, "demo": row["conversations"] if row["demo"] else 0})
            for day, figures in days.items() for row in figures["rows"]
            if _chosen(filters, row["channel"], row["demo"])]


def _top(days: dict[str, dict[str, Any]], filters: Filters, name: str, limit: int = 10) -> list[tuple[str, int, int]]:
    counts: Counter[str] = Counter()
    escalated: Counter[str] = Counter()
    for figures in days.values():
        for channel, demo, value, n, escalations in figures[name]:
            if _chosen(filters, channel, demo):
                counts[value] += n
                escalated[value] += escalations
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [(value, n, escalated[value]) for value, n in ranked]


def _activity(session: Session, filters: Filters) -> list[tuple[datetime, int]]:
    """Customer messages per UTC hour (all channels, or the chosen one)."""
    where = [ActivityHour.hour >= filters.since, ActivityHour.hour < filters.until]
    if filters.channel:
        where.append(ActivityHour.channel == filters.channel)
    if not filters.include_demo:
        where.append(not_(ActivityHour.demo))
    rows = session.execute(select(ActivityHour.hour, func.sum(ActivityHour.customer_messages))
                           .where(*where).group_by(ActivityHour.hour))
    return [(aware(hour), int(n)) for hour, n in rows]


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


def _abandoned(now: datetime) -> Any:
    """Abandoned: never claimed, and either closed without a claim or the customer has not
    written for IDLE_MINUTES."""
    last = func.coalesce(ConversationFacts.last_customer_at, Handoff.created_at)
    return and_(Handoff.claimed_at.is_(None),
                or_(Handoff.status != HandoffStatus.queued, last < now - timedelta(minutes=IDLE_MINUTES)))


class HandoffRow(NamedTuple):
    conversation_id: str
    agent_id: int | None
    resolved: int
    rating: int | None
    reasons: Any
    wait_s: float | None
    first_s: float | None
    resolution_s: float | None  # resolved handoffs only
    closed_day: str | None
    abandoned: int


def _handoffs(session: Session, filters: Filters, now: datetime) -> list[HandoffRow]:
    """Handoffs opened in the period: who, outcome, reasons and their durations in seconds
    (computed by the database, read as plain tuples: there can be tens of thousands)."""
    resolved = Handoff.status == HandoffStatus.resolved
    statement = (select(Handoff.conversation_id, Handoff.agent_id, case((resolved, 1), else_=0), Handoff.rating,
                        Handoff.reasons, _duration(Handoff.created_at, Handoff.claimed_at, session),
                        _duration(Handoff.created_at, Handoff.first_reply_at, session),
                        case((resolved, _duration(Handoff.created_at, Handoff.closed_at, session)), else_=None),
                        _day(Handoff.closed_at, session), case((_abandoned(now), 1), else_=0))
                 .join(ConversationFacts, ConversationFacts.conversation_id == Handoff.conversation_id)
                 .where(Handoff.created_at >= filters.since, Handoff.created_at < filters.until))
    if filters.channel:
        statement = statement.where(ConversationFacts.channel == filters.channel)
    if not filters.include_demo:
        statement = statement.where(not_(ConversationFacts.demo))
    return [HandoffRow(*row) for row in session.execute(statement).tuples()]


def _durations(handoffs: list[HandoffRow], field: int) -> list[float]:
    return [max(0.0, float(h[field])) for h in handoffs if h[field] is not None]


WAIT = HandoffRow._fields.index("wait_s")
FIRST = HandoffRow._fields.index("first_s")
RESOLUTION = HandoffRow._fields.index("resolution_s")


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
    text = cast(ReviewItem.reasons, String)
    statement = _joined(select(ReviewItem.group_id, func.count().label("n"), func.min(ReviewItem.id).label("first"))
                        .where(ReviewItem.created_at >= filters.since, ReviewItem.created_at < filters.until,
                               or_(*(text.like(f'%"{reason}"%') for reason in sorted(UNANSWERED))))
                        .group_by(ReviewItem.group_id).order_by(func.count().desc(), ReviewItem.group_id)
                        .limit(limit), ReviewItem.conversation_id, filters)
    groups = list(session.execute(statement))
    examples = dict(session.execute(select(ReviewItem.id, ReviewItem.text)
                                    .where(ReviewItem.id.in_([g.first for g in groups]))).all())
    return [{"group_id": g.group_id, "messages": int(g.n), "example": examples.get(g.first, ""),
             "inbox": f"/console/studio#inbox-group-{g.group_id}"} for g in groups]


def _headline(conversations: list[Any], activity: list[tuple[datetime, int]], handoffs: list[Any],
              kb: dict[str, Any]) -> dict[str, Any]:
    total: Counter[str] = Counter()
    for row in conversations:
        for key in ("conversations", "demo", "ended", "contained", "escalated", "bot_turns", "fallback_turns",
                    "declined_turns", "survey_asked", "survey_answered", "solved"):
            total[key] += int(getattr(row, key))
    resolved = [h for h in handoffs if h.resolved]
    ratings = [h.rating for h in resolved if h.rating is not None]
    abandoned = sum(h.abandoned for h in handoffs)
    return {
        "conversations": total["conversations"],
        "demo_conversations": total["demo"],
        "customer_messages": sum(n for _, n in activity),
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
        "median_first_response_s": _median(_durations(handoffs, FIRST)),
        "abandoned": abandoned,
        "abandonment_rate": _rate(abandoned, len(handoffs)),
    }


def _per_channel(conversations: list[Any]) -> list[dict[str, Any]]:
    by_channel: dict[str, list[Any]] = defaultdict(list)
    for row in conversations:
        by_channel[row.channel].append(row)
    out = []
    for channel, rows in sorted(by_channel.items()):
        figures = _headline(rows, [], [], {"answer_rate": None})
        out.append({"channel": channel, "conversations": figures["conversations"],
                    "containment": figures["containment"], "escalation_rate": figures["escalation_rate"],
                    "fallback_rate": figures["fallback_rate"], "solved_rate": figures["solved_rate"]})
    return out


def _queue(handoffs: list[Any]) -> dict[str, Any]:
    buckets: Counter[str] = Counter()
    for wait in _durations(handoffs, WAIT):
        buckets[next(name for limit, name in WAIT_BUCKETS if limit is None or wait < limit)] += 1
    resolution = _durations(handoffs, RESOLUTION)
    first = _durations(handoffs, FIRST)
    reasons = Counter(code for h in handoffs for code in {r.get("code") for r in h.reasons or []} if code)
    return {
        "wait_distribution": [{"bucket": name, "handoffs": buckets[name]} for _, name in WAIT_BUCKETS],
        "first_response_s": {"median": _median(first), "p90": _p90(first)},
        "resolution_s": {"median": _median(resolution), "p90": _p90(resolution)},
        "abandoned": sum(h.abandoned for h in handoffs),
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
            "resolved": sum(h.resolved for h in worked),
            "median_first_response_s": _median(_durations(worked, FIRST)),
            "median_resolution_s": _median(_durations(worked, RESOLUTION)),
            "csat": _rate(sum(1 for r in ratings if r >= 4), len(ratings)),
            "mean_rating": round(statistics.fmean(ratings), 2) if ratings else None,
        })
    return sorted(out, key=lambda a: (-a["handoffs"], a["agent"]))


def _trends(conversations: list[Any], activity: list[tuple[datetime, int]], handoffs: list[Any],
            filters: Filters) -> list[dict]:
    days: dict[str, Counter] = defaultdict(Counter)
    for row in conversations:
        day = days[str(row.day)]
        for key in ("conversations", "ended", "contained", "escalated"):
            day[key] += int(getattr(row, key))
    for hour, n in activity:
        days[hour.date().isoformat()]["customer_messages"] += n
    for handoff in handoffs:
        if handoff.rating is not None and handoff.resolved and handoff.closed_day:
            day = days[str(handoff.closed_day)]
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


def _rhythm(activity: list[tuple[datetime, int]]) -> dict[str, list[int]]:
    hours, weekdays = [0] * 24, [0] * 7
    for moment, n in activity:
        hours[moment.hour] += n
        weekdays[moment.weekday()] += n
    return {"by_hour_utc": hours, "by_weekday": weekdays}


def figures(session: Session, filters: Filters, now: datetime) -> dict[str, Any]:
    """The headline figures alone (what the previous period is compared on)."""
    return _headline(_conversation_rows(_days_of(session, filters, now), filters), _activity(session, filters),
                     _handoffs(session, filters, now), _knowledge_base(session, filters))


def build_report(sessions: sessionmaker[Session], filters: Filters, now: datetime | None = None) -> dict[str, Any]:
    now = aware(now or datetime.now(timezone.utc))
    with sessions() as session:
        days = _days_of(session, filters, now)
        conversations = _conversation_rows(days, filters)
        activity = _activity(session, filters)
        handoffs = _handoffs(session, filters, now)
        kb = _knowledge_base(session, filters)
        return {
            "period": {"since": aware(filters.since).isoformat(), "until": aware(filters.until).isoformat(),
                       "channel": filters.channel, "include_demo": filters.include_demo,
                       "idle_minutes": IDLE_MINUTES, "timezone": "UTC"},
            "headline": _headline(conversations, activity, handoffs, kb),
            "previous": figures(session, filters.previous(), now),
            "channels": _per_channel(conversations),
            "volume": _rhythm(activity),
            "trend": _trends(conversations, activity, handoffs, filters),
            "knowledge_base": kb,
            "queue": _queue(handoffs),
            "agents": _agents(session, handoffs),
            "top_intents": [{"intent": intent, "conversations": n, "escalated": escalated}
                            for intent, n, escalated in _top(days, filters, "topics")],
            "escalation_intents": [{"intent": intent, "escalations": n}
                                   for intent, n, _ in _top(days, filters, "escalation_intents")],
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
            handoffs = _handoffs(session, filters, now)
            if drill == "abandoned":
                chosen = [h for h in handoffs if h.abandoned]
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
