"""A fake Slack Web API on loopback: records `chat.postMessage` calls (bearer token checked)
and answers as Slack does, or with the errors a test asks for."""

from __future__ import annotations

import json
import time

from tests.fakes.base import FakeProvider


class FakeSlack(FakeProvider):
    base_path = "/api"

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.calls: list[tuple[str, dict]] = []

    def handle(self, path: str, headers, body: bytes) -> tuple[int, dict]:  # noqa: ANN001
        data = json.loads(body or b"{}")
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 200, {"ok": False, "error": "invalid_auth"}
        method = path.removeprefix("/api/")
        with self.lock:
            self.calls.append((method, data))
        return 200, {"ok": True, "channel": data.get("channel"), "ts": f"{time.time():.6f}"}

    def error(self, status: int) -> dict:
        return {"ok": False, "error": "internal_error"}

    def posted(self, channel: str) -> list[dict]:
        with self.lock:
            return [body for method, body in self.calls
                    if method == "chat.postMessage" and body.get("channel") == channel]
