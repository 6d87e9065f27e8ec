"""The escalation policy's rules, each with its reason code."""

import json

from hypothesis import given, settings, strategies as st

from bot.escalation.policy import EscalationPolicy, PolicyState, Turn
from bot.escalation.sentiment import SentimentScore

CALM = SentimentScore(0.05, 0.9, 0.05, 0.02)
UNHAPPY = SentimentScore(0.7, 0.25, 0.05, 0.4)
FURIOUS = SentimentScore(0.97, 0.02, 0.01, 0.95)
policy = EscalationPolicy.from_yaml()


def codes(turns, tier="standard"):
    return [r.code for r in policy.decide(turns, tier).reasons]


def test_a_calm_conversation_stays_with_the_bot():
    assert not policy.decide([Turn("where is my order", CALM, "track_order")]).escalate


def test_asking_for_a_person_escalates_at_once():
    assert codes([Turn("can i talk to a real person", CALM, "contact_human_agent")]) == ["customer_request"]
    assert codes([Turn("this is useless", UNHAPPY), Turn("still useless", UNHAPPY)])[0] == "customer_request"


def test_one_furious_message_or_a_negative_trend_escalates_with_high_priority():
    decision = policy.decide([Turn("WORST SERVICE EVER", FURIOUS)])
    assert decision.escalate and decision.priority == "high"
    assert codes([Turn("WORST SERVICE EVER", FURIOUS)]) == ["very_angry"]
    turns = [Turn("this is bad", UNHAPPY), Turn("still not fixed", UNHAPPY), Turn("ok then fine", CALM),
             Turn("nothing works here", UNHAPPY)]
    assert codes(turns) == ["negative_trend"]
    assert not policy.decide(turns[:2]).escalate


def test_short_answers_carry_no_mood():
    """The sentiment head reads a bare "no" as angry; it is an answer to a yes/no question."""
    assert not policy.decide([Turn("no", FURIOUS, "deny")], tier="vip").escalate
    assert not policy.decide([Turn("no", UNHAPPY), Turn("nope", UNHAPPY), Turn("#10482", UNHAPPY)]).escalate


def test_answering_the_bots_questions_is_not_a_loop():
    answers = [Turn("maya@example.com", CALM, "inform"), Turn("not sure, maybe 12", CALM, "inform"),
               Turn("it's #10482", CALM, "inform")]
    assert not policy.decide(answers).escalate


def test_vip_customers_reach_a_person_sooner():
    mildly = SentimentScore(0.55, 0.4, 0.05, 0.3)
    turns = [Turn("not great really", mildly), Turn("still waiting here", mildly), Turn("come on now", mildly)]
    assert not policy.decide(turns).escalate
    vip = policy.decide(turns, tier="vip")
    assert vip.escalate and vip.priority == "high"


def test_misunderstanding_and_loops_escalate():
    assert codes([Turn("asdf", CALM, "nlu_fallback", fallback=True),
                  Turn("qwer", CALM, "nlu_fallback", fallback=True)]) == ["not_understood"]
    loop = [Turn("where is my order", CALM, "track_order")] * 3
    assert codes(loop) == ["loop"]


def test_sensitive_topics_are_named():
    assert codes([Turn("the charger caught fire", CALM)]) == ["sensitive_safety"]
    assert codes([Turn("I will contact my lawyer", CALM)]) == ["sensitive_legal"]
    assert codes([Turn("my account was hacked", CALM)]) == ["sensitive_account_takeover"]
    assert policy.decide([Turn("there was an unauthorized charge", CALM)]).priority == "high"


def test_a_form_that_keeps_rejecting_answers_escalates():
    def answer(text):
        return Turn(text, CALM, "inform", form_question="order_form.order_id", form_rejected=True)

    asked = Turn("where is my order", CALM, "track_order", form_question="order_form.order_id")
    assert not policy.decide([asked, answer("not sure, maybe 12"), answer("the blue one")]).escalate
    assert codes([asked, answer("not sure, maybe 12"), answer("the blue one"), answer("umm 5")]) == ["form_failing"]
    moved_on = Turn("it's #10482", CALM, "inform", form_question=None)
    assert not policy.decide([asked, answer("12"), answer("blue"), moved_on]).escalate


def test_questions_the_bot_answered_mid_form_are_not_rejected_answers():
    asked = Turn("where is my package", CALM, "track_order", form_question="order_form.email")
    question = Turn("what's your return policy for sale items?", CALM, "check_refund_policy",
                    form_question="order_form.email")
    another = Turn("do you ship to canada?", CALM, "delivery_options", form_question="order_form.email")
    rejected = Turn("it's 10482x", CALM, "inform", form_question="order_form.email", form_rejected=True)
    assert not policy.decide([asked, question, another, rejected]).escalate
    assert not policy.decide([asked, rejected, question, rejected, another, rejected]).escalate


# The policy as first written: every rule over the whole list of turns. The kept state must
# decide exactly as this did, turn by turn, whatever the conversation.
def reference_decide(turns, tier="standard"):
    config = policy.config
    last = turns[-1]
    reasons = []
    rules = config["explicit_request"]
    repeats = sum(any(p in t.text.lower() for p in rules["frustration_phrases"]) for t in turns)
    if last.intent in rules["intents"] or any(p in last.text.lower() for p in rules["phrases"]):
        reasons.append("customer_request")
    elif repeats >= rules["frustration_repeats"]:
        reasons.append("customer_request")
    rules = config["sentiment"]
    factor = config["vip"]["threshold_factor"] if tier == "vip" else 1.0
    expressive = [t for t in turns if len(t.text.split()) >= rules["min_words"]]
    if expressive:
        if last is expressive[-1] and last.sentiment.anger >= rules["very_angry"] * factor:
            reasons.append("very_angry")
        if sum(t.sentiment.negative >= rules["negative"] * factor
               for t in expressive[-rules["window"]:]) >= rules["negative_turns"]:
            reasons.append("negative_trend")
    rules = config["misunderstanding"]
    if sum(t.fallback for t in turns[-rules["window"]:]) >= rules["fallbacks"]:
        reasons.append("not_understood")
    tail = [t.intent for t in turns[-rules["same_intent_repeats"]:]]
    if (len(tail) == rules["same_intent_repeats"] and tail[0] is not None and len(set(tail)) == 1
            and tail[0] not in rules["loop_ignores"]):
        reasons.append("loop")
    rejected = 0
    for turn in reversed(turns):
        if not turn.form_rejected or turn.form_question != last.form_question:
            break
        rejected += 1
    if rejected >= rules["form_retries"]:
        reasons.append("form_failing")
    text = f" {last.text.lower()} "
    reasons += [f"sensitive_{topic}" for topic, words in config["sensitive_topics"].items()
                if any(w in text for w in words)]
    return reasons


scores = st.sampled_from([CALM, UNHAPPY, FURIOUS, SentimentScore(0.61, 0.3, 0.09, 0.88)])
texts = st.sampled_from(["no", "#10482", "this is useless", "not helping at all, again", "where is my order",
                         "i want to speak to a person", "my lawyer will hear of this", "ok fine then thanks"])
turns = st.builds(Turn, texts, scores, st.sampled_from([None, "track_order", "nlu_fallback", "inform"]),
                  st.booleans(), st.sampled_from([None, "order_form.order_id", "order_form.email"]),
                  st.booleans())


@settings(max_examples=300, deadline=None)
@given(st.lists(turns, min_size=1, max_size=12), st.sampled_from(["standard", "vip"]))
def test_the_kept_state_decides_as_the_whole_conversation_would(conversation, tier):
    state = PolicyState()
    for i, turn in enumerate(conversation):
        state = PolicyState.from_json(json.loads(json.dumps(policy.observe(state, turn).to_json())))
        decided = [r.code for r in policy.judge(state, turn, tier).reasons]
        assert decided == reference_decide(conversation[: i + 1], tier)
