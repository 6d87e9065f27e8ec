"""Whether the action server is up, as the desk last saw it (polled in the background).

When the action server is down, Rasa still answers: it logs the failed custom action, drops
its events and replies with whatever comes next (often "Sorry, I didn't quite get that").
The desk cannot tell that reply from a real one, so a turn with an action Rasa could not
reach the action server for (components/desk_channel.py reports them) counts as the bot
being unavailable: the message waits for recovery instead of getting a wrong answer, and
while the poll sees the action server down, messages do not go to Rasa at all."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import httpx
import yaml

log = logging.getLogger(__name__)


def health_url(endpoints: Path) -> str | None:
    """`/health` next to the action endpoint that Rasa's endpoints.yml names (with ${VAR}s
    expanded, as Rasa expands them: the production endpoints name ASSISTANT_ACTION_URL)."""
    try:
        url = (yaml.safe_load(endpoints.read_text()) or {}).get("action_endpoint", {}).get("url")
    except (OSError, yaml.YAMLError):
        return None
    if not url:
        return None
    url = os.path.expandvars(url)
    if "${" in url:
        log.warning("cannot watch the action server: %s names a variable this process lacks (%s)",
                    endpoints, url)
        return None
    return url.rsplit("/", 1)[0] + "/health"


class ActionHealth:
    def __init__(self, url: str | None, poll_s: float = 0.5) -> None:
        self._url = url
        self._poll_s = poll_s
        self._client = httpx.AsyncClient(timeout=5.0)
        self._task: asyncio.Task | None = None
        self.down_since: float | None = None  # time.monotonic() when it was first seen down

    def start(self) -> None:
        if self._url is not None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._client.aclose()

    @property
    def up(self) -> bool:
        return self.down_since is None

    async def check(self) -> bool:
        """Ask now (recovery before it resends, a turn whose actions failed)."""
        if self._url is None:
            return True
        try:
            up = (await self._client.get(self._url)).status_code == 200
        except (httpx.ConnectError, httpx.RemoteProtocolError):
            up = False  # nothing listens (it crashed), or it died mid-answer
        except httpx.HTTPError:
            return self.up  # slow under load is not down: Rasa waits for it too
        now = time.monotonic()
        if not up:
            if self.down_since is None:
                log.warning("the action server at %s is down", self._url)
                self.down_since = now
        elif self.down_since is not None:
            log.warning("the action server is back after %.0f s", now - self.down_since)
            self.down_since = None
        return up

    async def _run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self._poll_s)
