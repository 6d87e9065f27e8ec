"""Whether a conversation should go to a person now, and why (reason codes).

Combines an explicit request, the sentiment trend, repeated misunderstanding, sensitive
topics and the customer's tier; thresholds come from config/escalation.yml.

The policy keeps what it needs of the turns so far in a small `PolicyState` (counts and
the last few readings, never the text) that each turn updates: deciding costs the same at
message 1 and message 1,000, and the desk stores the state with the conversation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot.escalation.sentiment import SentimentScore

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "escalation.yml"


@dataclass(frozen=True)
class Turn:
    """What the policy knows about one customer message."""

    text: str
    sentiment: SentimentScore
    intent: str | None = None
    fallback: bool = False
    # The form question still open after this message ("order_form.order_id"), and whether
    # the form rejected this message as its answer (a question the bot answered is not).
    form_question: str | None = None
    form_rejected: bool = False


@dataclass(frozen=True)
class Reason:
    code: str
    detail: str


@dataclass(frozen=True)
class Decision:
    escalate: bool
    reasons: tuple[Reason, ...] = ()
    priority: str = "normal"


@dataclass(frozen=True)
class PolicyState:
    """The policy's memory of a conversation's turns since it last came back from a person."""

    turns: int = 0
    frustration: int = 0  # turns that said the bot is not helping
    recent: tuple[tuple[str | None, bool], ...] = ()  # (intent, fallback) of the last few turns
    negatives: tuple[float, ...] = ()  # negative sentiment of the last few expressive turns
    rejected: int = 0  # answers in a row the open form turned down, for `question`
    question: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> PolicyState:
        if not data:
            return cls()
        return cls(int(data.get("turns", 0)), int(data.get("frustration", 0)),
                   tuple((intent, bool(fallback)) for intent, fallback in data.get("recent", ())),
                   tuple(float(n) for n in data.get("negatives", ())), int(data.get("rejected", 0)),
                   data.get("question"))


@dataclass
class EscalationPolicy:
    config: dict = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: Path = DEFAULT_CONFIG) -> EscalationPolicy:
        return cls(yaml.safe_load(path.read_text()))

    def decide(self, turns: list[Turn], tier: str = "standard") -> Decision:
        """Judge a whole conversation so far (oldest turn first)."""
        return self.judge(self.replay(turns), turns[-1], tier) if turns else Decision(False)

    def replay(self, turns: list[Turn]) -> PolicyState:
        """The state after these turns, from a fresh start."""
        state = PolicyState()
        for turn in turns:
            state = self.observe(state, turn)
        return state

    def observe(self, state: PolicyState, turn: Turn) -> PolicyState:
        """The state after one more customer turn."""
        frustrated = any(p in turn.text.lower() for p in self.config["explicit_request"]["frustration_phrases"])
        misunderstanding = self.config["misunderstanding"]
        keep = max(misunderstanding["window"], misunderstanding["same_intent_repeats"])
        sentiment = self.config["sentiment"]
        negatives = state.negatives
        if self._expressive(turn):
            negatives = (*negatives, turn.sentiment.negative)[-sentiment["window"]:]
        rejected = 0
        if turn.form_rejected:
            rejected = state.rejected + 1 if state.rejected and state.question == turn.form_question else 1
        return replace(state, turns=state.turns + 1, frustration=state.frustration + frustrated,
                       recent=(*state.recent, (turn.intent, turn.fallback))[-keep:], negatives=negatives,
                       rejected=rejected, question=turn.form_question)

    def judge(self, state: PolicyState, last: Turn, tier: str = "standard") -> Decision:
        """Decide after `last`, the turn `state` has just observed."""
        if not state.turns:
            return Decision(False)
        reasons = [*self._explicit(state, last), *self._sentiment(state, last, tier),
                   *self._misunderstanding(state), *self._sensitive(last)]
        angry = any(r.code in ("very_angry", "negative_trend") for r in reasons)
        priority = "high" if tier == "vip" or angry or any(r.code.startswith("sensitive") for r in reasons) else "normal"
        return Decision(bool(reasons), tuple(reasons), priority if reasons else "normal")

    def _expressive(self, turn: Turn) -> bool:
        """"no" or an order number answers a question; its tone says nothing about the customer."""
        return len(turn.text.split()) >= self.config["sentiment"].get("min_words", 1)

    def _explicit(self, state: PolicyState, last: Turn) -> list[Reason]:
        rules = self.config["explicit_request"]
        text = last.text.lower()
        if last.intent in rules["intents"] or any(p in text for p in rules["phrases"]):
            return [Reason("customer_request", "the customer asked for a person")]
        if state.frustration >= rules["frustration_repeats"]:
            return [Reason("customer_request", f"said the bot is not helping {state.frustration} times")]
        return []

    def _sentiment(self, state: PolicyState, last: Turn, tier: str) -> list[Reason]:
        rules = self.config["sentiment"]
        factor = self.config["vip"]["threshold_factor"] if tier == "vip" else 1.0
        if not state.negatives:
            return []
        negative = sum(n >= rules["negative"] * factor for n in state.negatives)
        reasons = []
        if self._expressive(last) and last.sentiment.anger >= rules["very_angry"] * factor:
            reasons.append(Reason("very_angry", f"anger {last.sentiment.anger:.2f} in the last message"))
        if negative >= rules["negative_turns"]:
            reasons.append(Reason("negative_trend", f"{negative} of the last {len(state.negatives)} messages negative"))
        return reasons

    def _misunderstanding(self, state: PolicyState) -> list[Reason]:
        rules = self.config["misunderstanding"]
        recent = state.recent[-rules["window"]:]
        reasons = []
        fallbacks = sum(fallback for _, fallback in recent)
        if fallbacks >= rules["fallbacks"]:
            reasons.append(Reason("not_understood", f"{fallbacks} of the last {len(recent)} messages not understood"))
        repeats = rules["same_intent_repeats"]
        tail = [intent for intent, _ in state.recent[-repeats:]]
        if (len(tail) == repeats and tail[0] is not None and len(set(tail)) == 1
                and tail[0] not in rules.get("loop_ignores", ())):
            reasons.append(Reason("loop", f"asked '{tail[0]}' {repeats} times in a row"))
        if state.rejected >= rules.get("form_retries", state.rejected + 1):
            reasons.append(Reason("form_failing",
                                  f"{state.rejected} answers in a row not accepted for {state.question}"))
        return reasons

    def _sensitive(self, last: Turn) -> list[Reason]:
        text = f" {last.text.lower()} "
        return [Reason(f"sensitive_{topic}", f"mentions {topic.replace('_', ' ')}")
                for topic, words in self.config["sensitive_topics"].items() if any(w in text for w in words)]
