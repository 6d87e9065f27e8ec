"""A fake Graph API on loopback for Messenger (`/me/messages`) and the WhatsApp Cloud API
(`/{phone-number-id}/messages`): records each send (bearer token checked)."""

from __future__ import annotations

import json

from tests.fakes.base import FakeProvider


class FakeMeta(FakeProvider):
    base_path = "/v19.0"

    def __init__(self, page_token: str, whatsapp_token: str) -> None:
        super().__init__()
        self._tokens = {f"Bearer {page_token}", f"Bearer {whatsapp_token}"}
        self.sends: list[tuple[str, dict]] = []

    def handle(self, path: str, headers, body: bytes) -> tuple[int, dict]:  # noqa: ANN001
        data = json.loads(body or b"{}")
        if headers.get("Authorization") not in self._tokens:
            return 401, {"error": {"message": "Invalid OAuth access token", "code": 190}}
        with self.lock:
            self.sends.append((path, data))
            n = len(self.sends)
        return 200, {"message_id": f"m.{n}", "messages": [{"id": f"wamid.{n}"}]}

    def error(self, status: int) -> dict:
        return {"error": {"message": "An unexpected error has occurred. Please retry your request later.",
                          "type": "OAuthException", "code": 2, "is_transient": True}}

    def messenger_to(self, psid: str) -> list[dict]:
        with self.lock:
            return [b["message"] for path, b in self.sends
                    if path.endswith("/me/messages") and b["recipient"]["id"] == psid]

    def whatsapp_to(self, number: str) -> list[tuple[str, dict]]:
        with self.lock:
            return [(path, b) for path, b in self.sends
                    if b.get("messaging_product") == "whatsapp" and b["to"] == number]
