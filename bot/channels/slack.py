"""Slack: Events API and Block Kit button clicks in, `chat.postMessage` out through the outbox.

Every request's signature is checked with slack_sdk's SignatureVerifier (`v0:` base string,
HMAC-SHA256, constant-time comparison, 5-minute window). Slack wants an answer within 3
seconds and retries otherwise, so a request is acknowledged at once and the turn runs in
the background (the message is stored before the 200); a retry carries the same
`event_id` (or click) and changes nothing.
"""

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from slack_sdk.signature import SignatureVerifier

from bot.channels import fields
from bot.channels.delivery import ONLY_TEXT, Delivering
from bot.channels.outbox import SendFailed
from bot.desk.messaging import BotUnavailable, InvalidMessage
from bot.desk.models import Conversation, Message
from bot.settings import Settings

log = logging.getLogger(__name__)
CHANNEL = "slack"
MAX_SECTION = 3000  # characters of a section block's text
# Errors no retry can fix (https://api.slack.com/methods/chat.postMessage#errors).
PERMANENT = {"channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text",
             "invalid_auth", "account_inactive", "token_revoked", "missing_scope", "invalid_blocks"}


@dataclass(frozen=True)
class SlackConfig:
    bot_token: str
    signing_secret: str
    api_url: str = "https://slack.com/api"


def slack_config(settings: Settings) -> SlackConfig | None:
    """On when both the bot token and the signing secret are set."""
    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        return None
    return SlackConfig(settings.slack_bot_token.get_secret_value(),
                       settings.slack_signing_secret.get_secret_value(), settings.slack_api_url)


def message_payloads(text: str, buttons: list[dict] | None) -> list[dict]:
    """`chat.postMessage` bodies (without channel): the text in section blocks, buttons as an
    actions block on the last; `text` stays as the notification's fallback."""
    text = text or " "
    parts = [text[i:i + MAX_SECTION] for i in range(0, len(text), MAX_SECTION)]
    bodies = [{"text": part, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": part}}]}
              for part in parts]
    if buttons:
        bodies[-1]["blocks"].append({"type": "actions", "elements": [
            {"type": "button", "action_id": f"choice-{i}",
             "text": {"type": "plain_text", "text": b["title"][:75]},
             "value": (b.get("payload") or b["title"])[:2000]}
            for i, b in enumerate(buttons[:25])]})
    return bodies


class SlackSender:
    def __init__(self, config: SlackConfig, timeout_s: float = 10.0) -> None:
        self._url = f"{config.api_url.rstrip('/')}/chat.postMessage"
        self._client = httpx.AsyncClient(timeout=timeout_s,
                                         headers={"Authorization": f"Bearer {config.bot_token}"})

    async def send(self, channel: str, payload: dict) -> None:
        try:
            response = await self._client.post(self._url, json={"channel": channel, **payload})
        except httpx.HTTPError as error:
            raise SendFailed(f"Slack unreachable: {error!r}", retry=True) from error
        if response.status_code == 429:
            retry_after = response.headers.get("Retry-After")
            raise SendFailed("Slack 429: rate limited", retry=True,
                             retry_after_s=float(retry_after) if retry_after else None)
        if response.status_code >= 500:
            raise SendFailed(f"Slack {response.status_code}", retry=True)
        try:
            data = response.json()
        except ValueError:
            raise SendFailed(f"Slack {response.status_code}: not JSON", retry=True) from None
        if not data.get("ok"):
            error = data.get("error") or f"HTTP {response.status_code}"
            raise SendFailed(f"Slack: {error}", retry=error not in PERMANENT)

    async def aclose(self) -> None:
        await self._client.aclose()


def add_slack_routes(app: FastAPI, config: SlackConfig, delivering: Delivering,
                     verifier: SignatureVerifier | None = None) -> None:
    verifier = verifier or SignatureVerifier(config.signing_secret)
    api = APIRouter()
    tasks: set[asyncio.Task] = set()

    async def verified_body(request: Request) -> bytes:
        body = await request.body()
        try:
            body.decode()
        except UnicodeDecodeError:
            raise HTTPException(400, "request body is not UTF-8") from None
        if not verifier.is_valid_request(body, dict(request.headers)):
            log.warning("slack webhook: bad or expired signature from %s",
                        request.client.host if request.client else "?")
            raise HTTPException(401, "bad or expired X-Slack-Signature")
        return body

    def in_background(work: Any) -> None:
        task = asyncio.ensure_future(work)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    @api.post("/webhooks/slack/events")
    async def slack_events(request: Request) -> Response:
        body = await verified_body(request)
        try:
            envelope = json.loads(body)
        except ValueError:
            raise HTTPException(400, "request body is not valid JSON") from None
        if not isinstance(envelope, dict):
            raise HTTPException(422, "expected a JSON object (an Events API envelope)")
        if envelope.get("type") == "url_verification":
            return JSONResponse({"challenge": envelope.get("challenge")})
        event, event_id = fields.obj(envelope.get("event")), fields.text(envelope.get("event_id"))
        if envelope.get("type") != "event_callback" or not event_id:
            return JSONResponse({"ok": True})
        user, channel = fields.text(event.get("user")), fields.text(event.get("channel"))
        wanted = (event.get("type") == "message" and not event.get("subtype")
                  and not event.get("bot_id") and user and channel)
        if not wanted:  # the bot's own messages, edits, joins: nobody wrote to the bot
            return JSONResponse({"ok": True})
        await take(event_id, channel, user, fields.text(event.get("text")) or "")
        return JSONResponse({"ok": True})

    @api.post("/webhooks/slack/interactivity")
    async def slack_interactivity(request: Request) -> Response:
        body = await verified_body(request)
        try:
            payload = json.loads(parse_qs(body.decode())["payload"][0])
        except (KeyError, IndexError, ValueError, UnicodeDecodeError):
            raise HTTPException(400, "expected a form field `payload` holding JSON") from None
        if not isinstance(payload, dict):
            raise HTTPException(422, "expected `payload` to hold a JSON object")
        if payload.get("type") != "block_actions" or not payload.get("actions"):
            return Response(status_code=200)
        actions = fields.items(payload["actions"])
        action, user = fields.obj(actions[0] if actions else None), fields.text(fields.obj(payload.get("user")).get("id"))
        channel = (fields.text(fields.obj(payload.get("channel")).get("id"))
                   or fields.text(fields.obj(payload.get("container")).get("channel_id")))
        click = fields.text(payload.get("trigger_id")) or fields.text(action.get("action_ts"))
        if not user or not channel or not click:
            return Response(status_code=200)
        await take(f"click:{click}", channel, user, fields.text(action.get("value")) or "")
        return Response(status_code=200)

    async def take(event_id: str, channel: str, user: str, text: str) -> None:
        """Store the message before Slack gets its 200; the turn itself runs afterwards."""
        arrival = await delivering.receive(CHANNEL, event_id, channel, user)
        if arrival is None:
            return  # a retry of an event already taken
        conversation = arrival.conversation
        if not text.strip():
            await delivering.unsupported(conversation, "[file or attachment]", ONLY_TEXT)
            return
        try:
            message = await delivering.router.accept(conversation, text)
        except InvalidMessage as error:
            await delivering.notice(conversation, str(error))
            return
        in_background(turn(conversation, message))

    async def turn(conversation: Conversation, message: Message) -> None:
        try:
            exchange = await delivering.router.answer(conversation, message)
            await delivering.replies(conversation, exchange.replies)
        except BotUnavailable:
            await delivering.delayed(conversation)
        except Exception:  # the request was acknowledged: log, never raise into the void
            log.exception("slack: could not answer message %s", message.id)

    app.include_router(api)

