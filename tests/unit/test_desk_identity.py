"""A conversation is linked to a customer only through a valid signature from the store."""

import pytest
from fastapi.testclient import TestClient

from bot.desk.app import create_app
from bot.identity import sign
from bot.launcher import free_port
from bot.settings import Settings

SECRET = "shared-with-the-store-backend"


def client_for(desk_db_url, **overrides):
    settings = Settings(database_url=desk_db_url, rasa_url=f"http://127.0.0.1:{free_port()}",
                        identity_secret=SECRET, **overrides)
    return TestClient(create_app(settings))


def test_a_signed_customer_is_linked_to_the_conversation(desk_db_url):
    with client_for(desk_db_url) as client:
        identity = sign("C1001", SECRET).model_dump()
        response = client.post("/api/conversations", json={"identity": identity})
        assert response.status_code == 201 and response.json()["customer_id"] == "C1001"


@pytest.mark.parametrize(
    ("identity", "error"),
    [(sign("C1001", "a-guessed-secret").model_dump(), "signature does not match"),
     ({**sign("C1001", SECRET).model_dump(), "customer_id": "C1002"}, "signature does not match"),
     (sign("C1001", SECRET, ttl_s=-10).model_dump(), "expired")],
)
def test_forged_and_expired_identities_are_refused(desk_db_url, identity, error):
    with client_for(desk_db_url) as client:
        response = client.post("/api/conversations", json={"identity": identity})
        assert response.status_code == 401 and error in response.json()["error"]


def test_an_anonymous_visitor_still_gets_a_conversation(desk_db_url):
    with client_for(desk_db_url) as client:
        response = client.post("/api/conversations")
        assert response.status_code == 201 and response.json()["customer_id"] is None


def test_the_demo_signer_exists_only_in_demo_mode(desk_db_url):
    with client_for(desk_db_url) as client:
        assert client.get("/demo/identity/C1001").status_code == 404
    with client_for(desk_db_url, demo_store=True) as client:
        signed = client.get("/demo/identity/C1001").json()
        assert client.post("/api/conversations", json={"identity": signed}).json()["customer_id"] == "C1001"
