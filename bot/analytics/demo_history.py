"""`assistant seed --history N`: N days of plausible demo conversations, so that a fresh
`make run` shows a dashboard with something in it.

Every conversation written here has `demo = True`; the dashboard says how many of its
conversations are demo ones and can leave them out. Generated from random.Random(7) with
dates relative to today, so the same command gives the same history. Real figures only
ever come from real conversations: production never runs this.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from bot.analytics.facts import track
from bot.desk.models import Agent, Conversation, DeliveryStatus, Handoff, HandoffStatus, Message, Mode, Role, Sender
from bot.kb.feedback import KbQuestion

DEMO_HISTORY_DAYS = 90  # what `make run` writes once for the demo store
CHANNELS = (("web", 55), ("whatsapp", 14), ("telegram", 10), ("messenger", 8), ("sms", 8), ("slack", 5))
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 10, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2]
WEEKDAY_WEIGHTS = [10, 9, 9, 9, 8, 5, 4]


@dataclass(frozen=True)
class Scenario:
    """One kind of conversation: the customer's turns as (text, intent, kb outcome)."""

    name: str
    weight: int
    turns: tuple[tuple[str, str, str | None], ...]
    handoff: str | None = None  # the reason code, when a person is brought in


SCENARIOS = (
    Scenario("track", 26, (("where is my order? its been a week", "track_order", None),
                           ("ok thanks", "thank", None))),
    Scenario("refund_policy", 12, (("how long do refunds take", "check_refund_policy", "answered"),
                                   ("great, bye", "goodbye", None))),
    Scenario("address", 8, (("i need to change the delivery address", "change_shipping_address", None),
                            ("thank you!", "thank", None))),
    Scenario("rephrased", 7, (("the thing with the box", "nlu_fallback", None),
                              ("my parcel arrived damaged what do i do", "complaint", "answered"))),
    Scenario("declined", 8, (("do you price match other shops?", "out_of_scope", "declined"),)),
    Scenario("gift_wrap", 4, (("can u giftwrap", "nlu_fallback", None),)),
    Scenario("asks_person", 12, (("refund still not here", "track_refund", None),
                                 ("i want to talk to a real person", "contact_human_agent", None)),
             "customer_request"),
    Scenario("angry", 6, (("THIRD time asking, where is my money??", "get_refund", None),), "very_angry"),
    Scenario("lost", 5, (("it says error 0x3 on checkout", "nlu_fallback", None),
                         ("ERROR 0x3 when paying", "nlu_fallback", None)), "not_understood"),
)


@dataclass(frozen=True)
class HistorySummary:
    conversations: int
    messages: int
    created: bool


def _weighted(rng: random.Random, pairs: tuple | list) -> object:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class _Writer:
    def __init__(self, session: Session, rng: random.Random, agents: list[int]) -> None:
        self.session, self.rng, self.agents = session, rng, agents
        self.messages = 0

    def say(self, cid: str, at: datetime, sender: Sender, text: str, analysis: dict | None = None) -> None:
        self.session.add(Message(conversation_id=cid, sender=sender, text=text, created_at=at, analysis=analysis,
                                 status=DeliveryStatus.answered if sender == Sender.customer else None))
        self.messages += 1

    def conversation(self, start: datetime) -> None:
        rng = self.rng
        scenario = _weighted(rng, [(s, s.weight) for s in SCENARIOS])
        cid = str(uuid.uuid4())
        self.session.add(Conversation(id=cid, token_hash="demo", channel=_weighted(rng, CHANNELS),
                                      created_at=start, demo=True, mode=Mode.bot))
        self.session.flush()
        at = start
        for text, intent, kb in scenario.turns:
            at += timedelta(seconds=rng.randint(15, 120))
            analysis = {"mode": Mode.bot.value, "intent": {"name": intent, "confidence": 0.9}, "demo": True}
            if kb == "declined":
                analysis["kb_declined"] = True
            self.say(cid, at, Sender.customer, text, analysis)
            self.say(cid, at + timedelta(seconds=1), Sender.bot, "(demo reply)")
            if kb:
                self.session.add(KbQuestion(conversation_id=cid, question=text, answered=kb == "answered",
                                            helpful=rng.random() < 0.75 if kb == "answered" and rng.random() < 0.6
                                            else None, created_at=at))
        if scenario.handoff:
            self._handoff(cid, at, scenario.handoff)
        elif scenario.turns[-1][1] in ("thank", "goodbye") and rng.random() < 0.8:
            self.session.get(Conversation, cid).survey_asked_at = at
            if rng.random() < 0.55:
                solved = rng.random() < 0.82
                self.say(cid, at + timedelta(seconds=20), Sender.customer, "yes" if solved else "no")
                self.session.get(Conversation, cid).solved = solved

    def _handoff(self, cid: str, at: datetime, reason: str) -> None:
        rng = self.rng
        handoff = Handoff(conversation_id=cid, reasons=[{"code": reason, "detail": "demo"}], created_at=at,
                          summary={"demo": True}, priority=1.0)
        self.session.add(handoff)
        self.session.flush()
        wait = rng.expovariate(1 / 240)
        if rng.random() < 0.12 or not self.agents:  # the customer left before anyone came
            handoff.status, handoff.closed_at = HandoffStatus.returned, at + timedelta(seconds=wait + 1800)
            return
        handoff.agent_id = rng.choice(self.agents)
        handoff.claimed_at = at + timedelta(seconds=wait)
        handoff.status = HandoffStatus.claimed
        self.session.flush()
        reply_at = handoff.claimed_at + timedelta(seconds=rng.randint(10, 90))
        self.say(cid, reply_at, Sender.agent, "(demo agent reply)")
        self.session.flush()
        handoff.status = HandoffStatus.resolved
        handoff.closed_at = reply_at + timedelta(seconds=rng.randint(120, 1500))
        if rng.random() < 0.6:
            handoff.rating = rng.choices([1, 2, 3, 4, 5], weights=[5, 6, 10, 30, 49])[0]


def seed_history(sessions: sessionmaker[Session], days: int, per_day: int = 15,
                 today: datetime | None = None) -> HistorySummary:
    """Write `days` days of demo conversations ending yesterday, unless demo history exists."""
    if days < 1:
        raise ValueError("--history needs at least 1 day")
    track(sessions)
    with sessions() as session:
        if session.scalar(select(exists().where(Conversation.demo))):
            return HistorySummary(session.query(Conversation).filter(Conversation.demo).count(), 0, False)
        agents = list(session.scalars(select(Agent.id).where(Agent.role.in_([Role.agent, Role.admin]))))
    rng = random.Random(7)
    midnight = (today or datetime.now(timezone.utc)).replace(hour=0, minute=0, second=0, microsecond=0)
    conversations = messages = 0
    for back in range(days, 0, -1):
        day = midnight - timedelta(days=back)
        count = max(1, round(per_day * WEEKDAY_WEIGHTS[day.weekday()] / 9 * rng.uniform(0.7, 1.3)))
        with sessions.begin() as session:
            writer = _Writer(session, rng, agents)
            for _ in range(count):
                hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
                writer.conversation(day + timedelta(hours=hour, seconds=rng.randint(0, 3599)))
                session.flush()
            conversations += count
            messages += writer.messages
    return HistorySummary(conversations, messages, True)
