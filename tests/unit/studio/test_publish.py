"""Publishing: who may publish a candidate that scores worse, and the swap itself (the serving
record names the new server, the old one is stopped after the grace period)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from bot.serving import LOOPBACK, ServerInfo, ServingRecord, alive, read_record, write_record
from bot.settings import Settings
from bot.studio.evaluate import Score
from bot.studio.publish import Job, Publisher, PublishError
from bot.studio.releases import ReleaseLog


def sleeper() -> subprocess.Popen:
    """Stands in for a Rasa server's process (its own session, as the real ones run)."""
    return subprocess.Popen(["sleep", "60"], start_new_session=True)


@pytest.fixture
def setup(sessions, tmp_path: Path):
    project, run_dir = tmp_path / "project", tmp_path / "run"
    (project / "models").mkdir(parents=True)
    old_model = project / "models" / "harbor.tar.gz"
    old_model.write_bytes(b"old model")
    old_model.with_suffix("").with_suffix(".fingerprint").write_text("aaaa")
    new_model = project / "models" / "bbbb.tar.gz"
    new_model.write_bytes(b"new model")
    old, new = sleeper(), sleeper()
    write_record(run_dir, ServingRecord(ServerInfo(f"http://{LOOPBACK}:1", old.pid, str(old_model))))
    publisher = Publisher(Settings(project_dir=project, run_dir=run_dir, swap_grace_s=0.2),
                          ReleaseLog(sessions), "token")

    def ready(candidate: float, active: float, stories_pass: bool = True) -> Job:
        job = Job("j1", "Erin Park", time.time(), fingerprint="bbbb", state="ready", model=new_model,
                  server=ServerInfo(f"http://{LOOPBACK}:2", new.pid, str(new_model)),
                  candidate=Score(candidate, int(candidate * 100), 100, 1.0),
                  active=Score(active, int(active * 100), 100, 1.0),
                  stories={"passed": stories_pass, "failed": 0 if stories_pass else 2, "total": 25})
        publisher._job = job
        return job

    yield publisher, ready, run_dir, project, old, new
    for process in (old, new):
        process.kill()
        process.wait()


def test_a_better_candidate_is_published_and_the_old_server_stopped(setup):
    publisher, ready, run_dir, project, old, new = setup
    ready(candidate=0.99, active=0.98)
    release = publisher.publish(account_id=None, is_admin=False, reason=None)
    assert read_record(run_dir).active.pid == new.pid
    assert (project / "models" / "harbor.tar.gz").read_bytes() == b"new model"
    assert (project / "models" / "harbor.fingerprint").read_text() == "bbbb"
    old.wait(timeout=5)  # stopped once the grace period passed
    assert alive(new.pid)
    history = publisher._releases.history()
    assert [(r.id, r.note, r.active) for r in history] == [
        (release, None, True), (1, "the model the assistant started with", False)]
    assert history[0].accuracy == 0.99 and history[0].previous_accuracy == 0.98


@pytest.mark.parametrize(("candidate", "stories_pass", "why"), [
    (0.97, True, "scores 97.0% against the active model's 98.0%"),
    (0.99, False, "2 test stories fail"),
])
def test_a_worse_candidate_needs_an_admin_and_a_reason(setup, candidate, stories_pass, why):
    publisher, ready, run_dir, _, old, _ = setup
    ready(candidate=candidate, active=0.98, stories_pass=stories_pass)
    with pytest.raises(PublishError, match="an admin can override"):
        publisher.publish(account_id=None, is_admin=False, reason="looks fine")
    with pytest.raises(PublishError, match="give a reason"):
        publisher.publish(account_id=None, is_admin=True, reason="  ")
    assert read_record(run_dir).active.pid == old.pid  # nothing swapped
    assert why in publisher.snapshot()["verdict"]["why"]
    release = publisher.publish(account_id=None, is_admin=True, reason="the refund wording is urgent")
    assert publisher._releases.get(release).override_reason == "the refund wording is urgent"


def test_nothing_to_publish_before_training(setup):
    publisher, _, _, _, _, _ = setup
    publisher._job = None
    with pytest.raises(PublishError, match="train one first"):
        publisher.publish(account_id=None, is_admin=True, reason="x")
