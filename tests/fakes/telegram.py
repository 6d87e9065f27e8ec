"""A fake Telegram Bot API on loopback: records what the desk calls (`sendMessage`,
`answerCallbackQuery`, `setWebhook`) and answers as the real one does, or with the errors
a test asks for."""

from __future__ import annotations

import json
import time

from tests.fakes.base import FakeProvider


class FakeTelegram(FakeProvider):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.calls: list[tuple[str, dict, float]] = []  # method, body, time.perf_counter()

    def handle(self, path: str, headers, body: bytes) -> tuple[int, dict]:  # noqa: ANN001
        data = json.loads(body or b"{}")
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix):]
        with self.lock:
            self.calls.append((method, data, time.perf_counter()))
            return 200, {"ok": True, "result": {"message_id": len(self.calls)}}

    def error(self, status: int) -> dict:
        return {"ok": False, "error_code": status, "description": "Internal Server Error"}

    def sent(self, chat_id: int | str) -> list[dict]:
        with self.lock:
            return [body for method, body, _ in self.calls if method == "sendMessage"
                    and str(body.get("chat_id")) == str(chat_id)]

    def arrivals(self, chat_id: int | str) -> list[float]:
        with self.lock:
            return [at for method, body, at in self.calls if method == "sendMessage"
                    and str(body.get("chat_id")) == str(chat_id)]

    def method_calls(self, name: str) -> list[dict]:
        with self.lock:
            return [body for method, body, _ in self.calls if method == name]
