import pytest

from bot.dialogue.values import parse_email, parse_order_id, unrecognised_answer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("10482", "10482"), ("#10482", "10482"), ("order # 55821 please", "55821"),
     (["77310", "12345"], "77310"), ("12345678", "12345678")],
)
def test_order_numbers_are_normalised_to_digits(raw, expected):
    assert parse_order_id(raw) == expected


@pytest.mark.parametrize("raw", ["123", "123456789", "abc", "", None, [], "10.4826"])
def test_values_that_are_not_order_numbers_are_rejected(raw):
    assert parse_order_id(raw) is None


def test_emails_are_trimmed_and_lower_cased():
    assert parse_email(" Jane.Doe@Example.COM. ") == "jane.doe@example.com"
    assert parse_email(["sam@example.org"]) == "sam@example.org"


@pytest.mark.parametrize("raw", ["jane@", "@example.com", "jane example.com", "jane@example", None])
def test_malformed_emails_are_rejected(raw):
    assert parse_email(raw) is None


def test_an_answer_without_the_entity_is_handed_to_validation():
    assert unrecognised_answer("inform", [], "order_id", "maybe 12") == "maybe 12"


def test_recognised_answers_and_other_questions_are_left_alone():
    assert unrecognised_answer("inform", [{"entity": "order_id"}], "order_id", "10482") is None
    assert unrecognised_answer("check_payment_methods", [], "order_id", "paypal?") is None


def test_an_unclassifiable_answer_is_also_validated():
    assert unrecognised_answer("nlu_fallback", [], "email", "jane at example") == "jane at example"


def test_a_value_for_another_question_is_not_judged_as_this_one():
    # Asked for the e-mail, the customer gave the order number: it is kept, not an error.
    assert unrecognised_answer("inform", [{"entity": "order_id"}], "email", "it's 10482") is None
    assert unrecognised_answer("inform", [{"entity": "email"}], "order_id", "jane@example.com") is None


def test_an_unclassified_question_mid_form_is_not_an_answer():
    assert unrecognised_answer("nlu_fallback", [], "email", "what's your return policy for sale items?") is None
    assert unrecognised_answer("nlu_fallback", [], "email", "do you ship to canada") is None


def test_a_garbled_answer_read_as_small_talk_is_still_checked_but_a_question_is_not():
    assert unrecognised_answer("out_of_scope", [], "order_id", "not sure, maybe 12") == "not sure, maybe 12"
    assert unrecognised_answer("out_of_scope", [], "order_id", "what's the weather like?") is None
