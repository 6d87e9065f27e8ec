"""Live updates: frames pushed to customers' widgets and to agents' consoles.

Consoles get the queue on every change; a waiting customer's widget gets its place in the
queue (a frame, not a stored message, so the transcript does not fill with updates).

Each desk worker holds its own sockets. What one worker says is delivered to its own sockets
at once and, through the broker (bot.desk.broker: in-process, or Redis pub/sub when several
workers run), to the other workers' sockets: an agent's reply reaches a widget connected
to another worker, and every console sees the same queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import WebSocket

from bot.desk.broker import Broker, LocalBroker

log = logging.getLogger(__name__)


class LiveHub:
    def __init__(self, broker: Broker | None = None) -> None:
        self._customers: dict[str, set[WebSocket]] = {}
        self._consoles: dict[WebSocket, int] = {}
        self._broker = broker or LocalBroker()
        self.queue_snapshot: Callable[[], Awaitable[dict[str, Any]]] | None = None

    async def start(self) -> None:
        await self._broker.start(self._deliver, self._local_agents)

    async def stop(self) -> None:
        await self._broker.stop()

    async def agents_online(self) -> int:
        """Agents with the console open right now, on any worker."""
        return await self._broker.agents_online(self._local_agents())

    def _local_agents(self) -> set[int]:
        return set(self._consoles.values())

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
        await self._broker.agents_changed(self._local_agents())
        await self.queue_changed()

    async def leave_console(self, socket: WebSocket) -> None:
        self._consoles.pop(socket, None)
        await self._broker.agents_changed(self._local_agents())
        await self.queue_changed()

    async def to_customer(self, conversation_id: str, frame: dict[str, Any]) -> None:
        await self._say({"kind": "customer", "conversation_id": conversation_id, "frame": frame})

    async def conversation_changed(self, conversation_id: str) -> None:
        await self._say({"kind": "consoles",
                         "frame": {"type": "conversation", "conversation_id": conversation_id}})

    async def queue_changed(self) -> None:
        """Every worker pushes the queue to its consoles, and their place in it to its
        waiting customers."""
        await self._say({"kind": "queue"})

    async def _say(self, event: dict[str, Any]) -> None:
        await self._deliver(event)
        await self._broker.publish(event)

    async def _deliver(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "customer":
            await _send_all(list(self._customers.get(event["conversation_id"], ())), event["frame"])
        elif kind == "consoles":
            await _send_all(list(self._consoles), event["frame"])
        elif kind == "queue":
            await self._push_queue()

    async def _push_queue(self) -> None:
        if self.queue_snapshot is None or not (self._consoles or self._customers):
            return
        snapshot = await self.queue_snapshot()
        await _send_all(list(self._consoles), {"type": "queue", "queue": snapshot})
        await self._tell_waiting(snapshot)

    async def _tell_waiting(self, snapshot: dict[str, Any], only: str | None = None) -> None:
        waiting = [item["conversation_id"] for item in snapshot["items"] if item["status"] == "queued"]
        for position, conversation_id in enumerate(waiting, 1):
            if conversation_id in self._customers and only in (None, conversation_id):
                await _send_all(list(self._customers[conversation_id]),
                                {"type": "queue", "position": position,
                                 "agents_online": snapshot["agents_online"]})


async def _send_all(sockets: list[WebSocket], frame: dict[str, Any]) -> None:
    async def send(socket: WebSocket) -> None:
        try:
            await socket.send_json(frame)
        except Exception:  # a socket closing mid-send is cleaned up by its own handler
            log.debug("could not push to a closed socket", exc_info=True)

    await asyncio.gather(*(send(socket) for socket in sockets))
