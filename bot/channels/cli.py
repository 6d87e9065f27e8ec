"""`assistant channels`: which messaging channels are on, the webhook URL to register with
each provider, and `assistant channels telegram set-webhook` to register Telegram's."""

from __future__ import annotations

import argparse
import sys

import httpx

from bot.channels.meta import meta_config
from bot.channels.slack import slack_config
from bot.channels.telegram import ALLOWED_UPDATES, telegram_config
from bot.channels.twilio import twilio_config
from bot.settings import Settings, get_settings

# Channel, the environment variables that turn it on, its webhook paths.
CHANNELS = [("telegram", ["ASSISTANT_TELEGRAM_BOT_TOKEN", "ASSISTANT_TELEGRAM_SECRET_TOKEN"],
             ["/webhooks/telegram"]),
            ("slack", ["ASSISTANT_SLACK_BOT_TOKEN", "ASSISTANT_SLACK_SIGNING_SECRET"],
             ["/webhooks/slack/events", "/webhooks/slack/interactivity"]),
            ("twilio", ["ASSISTANT_TWILIO_ACCOUNT_SID", "ASSISTANT_TWILIO_AUTH_TOKEN",
                        "ASSISTANT_PUBLIC_URL"], ["/webhooks/twilio"]),
            ("meta", ["ASSISTANT_META_APP_SECRET", "ASSISTANT_META_VERIFY_TOKEN",
                      "ASSISTANT_META_PAGE_TOKEN or ASSISTANT_META_WHATSAPP_TOKEN"], ["/webhooks/meta"])]


def webhook_url(settings: Settings, path: str) -> str:
    base = (settings.public_url or f"http://{settings.desk_host}:{settings.desk_port}").rstrip("/")
    return base + path


def list_channels(_: argparse.Namespace) -> int:
    settings = get_settings()
    on = {"telegram": telegram_config(settings) is not None, "slack": slack_config(settings) is not None,
          "twilio": twilio_config(settings) is not None, "meta": meta_config(settings) is not None}
    for name, variables, paths in CHANNELS:
        state = "on " if on[name] else "off"
        urls = ", ".join(webhook_url(settings, path) for path in paths)
        print(f"{name:<10} {state}  webhook: {urls}"
              + ("" if on[name] else f"  (set {' and '.join(variables)})"))
    if not settings.public_url:
        print("Set ASSISTANT_PUBLIC_URL to the HTTPS address providers reach the desk at.")
    return 0


def set_telegram_webhook(_: argparse.Namespace) -> int:
    settings = get_settings()
    config = telegram_config(settings)
    if config is None:
        print("Telegram is off: set ASSISTANT_TELEGRAM_BOT_TOKEN and ASSISTANT_TELEGRAM_SECRET_TOKEN.",
              file=sys.stderr)
        return 1
    if not settings.public_url or not settings.public_url.startswith("https://"):
        print("Telegram delivers webhooks to HTTPS only: set ASSISTANT_PUBLIC_URL=https://...",
              file=sys.stderr)
        return 1
    url = webhook_url(settings, "/webhooks/telegram")
    try:
        response = httpx.post(f"{config.api_url.rstrip('/')}/bot{config.bot_token}/setWebhook", timeout=30,
                              json={"url": url, "secret_token": config.secret_token,
                                    "allowed_updates": ALLOWED_UPDATES})
        data = response.json()
    except (httpx.HTTPError, ValueError) as error:
        print(f"Could not reach Telegram: {error}", file=sys.stderr)
        return 1
    if not data.get("ok"):
        print(f"Telegram refused the webhook: {data.get('description', response.text[:200])}", file=sys.stderr)
        return 1
    print(f"Telegram now sends updates to {url}.")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    channels = commands.add_parser("channels", help="messaging channels: state, webhook URLs")
    channels.set_defaults(func=list_channels)
    sub = channels.add_subparsers(dest="channel")
    telegram = sub.add_parser("telegram", help="Telegram")
    telegram_sub = telegram.add_subparsers(dest="action", required=True)
    telegram_sub.add_parser("set-webhook", help="register the desk's webhook with the Bot API") \
        .set_defaults(func=set_telegram_webhook)
