"""What the fake providers share: a JSON-answering HTTP server on a free loopback port that
can be told to fail (a few times, or until it is back up) the way its provider fails."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.serving import free_port


class FakeProvider:
    """Subclasses answer each POST in `handle(path, headers, body) -> (status, JSON)` and say
    what their provider's error bodies look like in `error(status)`."""

    base_path = ""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.port = free_port()
        self.failures: list[tuple[int, dict]] = []  # answered before any success, in order
        self.down = False  # while True every call gets a 503 (an outage)
        self.refused = 0  # calls answered with an error instead of being handled
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs offer
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = fake._failure() or fake.handle(self.path, self.headers, body)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def handle(self, path: str, headers, body: bytes) -> tuple[int, dict]:  # noqa: ANN001
        raise NotImplementedError

    def error(self, status: int) -> dict:
        return {"error": f"HTTP {status}"}

    def fail(self, times: int, status: int = 500) -> None:
        """The next `times` calls get `status` with the provider's error body."""
        with self.lock:
            self.failures += [(status, self.error(status))] * times

    def _failure(self) -> tuple[int, dict] | None:
        with self.lock:
            if self.down:
                self.refused += 1
                return 503, self.error(503)
            if self.failures:
                self.refused += 1
                return self.failures.pop(0)
        return None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_path}"

    def start(self):  # noqa: ANN201 (returns the subclass)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
