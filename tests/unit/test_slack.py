"""Slack's signature check holds for Slack's own published example, and payloads fit Block Kit."""

from __future__ import annotations

from slack_sdk.signature import Clock, SignatureVerifier

from bot.channels.slack import MAX_SECTION, message_payloads

# From Slack's "Verifying requests from Slack" (the worked example).
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TIMESTAMP = "1531420618"
BODY = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


class At(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def test_slacks_published_example_verifies_and_a_changed_byte_does_not():
    verifier = SignatureVerifier(SECRET, clock=At(float(TIMESTAMP)))
    assert verifier.is_valid(BODY, TIMESTAMP, SIGNATURE)
    assert not verifier.is_valid(BODY.replace("foobar", "foobaz"), TIMESTAMP, SIGNATURE)
    assert not SignatureVerifier(SECRET, clock=At(float(TIMESTAMP) + 301)).is_valid(BODY, TIMESTAMP, SIGNATURE)


def test_long_texts_are_split_into_sections_and_buttons_come_last():
    bodies = message_payloads("x" * (MAX_SECTION + 10), [{"title": "Yes", "payload": "/affirm"}])
    assert [len(b["text"]) for b in bodies] == [MAX_SECTION, 10]
    assert bodies[1]["blocks"][-1] == {"type": "actions", "elements": [{
        "type": "button", "action_id": "choice-0", "text": {"type": "plain_text", "text": "Yes"},
        "value": "/affirm"}]}
