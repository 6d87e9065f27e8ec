"""A fake Slack Web API on loopback: records `chat.postMessage` calls (bearer token checked)
and answers as Slack does, or with the errors a test asks for."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.launcher import free_port


class FakeSlack:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[tuple[str, dict, float]] = []
        self.failures: list[tuple[int, dict]] = []
        self._lock = threading.Lock()
        self.port = free_port()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    return self._answer(200, {"ok": False, "error": "invalid_auth"})
                method = self.path.removeprefix("/api/")
                with fake._lock:
                    if fake.failures:
                        status, answer = fake.failures.pop(0)
                        fake.calls.append((f"{method}:failed", body, time.perf_counter()))
                        return self._answer(status, answer)
                    fake.calls.append((method, body, time.perf_counter()))
                self._answer(200, {"ok": True, "channel": body.get("channel"), "ts": f"{time.time():.6f}"})

            def _answer(self, status: int, data: dict) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def posted(self, channel: str) -> list[dict]:
        with self._lock:
            return [body for method, body, _ in self.calls
                    if method == "chat.postMessage" and body.get("channel") == channel]
