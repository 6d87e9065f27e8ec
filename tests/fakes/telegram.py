"""A fake Telegram Bot API on loopback: records what the desk calls (`sendMessage`,
`answerCallbackQuery`) and answers as the real one does, or with the errors a test asks for."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.launcher import free_port


class FakeTelegram:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[tuple[str, dict, float]] = []  # method, body, time.perf_counter()
        self.failures: list[tuple[int, dict]] = []  # answered before any success, in order
        self._lock = threading.Lock()
        self.port = free_port()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                prefix = f"/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    return self._answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                method = self.path[len(prefix):]
                with fake._lock:
                    if fake.failures:
                        status, answer = fake.failures.pop(0)
                        fake.calls.append((f"{method}:failed", body, time.perf_counter()))
                        return self._answer(status, answer)
                    fake.calls.append((method, body, time.perf_counter()))
                self._answer(200, {"ok": True, "result": {"message_id": len(fake.calls)}})

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
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def sent(self, chat_id: int | str) -> list[dict]:
        with self._lock:
            return [body for method, body, _ in self.calls if method == "sendMessage"
                    and str(body.get("chat_id")) == str(chat_id)]

    def arrivals(self, chat_id: int | str) -> list[float]:
        with self._lock:
            return [at for method, body, at in self.calls if method == "sendMessage"
                    and str(body.get("chat_id")) == str(chat_id)]

    def method_calls(self, name: str) -> list[dict]:
        with self._lock:
            return [body for method, body, _ in self.calls if method == name]
