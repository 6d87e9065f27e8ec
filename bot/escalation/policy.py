"""Whether a conversation should go to a person now, and why (reason codes).

Combines an explicit request, the sentiment trend, repeated misunderstanding, sensitive
topics and the customer's tier; thresholds come from config/escalation.yml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass
class EscalationPolicy:
    config: dict = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: Path = DEFAULT_CONFIG) -> EscalationPolicy:
        return cls(yaml.safe_load(path.read_text()))

    def decide(self, turns: list[Turn], tier: str = "standard") -> Decision:
        """Judge the conversation so far (oldest turn first)."""
        if not turns:
            return Decision(False)
        reasons = [*self._explicit(turns), *self._sentiment(turns, tier), *self._misunderstanding(turns),
                   *self._sensitive(turns[-1])]
        angry = any(r.code in ("very_angry", "negative_trend") for r in reasons)
        priority = "high" if tier == "vip" or angry or any(r.code.startswith("sensitive") for r in reasons) else "normal"
        return Decision(bool(reasons), tuple(reasons), priority if reasons else "normal")

    def _explicit(self, turns: list[Turn]) -> list[Reason]:
        rules = self.config["explicit_request"]
        last = turns[-1]
        text = last.text.lower()
        if last.intent in rules["intents"] or any(p in text for p in rules["phrases"]):
            return [Reason("customer_request", "the customer asked for a person")]
        repeats = sum(any(p in t.text.lower() for p in rules["frustration_phrases"]) for t in turns)
        if repeats >= rules["frustration_repeats"]:
            return [Reason("customer_request", f"said the bot is not helping {repeats} times")]
        return []

    def _sentiment(self, turns: list[Turn], tier: str) -> list[Reason]:
        rules = self.config["sentiment"]
        factor = self.config["vip"]["threshold_factor"] if tier == "vip" else 1.0
        # "no" or an order number answers a question; its tone says nothing about the customer.
        expressive = [t for t in turns if len(t.text.split()) >= rules.get("min_words", 1)]
        if not expressive:
            return []
        recent = expressive[-rules["window"]:]
        negative = sum(t.sentiment.negative >= rules["negative"] * factor for t in recent)
        reasons = []
        if turns[-1] is expressive[-1] and turns[-1].sentiment.anger >= rules["very_angry"] * factor:
            reasons.append(Reason("very_angry", f"anger {turns[-1].sentiment.anger:.2f} in the last message"))
        if negative >= rules["negative_turns"]:
            reasons.append(Reason("negative_trend", f"{negative} of the last {len(recent)} messages negative"))
        return reasons

    def _misunderstanding(self, turns: list[Turn]) -> list[Reason]:
        rules = self.config["misunderstanding"]
        recent = turns[-rules["window"]:]
        reasons = []
        fallbacks = sum(t.fallback for t in recent)
        if fallbacks >= rules["fallbacks"]:
            reasons.append(Reason("not_understood", f"{fallbacks} of the last {len(recent)} messages not understood"))
        repeats = rules["same_intent_repeats"]
        tail = [t.intent for t in turns[-repeats:]]
        if (len(tail) == repeats and tail[0] is not None and len(set(tail)) == 1
                and tail[0] not in rules.get("loop_ignores", ())):
            reasons.append(Reason("loop", f"asked '{tail[0]}' {repeats} times in a row"))
        rejected = 0
        for turn in reversed(turns):
            if not turn.form_rejected or turn.form_question != turns[-1].form_question:
                break
            rejected += 1
        if rejected >= rules.get("form_retries", rejected + 1):
            reasons.append(Reason("form_failing",
                                  f"{rejected} answers in a row not accepted for {turns[-1].form_question}"))
        return reasons

    def _sensitive(self, last: Turn) -> list[Reason]:
        text = f" {last.text.lower()} "
        return [Reason(f"sensitive_{topic}", f"mentions {topic.replace('_', ' ')}")
                for topic, words in self.config["sensitive_topics"].items() if any(w in text for w in words)]
