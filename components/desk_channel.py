"""The channel the desk talks to Rasa through: Rasa's REST webhook, plus Rasa's reading of
the message (intent, ranking, entities, sentiment) and the open form, returned with the
replies.

With the REST channel the desk had to read the tracker after each turn to learn the
intent, a second rebuild of the whole conversation per turn. Here the reading comes from
the tracker the turn just saved (components.tracker_store keeps it), so it costs the
same at message 1 and message 1,000. Unlike REST, a turn that fails inside Rasa is a 500,
so the desk keeps the message and answers it later instead of storing an empty reply.
When the action server cannot be reached, Rasa logs the failed action, drops its events
and answers anyway; the channel reports those actions (`unreachable_actions`), so the desk
knows the reply stands in for one that failed without asking the action server each turn.

Configured in credentials.yml (a custom connector): `components.desk_channel.DeskInput:`.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from components.tracker_store import CachedSQLTrackerStore

log = logging.getLogger(__name__)
# The actions of the turn in progress that could not reach the action server (None outside
# a desk turn): Rasa runs the turn in the webhook's own task, so its log records see it.
_unreachable: ContextVar[Optional[List[Text]]] = ContextVar("desk_unreachable_actions", default=None)


def _unreachable_cause(error: Optional[BaseException]) -> bool:
    """The action server refused or dropped the connection; a slow answer is not that."""
    while error is not None:
        if isinstance(error, aiohttp.ClientConnectionError) and not isinstance(error, TimeoutError):
            return True
        error = error.__cause__ or error.__context__
    return False


class _UnreachableActions(logging.Handler):
    """Rasa's processor logs an action it could not run and carries on without its events."""

    def emit(self, record: logging.LogRecord) -> None:
        failed = _unreachable.get()
        if failed is not None and record.exc_info and _unreachable_cause(record.exc_info[1]):
            named = re.search(r"action '([^']+)'", record.getMessage())
            failed.append(named.group(1) if named else "?")


logging.getLogger("rasa.core.processor").addHandler(_UnreachableActions(logging.ERROR))


def reading(tracker: Optional[DialogueStateTracker]) -> Dict[Text, Any]:
    """The parts of the tracker's state the desk records with the message."""
    if tracker is None:
        return {}
    latest = tracker.latest_message.parse_data if tracker.latest_message else {}
    return {"latest_message": {key: latest.get(key) for key in ("intent", "intent_ranking", "entities",
                                                                "sentiment")},
            "active_loop": {"name": tracker.active_loop_name},
            "slots": {"requested_slot": tracker.get_slot("requested_slot")}}


def _cache_of(store: Any) -> Optional[CachedSQLTrackerStore]:
    """Rasa wraps the configured store (fail-safe, awaitable); find ours inside."""
    while store is not None and not isinstance(store, CachedSQLTrackerStore):
        store = getattr(store, "_tracker_store", None)
    return store


class DeskInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "desk"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("desk_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender_id, text = body.get("sender"), body.get("message")
            if not isinstance(sender_id, str) or not isinstance(text, str):
                return response.json({"error": "sender and message must be strings"}, status=400)
            collector = CollectingOutputChannel()
            unreachable: List[Text] = []
            token = _unreachable.set(unreachable)
            try:
                await on_new_message(UserMessage(text, collector, sender_id, input_channel=self.name(),
                                                 metadata=body.get("metadata")))
            except Exception:
                log.exception("the turn failed in %s", sender_id)
                return response.json({"error": "the turn failed inside Rasa"}, status=500)
            finally:
                _unreachable.reset(token)
            agent = request.app.ctx.agent
            cache = _cache_of(agent.tracker_store)
            tracker = (cache.latest(sender_id) if cache is not None
                       else await agent.tracker_store.retrieve(sender_id))
            return response.json({"messages": collector.messages, "reading": reading(tracker),
                                  "unreachable_actions": unreachable})

        return webhook
