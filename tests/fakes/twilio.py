"""A fake Twilio Messages API on loopback: records each message (basic auth checked) and
answers 201 as Twilio does, or the errors a test asks for."""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl

from tests.fakes.base import FakeProvider


class FakeTwilio(FakeProvider):
    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.sid = account_sid
        self._auth = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self.messages: list[dict] = []

    def handle(self, path: str, headers, body: bytes) -> tuple[int, dict]:  # noqa: ANN001
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if headers.get("Authorization") != self._auth:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        if path != f"/2010-04-01/Accounts/{self.sid}/Messages.json":
            return 404, {"code": 20404, "message": "not found", "status": 404}
        with self.lock:
            self.messages.append(form)
            return 201, {"sid": f"SM{len(self.messages):032d}", "status": "queued", **form}

    def error(self, status: int) -> dict:
        return {"code": 20500, "message": "Internal Server Error", "status": status}

    def sent_to(self, number: str) -> list[dict]:
        with self.lock:
            return [m for m in self.messages if m.get("To") == number]
