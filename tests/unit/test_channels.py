"""Channel payloads (split at each limit, buttons per provider), the signature schemes against
the providers' published examples, and `assistant channels telegram set-webhook`."""

from __future__ import annotations

import pytest

from bot.channels.telegram import MAX_TEXT, message_payloads, split_text
from bot.cli import main
from bot.settings import get_settings
from tests.fakes.telegram import FakeTelegram


def test_long_texts_are_split_at_a_break_under_the_limit():
    text = ("A paragraph about returns. " * 100 + "\n\n") * 3
    chunks = split_text(text)
    assert len(chunks) > 1 and all(len(c) <= MAX_TEXT for c in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())


def test_buttons_become_an_inline_keyboard_on_the_last_part():
    [body] = message_payloads("Did that answer your question?",
                              [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}])
    assert body["reply_markup"] == {"inline_keyboard": [[{"text": "Yes", "callback_data": "/affirm"}],
                                                        [{"text": "No", "callback_data": "/deny"}]]}
    long = message_payloads("x" * 5000, [{"title": "Talk to a person", "payload": "/contact_human_agent"}])
    assert len(long) == 2 and "reply_markup" not in long[0] and "reply_markup" in long[1]


@pytest.fixture
def fake(monkeypatch):
    server = FakeTelegram("42:abc").start()
    monkeypatch.setenv("ASSISTANT_TELEGRAM_BOT_TOKEN", "42:abc")
    monkeypatch.setenv("ASSISTANT_TELEGRAM_SECRET_TOKEN", "s3cret-token")
    monkeypatch.setenv("ASSISTANT_TELEGRAM_API_URL", server.url)
    monkeypatch.setenv("ASSISTANT_PUBLIC_URL", "https://support.example.com")
    get_settings.cache_clear()
    yield server
    server.stop()
    get_settings.cache_clear()


def test_set_webhook_registers_the_public_url_with_the_secret(fake, capsys):
    assert main(["channels", "telegram", "set-webhook"]) == 0
    assert fake.method_calls("setWebhook") == [{
        "url": "https://support.example.com/webhooks/telegram", "secret_token": "s3cret-token",
        "allowed_updates": ["message", "edited_message", "callback_query"]}]
    assert "now sends updates to https://support.example.com/webhooks/telegram" in capsys.readouterr().out
    assert main(["channels"]) == 0
    assert "telegram   on" in capsys.readouterr().out


def test_twilios_published_signature_example():
    from bot.channels.twilio import signature, signature_valid

    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert signature_valid("12345", url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not signature_valid("12345", url, {**params, "Digits": "9999"}, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not signature_valid("12345", url, params, None)


def test_the_x_hub_signature_256_scheme_against_githubs_published_example():
    """Meta signs webhooks exactly as GitHub does (sha256= + hex HMAC of the raw body); Meta
    publishes no test vector, GitHub does."""
    from bot.channels.meta import signature_valid

    signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_valid("It's a Secret to Everybody", b"Hello, World!", signature)
    assert not signature_valid("It's a Secret to Everybody", b"Hello, World?", signature)
    assert not signature_valid("It's a Secret to Everybody", b"Hello, World!", None)
