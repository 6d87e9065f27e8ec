"""SMS and WhatsApp through Twilio: signed form posts in, the Messages API out (outbox).

Twilio signs each webhook: base64(HMAC-SHA1(auth token, the public URL it called + every
POST parameter's name and value, sorted by name)), in `X-Twilio-Signature`. The URL is
the one Twilio was given, so behind a proxy it comes from `ASSISTANT_PUBLIC_URL`, never
from the request. Buttons become numbered options ("Reply 1 for Yes"), and a reply of just
that number is read as the option.
"""

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

import httpx
from fastapi import APIRouter, FastAPI, Header, HTTPException, Request
from fastapi.responses import Response

from bot.channels.delivery import Delivering, chosen
from bot.channels.outbox import SendFailed
from bot.settings import Settings

log = logging.getLogger(__name__)
PATH = "/webhooks/twilio"
MAX_BODY = 1600  # characters Twilio accepts in one message body
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    webhook_url: str  # the public URL Twilio posts to: what it signs
    api_url: str = "https://api.twilio.com"


def twilio_config(settings: Settings) -> TwilioConfig | None:
    """On when the account, its auth token and the public URL are set."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.public_url):
        return None
    return TwilioConfig(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(),
                        settings.public_url.rstrip("/") + PATH, settings.twilio_api_url)


def signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def signature_valid(auth_token: str, url: str, params: dict[str, str], given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(signature(auth_token, url, params).encode(), given.encode())


def numbered(text: str, buttons: list[dict] | None) -> str:
    if not buttons:
        return text
    options = "\n".join(f"{i}. {b['title']}" for i, b in enumerate(buttons, start=1))
    choices = ", ".join(str(i) for i in range(1, len(buttons) + 1))
    return f"{text}\n\n{options}\n(Reply {choices})"


def message_payloads(text: str, buttons: list[dict] | None) -> list[dict]:
    body = numbered(text or " ", buttons)
    return [{"Body": body[i:i + MAX_BODY]} for i in range(0, len(body), MAX_BODY)]


class TwilioSender:
    """Sends from the number the customer wrote to (kept in the payload's `From`)."""

    def __init__(self, config: TwilioConfig, timeout_s: float = 10.0) -> None:
        self._url = f"{config.api_url.rstrip('/')}/2010-04-01/Accounts/{config.account_sid}/Messages.json"
        self._client = httpx.AsyncClient(timeout=timeout_s, auth=(config.account_sid, config.auth_token))

    async def send(self, recipient: str, payload: dict) -> None:
        try:
            response = await self._client.post(self._url, data={"To": recipient, **payload})
        except httpx.HTTPError as error:
            raise SendFailed(f"Twilio unreachable: {error!r}", retry=True) from error
        if response.status_code in (200, 201):
            return
        try:
            data = response.json()
        except ValueError:
            data = {}
        reason = f"Twilio {response.status_code}: {data.get('message') or response.text[:200]}"
        retry_after = response.headers.get("Retry-After")
        raise SendFailed(reason, retry=response.status_code == 429 or response.status_code >= 500,
                         retry_after_s=float(retry_after) if retry_after else None)

    async def aclose(self) -> None:
        await self._client.aclose()


def add_twilio_routes(app: FastAPI, config: TwilioConfig, delivering: Delivering) -> None:
    api = APIRouter()

    @api.post(PATH)
    async def twilio_webhook(request: Request,
                             x_twilio_signature: Annotated[str | None, Header()] = None) -> Response:
        try:  # form-encoded; blank values (an empty Body) are signed too
            params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            raise HTTPException(400, "request body is not UTF-8 form data") from None
        url = config.webhook_url + (f"?{request.url.query}" if request.url.query else "")
        if not signature_valid(config.auth_token, url, params, x_twilio_signature):
            log.warning("twilio webhook: bad signature from %s", request.client.host if request.client else "?")
            raise HTTPException(403, "bad or missing X-Twilio-Signature")
        sender, ours, sid = params.get("From", ""), params.get("To", ""), params.get("MessageSid")
        if not sender or not sid:
            raise HTTPException(422, "not a Twilio message (From and MessageSid are required)")
        channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
        arrival = await delivering.receive(channel, sid, sender, params.get("ProfileName"),
                                           reply_from=ours)
        if arrival is not None:
            text = chosen(params.get("Body", ""), arrival.options)
            await delivering.answer(arrival.conversation, text, "[media]" if params.get("NumMedia", "0") not in ("", "0")
                                    else "[empty message]")
        return Response(EMPTY_TWIML, media_type="text/xml")

    app.include_router(api)
