"""Client for the Rasa server's desk channel (`/webhooks/desk/webhook`,
components/desk_channel.py) and HTTP API.

aiohttp rather than httpx, which the rest of the desk uses: a turn's request cost the desk
about 2.9 ms of CPU through httpx and 0.2 ms through aiohttp with 32 in flight (measured
here), and this request is made once per customer message."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# Refused, or dropped without an answer: the next server may answer.
CONNECTION_FAILED = (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError)
FAILED = (aiohttp.ClientError, asyncio.TimeoutError)


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


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes

    def check(self) -> None:
        if self.status >= 400:
            raise RasaUnavailable(f"Rasa answered {self.status}: {self.body[:200]!r}")

    def json(self) -> Any:
        self.check()
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise RasaUnavailable(f"Rasa's answer is not JSON: {self.body[:200]!r}") from error


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
        self._session: aiohttp.ClientSession | None = None  # made in the loop that uses it
        self._timeout_s = timeout_s
        self._token = token
        self._max_in_flight = max_in_flight
        self._slots: dict[str, asyncio.Semaphore] = {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            # Connections are bounded by the turns in flight; idle ones are kept so that a
            # busy desk does not open a new connection per turn, but for less than the 5 s
            # after which Rasa's server (Sanic) closes them: reusing one as it closes loses
            # the request.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=2.0),
                timeout=aiohttp.ClientTimeout(total=self._timeout_s))
        return self._session

    async def _request(self, method: str, sender_id: str | None, path: str, **kwargs: Any) -> _Reply:
        """On the conversation's own server (the same one every turn, so its tracker is in
        that server's memory), or the next one when the connection fails: refused, or
        dropped without an answer (a server killed a moment ago; what recovery would resend
        anyway). A slow server is not skipped: it may still be answering. Any failure of the
        last one raises RasaUnavailable."""
        servers = self._servers()
        first = _home(sender_id, servers)
        order = servers[first:] + servers[:first]
        for server in order[:-1]:
            try:
                return await self._once(method, server, path, **kwargs)
            except CONNECTION_FAILED:
                continue
        try:
            return await self._once(method, order[-1], path, **kwargs)
        except FAILED as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error

    async def _once(self, method: str, server: str, path: str, **kwargs: Any) -> _Reply:
        async with self._client().request(method, server.rstrip("/") + path, **kwargs) as response:
            return _Reply(response.status, await response.read())

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
            reply = await self._request("POST", sender_id, "/webhooks/desk/webhook",
                                        json={"sender": sender_id, "message": text, "metadata": metadata})
        finally:
            slots.release()
        body = reply.json()
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
        reply = await self._request("GET", sender_id, f"/conversations/{sender_id}/tracker", params=params)
        return reply.json()

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        params = {"token": self._token} if self._token else {}
        reply = await self._request("POST", sender_id, f"/conversations/{sender_id}/tracker/events",
                                    params=params, json=events)
        reply.check()

    async def healthy(self) -> bool:
        """Whether a Rasa server answers at all (its root says hello)."""
        try:
            reply = await self._request("GET", None, "/", timeout=aiohttp.ClientTimeout(total=2.0))
        except RasaUnavailable:
            return False
        return reply.status == 200

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
