"""Telegram: Bot API webhook in, `sendMessage` out through the outbox.

The webhook is registered with `setWebhook(secret_token=...)`; Telegram then sends that
secret in `X-Telegram-Bot-Api-Secret-Token`, compared here in constant time. Text messages
and inline-button presses (`callback_query`) reach the router; a redelivered `update_id`
changes nothing; anything else gets a polite "I can only read text here".
"""

import hmac
import logging
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, FastAPI, Header, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from bot.channels import fields
from bot.channels.delivery import Delivering
from bot.channels.outbox import SendFailed
from bot.settings import Settings

log = logging.getLogger(__name__)
CHANNEL = "telegram"
MAX_TEXT = 4096       # Bot API limit per message
MAX_CALLBACK = 64     # bytes of callback_data
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


@dataclass(frozen=True)
class TelegramConfig:
    bot_token: str
    secret_token: str
    api_url: str = "https://api.telegram.org"


def telegram_config(settings: Settings) -> TelegramConfig | None:
    """On when both the bot token and the webhook secret are set."""
    if settings.telegram_bot_token is None or settings.telegram_secret_token is None:
        return None
    return TelegramConfig(settings.telegram_bot_token.get_secret_value(),
                          settings.telegram_secret_token.get_secret_value(), settings.telegram_api_url)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Chunks under the limit, cut at a paragraph or line break where there is one."""
    chunks = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
        cut = cut if cut > limit // 2 else limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return chunks + [text] if text else chunks


def message_payloads(text: str, buttons: list[dict] | None) -> list[dict]:
    """`sendMessage` bodies (without chat_id); buttons become an inline keyboard on the last."""
    bodies = [{"method": "sendMessage", "text": chunk} for chunk in split_text(text or " ")]
    if buttons:
        bodies[-1]["reply_markup"] = {"inline_keyboard": [[{
            "text": b["title"][:64],
            "callback_data": (b.get("payload") or b["title"]).encode()[:MAX_CALLBACK].decode(errors="ignore"),
        }] for b in buttons]}
    return bodies


class TelegramSender:
    def __init__(self, config: TelegramConfig, timeout_s: float = 10.0) -> None:
        self._base = f"{config.api_url.rstrip('/')}/bot{config.bot_token}"
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def send(self, chat_id: str, payload: dict) -> None:
        body = {k: v for k, v in payload.items() if k != "method"}
        if payload["method"] == "sendMessage":
            body["chat_id"] = chat_id
        try:
            response = await self._client.post(f"{self._base}/{payload['method']}", json=body)
        except httpx.HTTPError as error:
            raise SendFailed(f"Telegram unreachable: {error!r}", retry=True) from error
        if response.status_code == 200:
            return
        try:
            data = response.json()
        except ValueError:
            data = {}
        description = data.get("description") or response.text[:200]
        if response.status_code == 429:
            retry_after = (data.get("parameters") or {}).get("retry_after")
            raise SendFailed(f"Telegram 429: {description}", retry=True,
                             retry_after_s=float(retry_after) if retry_after else None)
        raise SendFailed(f"Telegram {response.status_code}: {description}",
                         retry=response.status_code >= 500)

    async def aclose(self) -> None:
        await self._client.aclose()


def add_telegram_routes(app: FastAPI, config: TelegramConfig, delivering: Delivering) -> None:
    api = APIRouter()

    @api.post("/webhooks/telegram")
    async def telegram_webhook(
        request: Request,
        x_telegram_bot_api_secret_token: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        if not x_telegram_bot_api_secret_token or not hmac.compare_digest(
                x_telegram_bot_api_secret_token.encode(), config.secret_token.encode()):
            log.warning("telegram webhook: wrong or missing secret token from %s",
                        request.client.host if request.client else "?")
            raise HTTPException(401, "wrong or missing X-Telegram-Bot-Api-Secret-Token")
        try:
            update = await request.json()
        except ValueError:
            raise HTTPException(400, "request body is not valid JSON") from None
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            raise HTTPException(422, "not a Telegram update (no update_id)")
        return await handle_update(update)

    async def handle_update(update: dict[str, Any]) -> dict[str, Any]:
        callback = fields.obj(update.get("callback_query"))
        message = fields.obj(update.get("message")) or fields.obj(update.get("edited_message"))
        if callback:
            chat = fields.obj(fields.obj(callback.get("message")).get("chat"))
            sender, said = fields.obj(callback.get("from")), fields.text(callback.get("data")) or ""
        elif message:
            chat, sender, said = fields.obj(message.get("chat")), fields.obj(message.get("from")), fields.text(message.get("text"))
        else:
            chat, sender, said = {}, {}, None  # channel posts, membership changes: nobody wrote
        chat_id = fields.ident(chat.get("id")) or fields.ident(sender.get("id"))
        if chat_id is None or (callback and not fields.text(callback.get("id"))):
            new = await run_in_threadpool(delivering.contacts.first_time, CHANNEL, str(update["update_id"]))
            return {"ok": True} if new else {"ok": True, "duplicate": True}
        name = " ".join(filter(None, [fields.text(sender.get("first_name")), fields.text(sender.get("last_name"))])) or None
        arrival = await delivering.receive(CHANNEL, str(update["update_id"]), chat_id, name)
        if arrival is None:
            return {"ok": True, "duplicate": True}
        conversation = arrival.conversation
        if callback:  # so the button stops spinning
            await delivering.send_raw(conversation, CHANNEL, chat_id,
                                      {"method": "answerCallbackQuery", "callback_query_id": callback["id"]})
        await delivering.answer(conversation, said, describe(message))
        return {"ok": True}

    app.include_router(api)


def describe(message: dict[str, Any]) -> str:
    """What a customer sent that is not text, for the transcript."""
    kinds = ["photo", "sticker", "voice", "audio", "video", "document", "location", "contact"]
    kind = next((k for k in kinds if k in message), "message")
    return f"[{kind}]"
