"""The escalation policy's rules, each with its reason code."""

from bot.escalation.policy import EscalationPolicy, Turn
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
