"""The team lead's figures over a date range and channel; every definition is in
docs/analytics.md and each figure here names the rule it follows.

Everything is read from the facts tables (bot/analytics/facts.py) and from handoffs,
knowledge-base questions and review items by their indexed dates, never by scanning
messages, so a report over a million messages stays well under a second.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Boolean, Select, String, and_, case, cast, exists, func, not_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.analytics.facts import ActivityHour, ConversationFacts, DaySummary, Turn, upsert_insert
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
    with session.get_bind().begin() as connection:  # its own transaction: a read keeps it
        connection.execute(upsert_insert(connection, DaySummary).values(summaries).on_conflict_do_nothing(index_elements=["day"]))


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
    last_customer = (select(ConversationFacts.last_customer_at)
                     .where(ConversationFacts.conversation_id == Handoff.conversation_id).scalar_subquery())
    last = func.coalesce(last_customer, Handoff.created_at)
    return and_(Handoff.claimed_at.is_(None),
                or_(Handoff.status != HandoffStatus.queued, last < now - timedelta(minutes=IDLE_MINUTES)))


@dataclass
class HandoffStats:
    """The period's handoffs, aggregated by the database: counts per agent, the durations
    the medians need (plain floats), reason codes and ratings per day."""

    per_agent: dict[int | None, dict[str, int]]
    first_s: dict[int | None, list[float]]
    resolution_s: dict[int | None, list[float]]
    wait_buckets: Counter
    reasons: Counter
    ratings_by_day: dict[str, tuple[int, int]]

    def total(self, key: str) -> int:
        return sum(counts[key] for counts in self.per_agent.values())

    def all_first(self) -> list[float]:
        return [s for values in self.first_s.values() for s in values]

    def all_resolution(self) -> list[float]:
        return [s for values in self.resolution_s.values() for s in values]


def _in_period(statement: Select, filters: Filters) -> Select:
    """Handoffs opened in the period (by their date index), of the chosen conversations: the
    channel and demo filters are a per-handoff primary-key probe, so the database walks the
    period's handoffs and never all conversations."""
    statement = statement.where(Handoff.created_at >= filters.since, Handoff.created_at < filters.until)
    if filters.channel or not filters.include_demo:
        chosen = [ConversationFacts.conversation_id == Handoff.conversation_id]
        if filters.channel:
            chosen.append(ConversationFacts.channel == filters.channel)
        if not filters.include_demo:
            chosen.append(not_(ConversationFacts.demo))
        statement = statement.where(exists().where(*chosen))
    return statement


def _handoff_stats(session: Session, filters: Filters, now: datetime, detail: bool = True) -> HandoffStats:
    """All of it for the period shown; the headline's part only (`detail=False`) for the
    previous period."""
    resolved = Handoff.status == HandoffStatus.resolved
    rated = and_(resolved, Handoff.rating.is_not(None))
    per_agent = {}
    for row in session.execute(_in_period(select(
            Handoff.agent_id, func.count().label("handoffs"), _count_if(resolved).label("resolved"),
            _count_if(rated).label("ratings"), _count_if(and_(rated, Handoff.rating >= 4)).label("good"),
            _sum(case((rated, Handoff.rating), else_=0)).label("rating_sum"),
            _count_if(_abandoned(now)).label("abandoned")), filters).group_by(Handoff.agent_id)):
        per_agent[row.agent_id] = {k: int(getattr(row, k)) for k in
                                   ("handoffs", "resolved", "ratings", "good", "rating_sum", "abandoned")}
    wait = _duration(Handoff.created_at, Handoff.claimed_at, session)
    first = _duration(Handoff.created_at, Handoff.first_reply_at, session)
    resolution = case((resolved, _duration(Handoff.created_at, Handoff.closed_at, session)), else_=None)
    first_s: dict[int | None, list[float]] = defaultdict(list)
    resolution_s: dict[int | None, list[float]] = defaultdict(list)
    if not detail:
        values = session.scalars(_in_period(select(first), filters).where(Handoff.first_reply_at.is_not(None)))
        return HandoffStats(per_agent, {None: [max(0.0, float(v)) for v in values]}, {}, Counter(), Counter(), {})
    for agent_id, first_value, resolution_value in session.execute(
            _in_period(select(Handoff.agent_id, first, resolution), filters)
            .where(or_(Handoff.first_reply_at.is_not(None), resolved))).tuples():
        if first_value is not None:
            first_s[agent_id].append(max(0.0, float(first_value)))
        if resolution_value is not None:
            resolution_s[agent_id].append(max(0.0, float(resolution_value)))
    bucket = case(*((wait < limit, name) for limit, name in WAIT_BUCKETS if limit is not None),
                  else_=WAIT_BUCKETS[-1][1])
    waits = Counter(dict(session.execute(_in_period(select(bucket, func.count()), filters)
                                         .where(Handoff.claimed_at.is_not(None)).group_by(bucket)).tuples().all()))
    reasons: Counter[str] = Counter()
    reasons_text = cast(Handoff.reasons, String)
    for text, n in session.execute(_in_period(select(reasons_text, func.count()), filters)
                                   .group_by(reasons_text)).tuples():  # many handoffs share their reasons
        for code in {r.get("code") for r in json.loads(text or "[]") if r.get("code")}:
            reasons[code] += n
    closed_day = _day(Handoff.closed_at, session)
    by_day = {str(day): (int(n), int(good)) for day, n, good in session.execute(
        _in_period(select(closed_day, func.count(), _count_if(Handoff.rating >= 4)), filters)
        .where(rated).group_by(closed_day)).tuples()}
    return HandoffStats(per_agent, first_s, resolution_s, waits, reasons, by_day)


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


def _headline(conversations: list[Any], activity: list[tuple[datetime, int]], handoffs: HandoffStats | None,
              kb: dict[str, Any]) -> dict[str, Any]:
    total: Counter[str] = Counter()
    for row in conversations:
        for key in ("conversations", "demo", "ended", "contained", "escalated", "bot_turns", "fallback_turns",
                    "declined_turns", "survey_asked", "survey_answered", "solved"):
            total[key] += int(getattr(row, key))
    h = handoffs.total if handoffs else (lambda _: 0)
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
        "csat": _rate(h("good"), h("ratings")),
        "mean_rating": round(h("rating_sum") / h("ratings"), 2) if h("ratings") else None,
        "ratings": h("ratings"),
        "rating_response_rate": _rate(h("ratings"), h("resolved")),
        "survey_asked": total["survey_asked"],
        "survey_answered": total["survey_answered"],
        "survey_response_rate": _rate(total["survey_answered"], total["survey_asked"]),
        "solved_rate": _rate(total["solved"], total["survey_answered"]),
        "handoffs": h("handoffs"),
        "median_first_response_s": _median(handoffs.all_first()) if handoffs else None,
        "abandoned": h("abandoned"),
        "abandonment_rate": _rate(h("abandoned"), h("handoffs")),
    }


def _per_channel(conversations: list[Any]) -> list[dict[str, Any]]:
    by_channel: dict[str, list[Any]] = defaultdict(list)
    for row in conversations:
        by_channel[row.channel].append(row)
    out = []
    for channel, rows in sorted(by_channel.items()):
        figures = _headline(rows, [], None, {"answer_rate": None})
        out.append({"channel": channel, "conversations": figures["conversations"],
                    "containment": figures["containment"], "escalation_rate": figures["escalation_rate"],
                    "fallback_rate": figures["fallback_rate"], "solved_rate": figures["solved_rate"]})
    return out


def _queue(handoffs: HandoffStats) -> dict[str, Any]:
    first, resolution = handoffs.all_first(), handoffs.all_resolution()
    total = handoffs.total("handoffs")
    return {
        "wait_distribution": [{"bucket": name, "handoffs": handoffs.wait_buckets[name]} for _, name in WAIT_BUCKETS],
        "first_response_s": {"median": _median(first), "p90": _p90(first)},
        "resolution_s": {"median": _median(resolution), "p90": _p90(resolution)},
        "abandoned": handoffs.total("abandoned"),
        "reasons": [{"reason": code, "handoffs": n, "share": _rate(n, total)}
                    for code, n in handoffs.reasons.most_common()],
    }


def _agents(session: Session, handoffs: HandoffStats) -> list[dict[str, Any]]:
    agents = [agent_id for agent_id in handoffs.per_agent if agent_id is not None]
    names = dict(session.execute(select(Agent.id, Agent.display_name).where(Agent.id.in_(agents))).all())
    out = []
    for agent_id in agents:
        counts = handoffs.per_agent[agent_id]
        out.append({
            "agent": names.get(agent_id, f"agent {agent_id}"), "agent_id": agent_id, "handoffs": counts["handoffs"],
            "resolved": counts["resolved"],
            "median_first_response_s": _median(handoffs.first_s.get(agent_id, [])),
            "median_resolution_s": _median(handoffs.resolution_s.get(agent_id, [])),
            "csat": _rate(counts["good"], counts["ratings"]),
            "mean_rating": round(counts["rating_sum"] / counts["ratings"], 2) if counts["ratings"] else None,
        })
    return sorted(out, key=lambda a: (-a["handoffs"], a["agent"]))


def _trends(conversations: list[Any], activity: list[tuple[datetime, int]], handoffs: HandoffStats,
            filters: Filters) -> list[dict]:
    days: dict[str, Counter] = defaultdict(Counter)
    for row in conversations:
        day = days[str(row.day)]
        for key in ("conversations", "ended", "contained", "escalated"):
            day[key] += int(getattr(row, key))
    for hour, n in activity:
        days[hour.date().isoformat()]["customer_messages"] += n
    for closed_day, (ratings, good) in handoffs.ratings_by_day.items():
        days[closed_day]["ratings"] += ratings
        days[closed_day]["good_ratings"] += good
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
                     _handoff_stats(session, filters, now, detail=False), _knowledge_base(session, filters))


def build_report(sessions: sessionmaker[Session], filters: Filters, now: datetime | None = None) -> dict[str, Any]:
    now = aware(now or datetime.now(timezone.utc))
    with sessions() as session:
        days = _days_of(session, filters, now)
        conversations = _conversation_rows(days, filters)
        activity = _activity(session, filters)
        handoffs = _handoff_stats(session, filters, now)
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
            chosen = {"abandoned": _abandoned(now), "low_rating": Handoff.rating <= 3,
                      "reason": cast(Handoff.reasons, String).like(f'%"code": {json.dumps(key)}%')}[drill]
            ids = list(session.scalars(_in_period(select(Handoff.conversation_id), filters).where(chosen)
                                       .order_by(Handoff.created_at.desc()).limit(limit)))
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
