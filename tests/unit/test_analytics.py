"""Every analytics figure on a small hand-built week whose expected values are worked out by
hand below (docs/analytics.md gives the definitions), on SQLite and PostgreSQL. The rows are
written through the ORM as the desk writes them, so the facts are kept by the same listener."""

from __future__ import annotations

import gc
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.analytics.facts import ActivityHour, ConversationFacts, rebuild, track, turn_outcome
from bot.analytics.report import ReportError, build_report, conversations_behind, period
from bot.desk.conversations import ConversationStore
from bot.desk.models import Agent, Conversation, Handoff, HandoffStatus, Message, Mode, Role, Sender
from bot.desk.survey import solved_answer
from bot.kb.feedback import KbQuestion
from bot.studio.inbox import ReviewGroup, ReviewItem

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=timezone.utc)
WEEK = period(date(2026, 11, 1), date(2026, 11, 7), include_demo=False)


def bot_mode(intent: str, **extra: object) -> dict:
    return {"mode": Mode.bot.value, "intent": {"name": intent, "confidence": 0.9}, **extra}


class Week:
    """Writes conversations minute by minute from a start time."""

    def __init__(self, sessions) -> None:  # noqa: ANN001
        self.sessions = track(sessions)
        self.store = ConversationStore(self.sessions)
        with self.sessions.begin() as session:
            for username, name in (("alex", "Alex"), ("sam", "Sam")):
                session.add(Agent(username=username, display_name=name, password_hash="x", role=Role.agent))
        with self.sessions() as session:
            self.agents = {a.username: a.id for a in session.query(Agent)}

    def conversation(self, cid: str, start: datetime, channel: str = "web", demo: bool = False) -> None:
        self.start = start
        with self.sessions.begin() as session:
            session.add(Conversation(id=cid, token_hash="x", channel=channel, created_at=start, demo=demo))

    def say(self, cid: str, minute: int, sender: Sender, text: str = "...", analysis: dict | None = None) -> int:
        with self.sessions.begin() as session:
            message = Message(conversation_id=cid, sender=sender, text=text,
                              created_at=self.start + timedelta(minutes=minute))
            session.add(message)
        if analysis is not None:  # the analysis comes with the bot's answer, as in the desk
            with self.sessions.begin() as session:
                session.get(Message, message.id).analysis = analysis
        return message.id

    def turn(self, cid: str, minute: int, analysis: dict) -> int:
        asked = self.say(cid, minute, Sender.customer, analysis=analysis)
        self.say(cid, minute, Sender.bot)
        return asked

    def handoff(self, cid: str, minute: int, reason: str, agent: str | None = None, claimed: int = 0,
                reply: int = 0, closed: int = 0, rating: int | None = None) -> None:
        with self.sessions.begin() as session:
            handoff = Handoff(conversation_id=cid, reasons=[{"code": reason, "detail": ""}], summary={},
                              created_at=self.start + timedelta(minutes=minute))
            if agent:
                handoff.status = HandoffStatus.claimed
                handoff.agent_id = self.agents[agent]
                handoff.claimed_at = self.start + timedelta(minutes=claimed)
            session.add(handoff)
        if agent:
            self.say(cid, reply, Sender.agent, "Hi, I'm here")
            with self.sessions.begin() as session:
                stored = session.get(Handoff, handoff.id)
                stored.status = HandoffStatus.resolved
                stored.closed_at = self.start + timedelta(minutes=closed)
                stored.rating = rating

    def survey(self, cid: str, minute: int, answer: str) -> None:
        self.store.ask_survey(cid)
        self.say(cid, minute, Sender.customer, answer)
        self.store.record_solved(cid, solved_answer(answer))

    def kb_question(self, cid: str, answered: bool, helpful: bool | None) -> None:
        with self.sessions.begin() as session:
            session.add(KbQuestion(conversation_id=cid, question="q", answered=answered, helpful=helpful,
                                   created_at=self.start))

    def review(self, group: int, message_id: int, cid: str, reason: str) -> None:
        with self.sessions.begin() as session:
            if session.get(ReviewGroup, group) is None:
                session.add(ReviewGroup(id=group, vector=np.zeros(4, dtype=np.float32).tobytes()))
                session.flush()
            session.add(ReviewItem(message_id=message_id, conversation_id=cid, group_id=group, text=f"text {group}",
                                   reasons=[reason], created_at=self.start))


@pytest.fixture
def week(sessions) -> Week:  # noqa: ANN001
    w = Week(sessions)
    day = lambda d, h: datetime(2026, 11, d, h, tzinfo=timezone.utc)  # noqa: E731
    w.conversation("c0", datetime(2026, 10, 28, 9, tzinfo=timezone.utc))  # the week before
    w.turn("c0", 0, bot_mode("track_order"))
    # c1: answered, thanks, "did I solve it?" yes -> contained
    w.conversation("c1", day(2, 9))
    w.turn("c1", 0, bot_mode("track_order"))
    w.turn("c1", 1, bot_mode("thank"))
    w.survey("c1", 2, "yes")
    w.kb_question("c1", answered=True, helpful=True)
    # c2: not understood, then silence -> ended, not contained
    w.conversation("c2", day(2, 10))
    fallback_c2 = w.turn("c2", 0, bot_mode("nlu_fallback"))
    w.kb_question("c2", answered=False, helpful=None)
    w.review(2, fallback_c2, "c2", "fallback")
    # c3 (Telegram): refund, a declined question, asks for a person; Alex: 2 min wait, 3 min to
    # first reply, resolved at 20 min, rated 5
    w.conversation("c3", day(3, 14), channel="telegram")
    w.turn("c3", 0, bot_mode("get_refund"))
    w.turn("c3", 3, bot_mode("out_of_scope", kb_declined=True))
    w.turn("c3", 5, bot_mode("contact_human_agent"))
    w.kb_question("c3", answered=True, helpful=False)
    w.handoff("c3", 5, "customer_request", agent="alex", claimed=7, reply=8, closed=20, rating=5)
    # c4 (Telegram): angry; Sam: 10 min wait, 11 min to first reply, resolved at 40 min, rated 2
    w.conversation("c4", day(4, 8), channel="telegram")
    w.turn("c4", 0, bot_mode("complaint"))
    w.handoff("c4", 1, "very_angry", agent="sam", claimed=11, reply=12, closed=40, rating=2)
    # c5: not understood twice, queued, nobody claims it, the customer leaves -> abandoned
    w.conversation("c5", day(5, 20))
    first = w.turn("c5", 0, bot_mode("nlu_fallback"))
    second = w.turn("c5", 2, bot_mode("nlu_fallback"))
    w.handoff("c5", 2, "not_understood")
    w.say("c5", 3, Sender.customer, "hello??", {"mode": Mode.human.value})
    w.review(1, first, "c5", "fallback")
    w.review(1, second, "c5", "fallback")
    # c6: answered, thanks, survey "no" -> ended, not contained
    w.conversation("c6", day(6, 11))
    w.turn("c6", 0, bot_mode("track_order"))
    w.turn("c6", 1, bot_mode("thank"))
    w.survey("c6", 2, "no, still waiting")
    # c7: the week after; c8: demo history inside the week
    w.conversation("c7", day(9, 9))
    w.turn("c7", 0, bot_mode("track_order"))
    w.conversation("c8", day(3, 9), demo=True)
    w.turn("c8", 0, bot_mode("track_order"))
    return w


def test_headline_figures(week):
    report = build_report(week.sessions, WEEK, NOW)
    h = report["headline"]
    assert h["conversations"] == 6 and h["demo_conversations"] == 0
    assert h["customer_messages"] == 14
    assert (h["ended"], h["contained"], h["containment"]) == (6, 1, 0.1667)
    assert (h["escalated"], h["escalation_rate"]) == (3, 0.5)
    assert (h["bot_turns"], h["fallback_turns"], h["fallback_rate"]) == (11, 3, 0.2727)
    assert (h["csat"], h["mean_rating"], h["ratings"], h["rating_response_rate"]) == (0.5, 3.5, 2, 1.0)
    assert (h["survey_asked"], h["survey_answered"], h["survey_response_rate"], h["solved_rate"]) == (2, 2, 1.0, 0.5)
    assert (h["handoffs"], h["median_first_response_s"]) == (3, 420.0)
    assert (h["abandoned"], h["abandonment_rate"]) == (1, 0.3333)
    assert report["previous"]["conversations"] == 1 and report["previous"]["containment"] == 1.0


def test_knowledge_base_queue_and_agents(week):
    report = build_report(week.sessions, WEEK, NOW)
    assert report["knowledge_base"] == {"questions": 3, "answered": 2, "declined": 1, "answer_rate": 0.6667,
                                        "decline_rate": 0.3333, "helpful_yes": 1, "helpful_no": 1,
                                        "helpful_rate": 0.5}
    queue = report["queue"]
    assert {b["bucket"]: b["handoffs"] for b in queue["wait_distribution"]} == {
        "under 1 min": 0, "1-5 min": 1, "5-15 min": 1, "15-60 min": 0, "over 1 hour": 0}
    assert queue["first_response_s"]["median"] == 420.0
    assert queue["resolution_s"]["median"] == 1620.0
    assert {r["reason"]: r["handoffs"] for r in queue["reasons"]} == {
        "customer_request": 1, "very_angry": 1, "not_understood": 1}
    agents = {a["agent"]: a for a in report["agents"]}
    assert (agents["Alex"]["median_first_response_s"], agents["Alex"]["median_resolution_s"],
            agents["Alex"]["csat"], agents["Alex"]["mean_rating"]) == (180.0, 900.0, 1.0, 5)
    assert (agents["Sam"]["median_first_response_s"], agents["Sam"]["median_resolution_s"],
            agents["Sam"]["csat"], agents["Sam"]["mean_rating"]) == (660.0, 2340.0, 0.0, 2)


def test_intents_unanswered_and_rhythm(week):
    report = build_report(week.sessions, WEEK, NOW)
    assert [(t["intent"], t["conversations"]) for t in report["top_intents"]] == [
        ("track_order", 2), ("complaint", 1), ("get_refund", 1)]
    assert sorted((t["intent"], t["escalations"]) for t in report["escalation_intents"]) == [
        ("complaint", 1), ("contact_human_agent", 1), ("nlu_fallback", 1)]
    assert [(u["group_id"], u["messages"]) for u in report["unanswered"]] == [(1, 2), (2, 1)]
    assert report["volume"]["by_weekday"] == [4, 3, 1, 3, 3, 0, 0]
    hours = report["volume"]["by_hour_utc"]
    assert (hours[8], hours[9], hours[10], hours[11], hours[14], hours[20]) == (1, 3, 1, 3, 3, 3)
    assert [d["conversations"] for d in report["trend"]] == [0, 2, 1, 1, 1, 1, 0]
    assert report["trend"][1]["containment"] == 0.5


def test_channel_and_demo_filters(week):
    telegram = build_report(week.sessions, period(date(2026, 11, 1), date(2026, 11, 7), "telegram", False), NOW)
    assert telegram["headline"]["conversations"] == 2
    assert telegram["headline"]["escalation_rate"] == 1.0
    assert telegram["knowledge_base"]["questions"] == 1
    with_demo = build_report(week.sessions, period(date(2026, 11, 1), date(2026, 11, 7)), NOW)
    assert (with_demo["headline"]["conversations"], with_demo["headline"]["demo_conversations"]) == (7, 1)
    assert {c["channel"]: c["conversations"] for c in with_demo["channels"]} == {"telegram": 2, "web": 5}


def test_drill_down_lists_the_conversations_behind_a_figure(week):
    def ids(drill, key=None):  # noqa: ANN001, ANN202
        return sorted(c["conversation_id"] for c in conversations_behind(week.sessions, WEEK, drill, key, NOW))
    assert ids("contained") == ["c1"]
    assert ids("escalated") == ["c3", "c4", "c5"]
    assert ids("abandoned") == ["c5"]
    assert ids("low_rating") == ["c4"]
    assert ids("reason", "customer_request") == ["c3"]
    assert ids("topic", "track_order") == ["c1", "c6"]
    assert ids("unsolved") == ["c6"]
    with pytest.raises(ReportError, match="unknown figure"):
        conversations_behind(week.sessions, WEEK, "everything")


def test_an_open_conversation_has_not_ended(week):
    just_now = NOW - timedelta(minutes=5)
    week.conversation("c9", just_now)
    week.turn("c9", 0, bot_mode("track_order"))
    today = build_report(week.sessions, period(NOW.date(), NOW.date(), include_demo=False), NOW)["headline"]
    assert (today["conversations"], today["ended"], today["containment"]) == (1, 0, None)
    later = build_report(week.sessions, period(NOW.date(), NOW.date(), include_demo=False),
                         NOW + timedelta(minutes=31))["headline"]
    assert (later["ended"], later["containment"]) == (1, 1.0)


def test_rebuild_gives_the_same_figures(week):
    before = build_report(week.sessions, WEEK, NOW)
    assert rebuild(week.sessions) == 9
    assert build_report(week.sessions, WEEK, NOW) == before


def test_bad_periods_are_refused():
    with pytest.raises(ReportError, match="end after it starts"):
        period(date(2026, 11, 7), date(2026, 11, 1))


@pytest.mark.parametrize("text, expected", [
    ("yes", True), ("Yes!", True), ("yep thanks", True), ("No", False), ("nope", False),
    ("not really, it's still late", False), ("where is my refund?", None), ("yesterday's order", None)])
def test_survey_answers(text, expected):
    assert solved_answer(text) is expected


def test_turn_outcomes():
    assert turn_outcome(bot_mode("nlu_fallback")).kind == "fallback"
    assert turn_outcome(bot_mode("faq", kb_declined=True)).kind == "declined"
    assert turn_outcome(bot_mode("track_order")).kind == "answered"
    assert turn_outcome({"mode": "human"}) is None


def test_a_kept_day_is_recomputed_after_a_write_to_one_of_its_conversations(week):
    assert build_report(week.sessions, WEEK, NOW)["headline"]["contained"] == 1  # settled days now kept
    week.start = datetime(2026, 11, 2, 10, tzinfo=timezone.utc)
    week.turn("c2", 60, bot_mode("track_order"))  # c2 is understood after all
    headline = build_report(week.sessions, WEEK, NOW)["headline"]
    assert (headline["contained"], headline["containment"]) == (2, 0.3333)


def test_markdown_and_csv_exports(week):
    from bot.analytics.export import to_csv, to_markdown
    report = build_report(week.sessions, WEEK, NOW)
    markdown = to_markdown(report)
    assert "2026-11-01 to 2026-11-07" in markdown
    assert "| Containment | 16.7% | 100.0% |" in markdown
    assert "| Median first response | 7.0 min | n/a |" in markdown
    rows = to_csv(report, "headline").splitlines()
    assert rows[0] == "figure,label,unit,value,previous"
    assert "escalation_rate,Escalation rate,share,0.5,0.0" in rows
    with pytest.raises(ReportError, match="unknown table"):
        to_csv(report, "everything")


def _facts_and_hours(sessions) -> tuple[list[dict], list[tuple]]:  # noqa: ANN001
    with sessions() as session:
        facts = [{c.name: getattr(row, c.name) for c in ConversationFacts.__table__.columns}
                 for row in session.scalars(select(ConversationFacts).order_by(ConversationFacts.conversation_id))]
        hours = session.execute(select(ActivityHour.hour, ActivityHour.channel, ActivityHour.conversations,
                                       ActivityHour.customer_messages)
                                .order_by(ActivityHour.hour, ActivityHour.channel)).all()
    return facts, [tuple(h) for h in hours]


def test_every_new_session_factory_keeps_the_facts(sessions):
    """A factory made where a freed one lived once looked tracked and kept nothing."""
    engine = sessions.kw["bind"]
    for n in range(20):
        factory = track(sessionmaker(engine, expire_on_commit=False))
        with factory.begin() as session:
            session.add(Conversation(id=f"f{n}", token_hash="x", created_at=NOW))
        with factory() as session:
            assert session.get(ConversationFacts, f"f{n}") is not None, f"factory {n} kept no facts"
        del factory
        gc.collect(0)  # the factory sits in a young reference cycle


def test_the_desks_turns_keep_the_facts_a_rebuild_computes(sessions):
    """The desk stores a turn with Core statements, not through the flush listener."""
    store = ConversationStore(track(sessions))
    first, second = store.create(), store.create(channel="telegram")
    turns = [(first.id, "hi", bot_mode("greet")), (first.id, "where is my parcel", bot_mode("track_order")),
             (second.id, "asdfgh", bot_mode("nlu_fallback")), (first.id, "refund?", bot_mode("get_refund")),
             (second.id, "my card is 4111 1111 1111 1111", None), (first.id, "thanks bye", bot_mode("goodbye"))]
    for conversation_id, text, analysis in turns:
        message = store.add_customer_message(conversation_id, text)
        store.record_bot_replies(message, [{"text": "one"}, {"text": "two", "buttons": []}], analysis, {"turns": 1})
    kept = _facts_and_hours(sessions)
    by_id = {row["conversation_id"]: row for row in kept[0]}
    assert (by_id[first.id]["customer_messages"], by_id[first.id]["bot_turns"]) == (4, 4)
    assert (by_id[first.id]["topic"], by_id[first.id]["said_goodbye"]) == ("track_order", True)
    assert (by_id[second.id]["fallback_turns"], by_id[second.id]["bot_turns"]) == (1, 1)
    assert rebuild(sessions) == 2
    assert _facts_and_hours(sessions) == kept
    assert [m.text for m in store.transcript(first.id)][:3] == ["hi", "one", "two"]
