"""A fake Twilio Messages API on loopback: records each message (basic auth checked) and
answers 201 as Twilio does, or the errors a test asks for."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from bot.launcher import free_port


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.sid = account_sid
        self.messages: list[dict] = []
        self.failures: list[tuple[int, dict]] = []
        self._lock = threading.Lock()
        self.port = free_port()
        fake = self
        expected = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                if self.headers.get("Authorization") != expected:
                    return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                if self.path != f"/2010-04-01/Accounts/{fake.sid}/Messages.json":
                    return self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                with fake._lock:
                    if fake.failures:
                        status, answer = fake.failures.pop(0)
                        return self._answer(status, answer)
                    fake.messages.append(form)
                self._answer(201, {"sid": f"SM{len(fake.messages):032d}", "status": "queued", **form})

            def _answer(self, status: int, data: dict) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeTwilio:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def sent_to(self, number: str) -> list[dict]:
        with self._lock:
            return [m for m in self.messages if m.get("To") == number]
