"""Rasa's SQL tracker store with the latest trackers kept in memory.

Rasa's SQLTrackerStore rebuilds a conversation from all its stored events on every turn,
so a turn costs more the longer the conversation is (docs/performance.md). This store keeps
the tracker it saved last, per conversation (least recently used first out), and hands it
back on the next retrieve when the database holds exactly the events it saved; anything
else (another Rasa server answered in between, a save that failed, an edit through the
HTTP API elsewhere) means the count differs and the tracker is rebuilt from the database,
as Rasa would. The database stays the source of truth, so several Rasa servers share it.

Configured in endpoints.yml (Rasa's custom tracker store):

    tracker_store:
      type: components.tracker_store.CachedSQLTrackerStore
      dialect: postgresql   # everything SQLTrackerStore takes, plus
      cached_trackers: 2000
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict, Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker


class CachedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cached_trackers: int = 2000, **kwargs: Dict[Text, Any]) -> None:
        super().__init__(*args, **kwargs)
        self._capacity = int(cached_trackers)
        # sender id -> (tracker, how many events it had when saved)
        self._saved: OrderedDict[str, tuple[DialogueStateTracker, int]] = OrderedDict()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker saved last, checked out (a second caller meanwhile reads the
        database), when the database still holds exactly its events."""
        entry = self._saved.pop(sender_id, None)
        if entry is not None:
            tracker, count = entry
            if len(tracker.events) == count and self._stored_count(sender_id) == count:
                return tracker
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        self._saved[tracker.sender_id] = (tracker, len(tracker.events))
        self._saved.move_to_end(tracker.sender_id)
        while len(self._saved) > self._capacity:
            self._saved.popitem(last=False)

    def latest(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker just saved, without checking it out (read it, do not change it)."""
        entry = self._saved.get(sender_id)
        return entry[0] if entry is not None else None

    def _stored_count(self, sender_id: Text) -> int:
        with self.session_scope() as session:
            return self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()
