"""Client for the Rasa server's desk channel (`/webhooks/desk/webhook`,
components/desk_channel.py) and HTTP API."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

CONNECTION_FAILED = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, or answered with an error."""


@dataclass
class Turn:
    replies: list[dict[str, Any]]  # text, buttons, custom payloads
    # Rasa's reading of the message and the open form, as the tracker's state has them
    # (latest_message, active_loop, slots.requested_slot)
    reading: dict[str, Any] = field(default_factory=dict)
    # Custom actions Rasa could not reach the action server for: it answered without them.
    unreachable_actions: list[str] = field(default_factory=list)


def _home(sender_id: str | None, servers: list[str]) -> int:
    """The server a conversation's turns go to, the same every turn."""
    return zlib.crc32(sender_id.encode()) % len(servers) if sender_id else 0


class RasaClient:
    def __init__(self, servers: str | Callable[[], list[str]], timeout_s: float,
                 token: str | None = None, max_in_flight: int = 32) -> None:
        """`servers` may be a function: the serving record's URL, which a publish changes,
        or the production profile's several servers (they share the tracker and lock stores).
        At most `max_in_flight` turns go to one server at once; the others wait their turn."""
        self._servers = servers if callable(servers) else (lambda: [servers])
        # Connections are bounded by the turns in flight; idle ones are kept so that a busy
        # desk does not open a new connection per turn, but for less than the 5 s after which
        # Rasa's server (Sanic) closes them: reusing one as it closes loses the request.
        self._client = httpx.AsyncClient(timeout=timeout_s, limits=httpx.Limits(
            max_connections=None, max_keepalive_connections=None, keepalive_expiry=2.0))
        self._timeout_s = timeout_s
        self._token = token
        self._max_in_flight = max_in_flight
        self._slots: dict[str, asyncio.Semaphore] = {}

    async def _request(self, method: str, sender_id: str | None, path: str, **kwargs: Any) -> httpx.Response:
        """On the conversation's own server (the same one every turn, so its tracker is in
        that server's memory), or the next one when the connection fails: refused, or
        dropped without an answer (a server killed a moment ago; what recovery would resend
        anyway). A slow server is not skipped: it may still be answering."""
        servers = self._servers()
        first = _home(sender_id, servers)
        for server in (servers[first:] + servers[:first])[:-1]:
            try:
                return await self._client.request(method, server.rstrip("/") + path, **kwargs)
            except CONNECTION_FAILED:
                continue
        return await self._client.request(method, servers[first - 1].rstrip("/") + path, **kwargs)

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any]) -> Turn:
        """Send one customer message; Rasa's replies and its reading of the message."""
        servers = self._servers()
        server = servers[_home(sender_id, servers)]
        slots = self._slots.setdefault(server, asyncio.Semaphore(self._max_in_flight))
        try:
            await asyncio.wait_for(slots.acquire(), self._timeout_s)
        except TimeoutError as error:
            raise RasaUnavailable(f"{self._max_in_flight} turns at {server} took over {self._timeout_s:.0f} s") \
                from error
        try:
            response = await self._request("POST", sender_id, "/webhooks/desk/webhook",
                                           json={"sender": sender_id, "message": text, "metadata": metadata})
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error
        finally:
            slots.release()
        body = response.json()
        replies = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(replies, list):
            raise RasaUnavailable(f"unexpected reply from Rasa: {body!r:.200}")
        return Turn(replies, body.get("reading") or {}, list(body.get("unreachable_actions") or ()))

    async def tracker(self, sender_id: str) -> dict[str, Any]:
        """The conversation as Rasa sees it, for a handoff's summary: slots and every event
        since the last restart. Needs `rasa run --enable-api`."""
        params = {"include_events": "AFTER_RESTART"}
        if self._token:
            params["token"] = self._token
        try:
            response = await self._request("GET", sender_id, f"/conversations/{sender_id}/tracker",
                                           params=params)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error
        return response.json()

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        params = {"token": self._token} if self._token else {}
        try:
            response = await self._request("POST", sender_id, f"/conversations/{sender_id}/tracker/events",
                                           params=params, json=events)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error

    async def healthy(self) -> bool:
        """Whether a Rasa server answers at all (its root says hello)."""
        try:
            response = await self._request("GET", None, "/", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._client.aclose()
