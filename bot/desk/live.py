"""Live updates: frames pushed to customers' widgets and to agents' consoles.

Consoles get the queue on every change; a waiting customer's widget gets its place in the
queue (a frame, not a stored message, so the transcript does not fill with updates).

In-process, so the desk runs as one worker (it does: one uvicorn process); several workers
would need a broker such as Redis pub/sub here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import WebSocket

log = logging.getLogger(__name__)


class LiveHub:
    def __init__(self) -> None:
        self._customers: dict[str, set[WebSocket]] = {}
        self._consoles: dict[WebSocket, int] = {}
        self.queue_snapshot: Callable[[], Awaitable[dict[str, Any]]] | None = None

    def agents_online(self) -> int:
        """Agents with the console open right now."""
        return len(set(self._consoles.values()))

    async def join_customer(self, conversation_id: str, socket: WebSocket) -> None:
        self._customers.setdefault(conversation_id, set()).add(socket)
        if self.queue_snapshot is not None:
            await self._tell_waiting(await self.queue_snapshot(), only=conversation_id)

    def leave_customer(self, conversation_id: str, socket: WebSocket) -> None:
        sockets = self._customers.get(conversation_id, set())
        sockets.discard(socket)
        if not sockets:
            self._customers.pop(conversation_id, None)

    async def join_console(self, socket: WebSocket, agent_id: int) -> None:
        self._consoles[socket] = agent_id
        await self.queue_changed()

    async def leave_console(self, socket: WebSocket) -> None:
        self._consoles.pop(socket, None)
        await self.queue_changed()

    async def to_customer(self, conversation_id: str, frame: dict[str, Any]) -> None:
        await _send_all(list(self._customers.get(conversation_id, ())), frame)

    async def conversation_changed(self, conversation_id: str) -> None:
        await _send_all(list(self._consoles), {"type": "conversation", "conversation_id": conversation_id})

    async def queue_changed(self) -> None:
        """Push the queue to the consoles, and their place in it to waiting customers."""
        if self.queue_snapshot is None or not (self._consoles or self._customers):
            return
        snapshot = await self.queue_snapshot()
        await _send_all(list(self._consoles), {"type": "queue", "queue": snapshot})
        await self._tell_waiting(snapshot)

    async def _tell_waiting(self, snapshot: dict[str, Any], only: str | None = None) -> None:
        waiting = [item["conversation_id"] for item in snapshot["items"] if item["status"] == "queued"]
        for position, conversation_id in enumerate(waiting, 1):
            if conversation_id in self._customers and only in (None, conversation_id):
                await self.to_customer(conversation_id, {"type": "queue", "position": position,
                                                         "agents_online": snapshot["agents_online"]})


async def _send_all(sockets: list[WebSocket], frame: dict[str, Any]) -> None:
    async def send(socket: WebSocket) -> None:
        try:
            await socket.send_json(frame)
        except Exception:  # a socket closing mid-send is cleaned up by its own handler
            log.debug("could not push to a closed socket", exc_info=True)

    await asyncio.gather(*(send(socket) for socket in sockets))
