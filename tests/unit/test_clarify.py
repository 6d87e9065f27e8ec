"""Near-ties between two requests are asked about; other fallbacks go to the articles."""

from bot.dialogue.clarify import Bars, clarification, fallback_bars

BARS = Bars(threshold=0.3, ambiguity=0.1)


def ranking(*pairs):
    return [{"name": "nlu_fallback", "confidence": 0.3}] + [{"name": n, "confidence": c} for n, c in pairs]


def test_a_near_tie_between_two_requests_is_asked_about_with_a_button_for_each():
    reply = clarification("nlu_fallback", ranking(("change_shipping_address", 0.46), ("set_up_shipping_address", 0.41)), BARS)
    assert reply.text == ("Just to be sure: do you want to change the delivery address of an order, "
                          "or add a new saved address to your account?")
    assert [b["payload"] for b in reply.buttons] == ["/change_shipping_address", "/set_up_shipping_address"]


def test_a_low_confidence_fallback_or_a_clear_intent_is_not_a_tie():
    assert clarification("nlu_fallback", ranking(("get_refund", 0.2), ("track_refund", 0.18)), BARS) is None
    assert clarification("get_refund", ranking(("get_refund", 0.5), ("track_refund", 0.45)), BARS) is None
    # Small talk is not offered as a choice.
    assert clarification("nlu_fallback", ranking(("greet", 0.45), ("thank", 0.4)), BARS) is None


def test_the_bars_are_read_from_config_yml():
    bars = fallback_bars()
    assert 0 < bars.threshold < 1 and 0 <= bars.ambiguity < 1
