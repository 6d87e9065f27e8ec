"""Who can reach the studio (editors and admins; agents 403, visitors 401), CSRF on every
change, and bad input refused with a clear error and nothing changed on disk."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.desk.app import create_app
from bot.launcher import ROOT, copy_project, free_port
from bot.settings import Settings
from tests.databases import Prepare, demo_accounts

READS = [("GET", "/api/studio/inbox"), ("GET", "/api/studio/intents"), ("GET", "/api/studio/responses"),
         ("GET", "/api/studio/articles"), ("GET", "/api/studio/train"), ("GET", "/api/studio/releases"),
         ("GET", "/api/studio/audit")]
CHANGES = [("POST", "/api/studio/inbox/actions", {"item_ids": [1], "action": "ignore"}),
           ("POST", "/api/studio/intents/track_order/examples", {"text": "where has my blender got to"}),
           ("POST", "/api/studio/intents", {"name": "gift_wrap", "examples": ["a", "b"], "response": "x"}),
           ("PUT", "/api/studio/responses/utter_goodbye", {"texts": ["Bye!"]}),
           ("PUT", "/api/studio/articles/new-one.md", {"text": "---\nid: new-one\ntitle: T\ntags: [a]\n---\nBody\n"}),
           ("POST", "/api/studio/train", None), ("POST", "/api/studio/publish", {}),
           ("POST", "/api/studio/releases/1/rollback", None), ("POST", "/api/studio/git/commit", {"message": "x y z"})]


def snapshot(*folders: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def prepare_database() -> Prepare:
    return demo_accounts


@pytest.fixture
def studio(desk_db_url, tmp_path):
    project = tmp_path / "project"
    copy_project(project)
    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge_base", kb)
    settings = Settings(database_url=desk_db_url, rasa_url=f"http://127.0.0.1:{free_port()}",
                        rasa_timeout_s=2, session_secret="s" * 64, project_dir=project, kb_folder=kb,
                        run_dir=tmp_path / "run")
    app = create_app(settings)
    with TestClient(app) as client:
        yield client, project, kb


def login(client, username, password):
    response = client.post("/api/console/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


@pytest.mark.parametrize(("method", "path"), READS + [(m, p) for m, p, _ in CHANGES]
                         + [("GET", "/api/studio/conversations/x"), ("GET", "/api/studio/git")])
def test_visitors_get_401_and_agents_403(studio, method, path):
    client, _, _ = studio
    assert client.request(method, path, json={}).status_code == 401
    headers = login(client, "alex", "harbor-agent-1")
    response = client.request(method, path, headers=headers, json={})
    assert response.status_code == 403
    assert response.json()["error"] == "a agent account cannot do this"


@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_no_change_without_the_csrf_token(studio, method, path, body):
    client, project, kb = studio
    before = snapshot(project, kb)
    login(client, "ada", "harbor-admin-1")
    response = client.request(method, path, json=body)
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]
    assert snapshot(project, kb) == before


def test_editors_read_the_studio(studio):
    client, _, _ = studio
    login(client, "erin", "harbor-editor-1")
    for method, path in READS:
        assert client.request(method, path).status_code == 200, path
    intents = {i["name"]: i for i in client.get("/api/studio/intents").json()["items"]}
    assert intents["track_order"]["examples"] > 50
    assert "utter_goodbye" in client.get("/api/studio/responses").json()["items"]
    # git commits are for admins only
    assert client.get("/api/studio/git").status_code == 403


def test_an_editor_adds_an_example_and_the_audit_log_says_so(studio):
    client, project, _ = studio
    headers = login(client, "erin", "harbor-editor-1")
    response = client.post("/api/studio/intents/track_order/examples", headers=headers,
                           json={"text": "still no sign of the blender"})
    assert response.status_code == 201, response.text
    assert "still no sign of the blender" in (project / response.json()["files"][0]).read_text()
    change = client.get("/api/studio/audit").json()["items"][0]
    assert (change["who"], change["kind"], change["target"], change["after"]) == (
        "Erin Park", "example_added", "track_order", "still no sign of the blender")


@pytest.mark.parametrize(("method", "path", "body", "problem"), [
    ("POST", "/api/studio/intents", {"name": "gift wrap", "examples": ["wrap it", "gift wrap please"],
                                     "response": "We wrap."}, "no spaces"),
    ("POST", "/api/studio/intents/track_order/examples", {"text": "where is my order"}, "already"),
    ("POST", "/api/studio/intents/track_order/examples", {"text": "Cancel  my order"}, "belongs to"),
    ("PUT", "/api/studio/articles/returns-window.md", {"text": "x" * 600_000}, "limit is 200 KB"),
    ("PUT", "/api/studio/articles/returns-window.md",
     {"text": "---\nid: returns-window\ntitle: [unclosed\ntags: [a]\n---\nBody\n"}, "front matter is not valid YAML"),
    ("PUT", "/api/studio/articles/other-name.md",
     {"text": "---\nid: returns-window\ntitle: T\ntags: [a]\n---\nBody\n"}, "file name"),
])
def test_bad_input_is_refused_clearly_and_changes_nothing(studio, method, path, body, problem):
    client, project, kb = studio
    headers = login(client, "erin", "harbor-editor-1")
    before = snapshot(project, kb)
    response = client.request(method, path, headers=headers, json=body)
    assert response.status_code == 422, response.text
    assert problem in response.json()["error"]
    assert snapshot(project, kb) == before


def test_publishing_without_a_candidate_is_refused(studio):
    client, _, _ = studio
    headers = login(client, "ada", "harbor-admin-1")
    response = client.post("/api/studio/publish", headers=headers, json={})
    assert response.status_code == 409
    assert "train one first" in response.json()["error"]
