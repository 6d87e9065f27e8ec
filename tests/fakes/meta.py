"""A fake Graph API on loopback for Messenger (`/me/messages`) and the WhatsApp Cloud API
(`/{phone-number-id}/messages`): records each send (bearer token checked)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.launcher import free_port


class FakeMeta:
    def __init__(self, page_token: str, whatsapp_token: str) -> None:
        self.sends: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        self.port = free_port()
        fake = self
        tokens = {f"Bearer {page_token}": "messenger", f"Bearer {whatsapp_token}": "whatsapp"}

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if self.headers.get("Authorization") not in tokens:
                    return self._answer(401, {"error": {"message": "Invalid OAuth access token", "code": 190}})
                with fake._lock:
                    fake.sends.append((self.path, body))
                self._answer(200, {"message_id": f"m.{len(fake.sends)}", "messages": [{"id": f"wamid.{len(fake.sends)}"}]})

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
        return f"http://127.0.0.1:{self.port}/v19.0"

    def start(self) -> FakeMeta:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def messenger_to(self, psid: str) -> list[dict]:
        with self._lock:
            return [b["message"] for path, b in self.sends
                    if path.endswith("/me/messages") and b["recipient"]["id"] == psid]

    def whatsapp_to(self, number: str) -> list[tuple[str, dict]]:
        with self._lock:
            return [(path, b) for path, b in self.sends if b.get("messaging_product") == "whatsapp" and b["to"] == number]
