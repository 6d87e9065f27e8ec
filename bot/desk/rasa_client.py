"""Client for the Rasa server's desk channel (`/webhooks/desk/webhook`,
components/desk_channel.py) and HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, or answered with an error."""


@dataclass
class Turn:
    replies: list[dict[str, Any]]  # text, buttons, custom payloads
    # Rasa's reading of the message and the open form, as the tracker's state has them
    # (latest_message, active_loop, slots.requested_slot)
    reading: dict[str, Any] = field(default_factory=dict)


class RasaClient:
    def __init__(self, base_url: str | Callable[[], str], timeout_s: float, token: str | None = None) -> None:
        """`base_url` may be a function: the serving record's URL, which a publish changes."""
        self._base_url = base_url if callable(base_url) else (lambda: base_url)
        self._client = httpx.AsyncClient(timeout=timeout_s)
        self._token = token

    def _url(self, path: str) -> str:
        return self._base_url().rstrip("/") + path

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any]) -> Turn:
        """Send one customer message; Rasa's replies and its reading of the message."""
        try:
            response = await self._client.post(
                self._url("/webhooks/desk/webhook"),
                json={"sender": sender_id, "message": text, "metadata": metadata},
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error
        body = response.json()
        replies = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(replies, list):
            raise RasaUnavailable(f"unexpected reply from Rasa: {body!r:.200}")
        return Turn(replies, body.get("reading") or {})

    async def tracker(self, sender_id: str, events: bool = False) -> dict[str, Any]:
        """The conversation as Rasa sees it: latest intent, entities and slots, and (with
        `events`) everything since the last restart. Needs `rasa run --enable-api`."""
        params = {"include_events": "AFTER_RESTART" if events else "NONE"}
        if self._token:
            params["token"] = self._token
        try:
            response = await self._client.get(self._url(f"/conversations/{sender_id}/tracker"),
                                              params=params)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error
        return response.json()

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        params = {"token": self._token} if self._token else {}
        try:
            response = await self._client.post(self._url(f"/conversations/{sender_id}/tracker/events"),
                                               params=params, json=events)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error

    async def healthy(self) -> bool:
        """Whether the Rasa server answers at all (its root says hello)."""
        try:
            response = await self._client.get(self._url("/"), timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._client.aclose()
