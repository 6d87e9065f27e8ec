"""Messenger and the WhatsApp Cloud API (Meta): one webhook for both, Graph API out.

`GET /webhooks/meta` answers Meta's subscription handshake (`hub.verify_token`, compared in
constant time, then `hub.challenge` echoed). Every `POST` carries `X-Hub-Signature-256`:
`sha256=` + hex HMAC-SHA256 of the raw body with the app secret, checked in constant time.
Messenger's quick replies and postbacks, and WhatsApp's reply buttons, come back as the
option's payload.
"""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from bot.channels import fields
from bot.channels.delivery import Delivering, chosen
from bot.channels.outbox import SendFailed
from bot.settings import Settings

log = logging.getLogger(__name__)
PATH = "/webhooks/meta"
MESSENGER, WHATSAPP = "messenger", "whatsapp_cloud"
MAX_MESSENGER_TEXT = 2000
MAX_WHATSAPP_TEXT = 4096
RETRY_CODES = {1, 2, 4, 17, 32, 613, 80007, 130429, 131048, 131056}  # transient or rate limits


@dataclass(frozen=True)
class MetaConfig:
    app_secret: str
    verify_token: str
    page_token: str | None       # Messenger
    whatsapp_token: str | None   # WhatsApp Cloud API
    api_url: str = "https://graph.facebook.com/v19.0"


def meta_config(settings: Settings) -> MetaConfig | None:
    """On when the app secret, the verify token and a Messenger or WhatsApp token are set."""
    tokens = (settings.meta_page_token, settings.meta_whatsapp_token)
    if settings.meta_app_secret is None or settings.meta_verify_token is None or not any(tokens):
        return None
    return MetaConfig(settings.meta_app_secret.get_secret_value(),
                      settings.meta_verify_token.get_secret_value(),
                      *(t.get_secret_value() if t else None for t in tokens), settings.meta_api_url)


def signature_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return bool(header) and hmac.compare_digest(expected.encode(), header.encode())


def messenger_payloads(text: str, buttons: list[dict] | None) -> list[dict]:
    text = text or " "
    parts = [{"text": text[i:i + MAX_MESSENGER_TEXT]} for i in range(0, len(text), MAX_MESSENGER_TEXT)]
    if buttons:
        parts[-1]["quick_replies"] = [{"content_type": "text", "title": b["title"][:20],
                                       "payload": (b.get("payload") or b["title"])[:1000]}
                                      for b in buttons[:13]]
    return parts


def whatsapp_payloads(text: str, buttons: list[dict] | None) -> list[dict]:
    """Up to three buttons as reply buttons; more become numbered options in the text."""
    text = text or " "
    if buttons and len(buttons) > 3:
        text += "\n\n" + "\n".join(f"{i}. {b['title']}" for i, b in enumerate(buttons, start=1))
        buttons = None
    parts = [{"type": "text", "text": {"body": text[i:i + MAX_WHATSAPP_TEXT]}}
             for i in range(0, len(text), MAX_WHATSAPP_TEXT)]
    if buttons:
        last = parts[-1]["text"]["body"][:1024]
        parts[-1] = {"type": "interactive", "interactive": {
            "type": "button", "body": {"text": last},
            "action": {"buttons": [{"type": "reply", "reply": {
                "id": (b.get("payload") or b["title"])[:256], "title": b["title"][:20]}} for b in buttons]}}}
    return parts


class MetaSender:
    """Messenger through the page's token; WhatsApp from the business number the customer
    wrote to (its phone number id rides in the payload's `From`)."""

    def __init__(self, config: MetaConfig, timeout_s: float = 10.0) -> None:
        self._config = config
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def send_messenger(self, recipient: str, payload: dict) -> None:
        message = {k: v for k, v in payload.items() if k != "From"}
        await self._post(f"{self._config.api_url}/me/messages", self._config.page_token,
                         {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": message})

    async def send_whatsapp(self, recipient: str, payload: dict) -> None:
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient,
                **{k: v for k, v in payload.items() if k != "From"}}
        await self._post(f"{self._config.api_url}/{payload.get('From')}/messages",
                         self._config.whatsapp_token, body)

    async def _post(self, url: str, token: str | None, body: dict) -> None:
        if not token:
            raise SendFailed("no token is configured for this Meta channel", retry=False)
        try:
            response = await self._client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            raise SendFailed(f"Meta unreachable: {error!r}", retry=True) from error
        if response.status_code == 200:
            return
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        code = error.get("code")
        raise SendFailed(f"Meta {response.status_code}: {error.get('message') or response.text[:200]}",
                         retry=response.status_code >= 500 or response.status_code == 429 or code in RETRY_CODES)

    async def aclose(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True)
class Inbound:
    channel: str
    event_id: str
    sender: str
    reply_from: str | None
    name: str | None
    text: str | None
    kind: str  # "text", or what was sent instead ("image", "sticker", ...)


def parse(envelope: dict[str, Any]) -> list[Inbound]:
    """The customers' messages in one webhook call (Meta batches them); a field of the wrong
    type reads as missing."""
    found: list[Inbound] = []
    if envelope.get("object") == "page":
        for entry in map(fields.obj, fields.items(envelope.get("entry"))):
            for event in map(fields.obj, fields.items(entry.get("messaging"))):
                sender = fields.ident(fields.obj(event.get("sender")).get("id"))
                message, postback = fields.obj(event.get("message")), fields.obj(event.get("postback"))
                if not sender or message.get("is_echo"):
                    continue
                if postback:
                    event_id = fields.text(postback.get("mid")) or f"postback:{sender}:{event.get('timestamp')}"
                    found.append(Inbound(MESSENGER, event_id, sender, None, None,
                                         fields.text(postback.get("payload")) or fields.text(postback.get("title")),
                                         "text"))
                elif mid := fields.text(message.get("mid")):
                    said = fields.text(fields.obj(message.get("quick_reply")).get("payload")) or fields.text(
                        message.get("text"))
                    found.append(Inbound(MESSENGER, mid, sender, None, None, said, "text" if said else "attachment"))
    elif envelope.get("object") == "whatsapp_business_account":
        for entry in map(fields.obj, fields.items(envelope.get("entry"))):
            for change in map(fields.obj, fields.items(entry.get("changes"))):
                value = fields.obj(change.get("value"))
                number_id = fields.ident(fields.obj(value.get("metadata")).get("phone_number_id"))
                names = {fields.ident(c.get("wa_id")): fields.text(fields.obj(c.get("profile")).get("name"))
                         for c in map(fields.obj, fields.items(value.get("contacts")))}
                for message in map(fields.obj, fields.items(value.get("messages"))):
                    kind = fields.text(message.get("type")) or "unknown"
                    said = {"text": fields.text(fields.obj(message.get("text")).get("body")),
                            "interactive": fields.text(fields.obj(fields.obj(message.get("interactive"))
                                                                  .get("button_reply")).get("id")),
                            "button": fields.text(fields.obj(message.get("button")).get("payload"))}.get(kind)
                    message_id, sender = fields.text(message.get("id")), fields.ident(message.get("from"))
                    if message_id and sender:
                        found.append(Inbound(WHATSAPP, message_id, sender, number_id, names.get(sender), said,
                                             "text" if said else kind))
    return found


def add_meta_routes(app: FastAPI, config: MetaConfig, delivering: Delivering) -> None:
    api = APIRouter()

    @api.get(PATH)
    async def meta_handshake(mode: Annotated[str | None, Query(alias="hub.mode")] = None,
                             token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
                             challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
                             ) -> PlainTextResponse:
        if mode != "subscribe" or not token or not hmac.compare_digest(token.encode(), config.verify_token.encode()):
            raise HTTPException(403, "wrong hub.verify_token")
        return PlainTextResponse(challenge or "")

    @api.post(PATH)
    async def meta_webhook(request: Request,
                           x_hub_signature_256: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        body = await request.body()
        if not signature_valid(config.app_secret, body, x_hub_signature_256):
            log.warning("meta webhook: bad signature from %s", request.client.host if request.client else "?")
            raise HTTPException(401, "bad or missing X-Hub-Signature-256")
        try:
            envelope = json.loads(body)
        except ValueError:
            raise HTTPException(400, "request body is not valid JSON") from None
        for inbound in parse(envelope if isinstance(envelope, dict) else {}):
            arrival = await delivering.receive(inbound.channel, inbound.event_id, inbound.sender,
                                               inbound.name, reply_from=inbound.reply_from)
            if arrival is not None:
                text = inbound.text
                if text and inbound.channel == WHATSAPP:  # more than three options came as numbers
                    text = chosen(text, arrival.options)
                await delivering.answer(arrival.conversation, text, f"[{inbound.kind}]")
        return {"ok": True}

    app.include_router(api)
