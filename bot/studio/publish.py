"""Train and publish: validate, train, run the test stories, start the candidate on a second
Rasa server, score it next to the active model, then swap servers without dropping a message.

One job at a time runs in a background thread; the page follows its steps (stage, elapsed
time, the log's last lines) through `snapshot()`. A candidate that scores below the active
model or fails a test story is published only by an admin who gives a reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.serving import (
    LOOPBACK,
    ServerFailed,
    ServerInfo,
    ServingRecord,
    free_port,
    rasa_env,
    read_record,
    start_server,
    stop_pid,
    wait_ready,
    write_record,
)
from bot.settings import Settings
from bot.studio.evaluate import Score, ScoreCache, evaluation_set, score_server
from bot.studio.releases import ReleaseLog
from bot.training import cache_dir, fingerprint, install, remember

RASA = Path(__file__).resolve().parents[2] / ".venv-rasa" / "bin" / "rasa"
STEPS = [("validate", "Check the training data (rasa data validate)"),
         ("train", "Train the candidate model"),
         ("stories", "Run the test stories"),
         ("serve", "Start the candidate on a second Rasa server"),
         ("evaluate", "Score the candidate and the active model")]
STAGE = re.compile(r"(Starting to train component|Finished training component|Training|Epochs?)"
                   r".*?['\"]?([A-Za-z]+(?:Policy|Featurizer|Classifier|Tokenizer|Extractor))?", re.I)


class PublishError(RuntimeError):
    """The request cannot be done now (the message says why)."""


@dataclass
class Step:
    name: str
    label: str
    status: str = "pending"  # pending, running, passed, failed
    detail: str = ""
    started: float | None = None
    elapsed_s: float | None = None


@dataclass
class Job:
    id: str
    started_by: str
    started_at: float
    fingerprint: str = ""
    state: str = "running"  # running, ready, failed, published, discarded
    steps: list[Step] = field(default_factory=lambda: [Step(n, label) for n, label in STEPS])
    log: deque = field(default_factory=lambda: deque(maxlen=40))
    model: Path | None = None
    server: ServerInfo | None = None
    candidate: Score | None = None
    active: Score | None = None
    stories: dict[str, Any] | None = None
    error: str | None = None

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    @property
    def verdict(self) -> dict[str, Any]:
        if self.state != "ready" and self.state != "published":
            return {"publishable": False, "why": ""}
        problems = []
        if self.stories and not self.stories["passed"]:
            problems.append(f"{self.stories['failed']} test stories fail")
        if self.candidate and self.active and self.candidate.accuracy < self.active.accuracy:
            problems.append(f"it scores {self.candidate.accuracy:.1%} against the active model's "
                            f"{self.active.accuracy:.1%}")
        return {"publishable": not problems,
                "why": "; ".join(problems) if problems else "all test stories pass and it scores "
                                                             "at least as well as the active model"}


class Publisher:
    def __init__(self, settings: Settings, releases: ReleaseLog, rasa_token: str) -> None:
        self._settings = settings
        self._project = settings.project_dir.resolve()
        self._run_dir = (settings.run_dir or self._project / "var" / "run").resolve()
        self._releases = releases
        self._token = rasa_token
        self._lock = threading.Lock()
        self._job: Job | None = None
        self._scores = ScoreCache(cache_dir() / "scores")  # each model is scored once

    # ---- the job -----------------------------------------------------------------------
    def _one_server_only(self) -> None:
        servers = len(self._settings.rasa_urls)
        if servers > 1:
            raise PublishError(f"the studio swaps one Rasa server, and this desk answers from {servers} "
                               "(ASSISTANT_RASA_URL); publish on a one-server desk, or roll the servers "
                               "to the new model as docs/deployment.md says")

    def start(self, account_name: str) -> Job:
        self._one_server_only()
        with self._lock:
            if self._job and self._job.state == "running":
                raise PublishError("a training run is already in progress")
            self._discard_candidate()
            self._job = Job(uuid.uuid4().hex[:12], account_name, time.time())
            job = self._job
        threading.Thread(target=self._run, args=(job,), name="studio-train", daemon=True).start()
        return job

    def snapshot(self) -> dict[str, Any] | None:
        job = self._job
        if job is None:
            return None
        now = time.monotonic()
        return {
            "id": job.id, "state": job.state, "started_by": job.started_by,
            "elapsed_s": round(time.time() - job.started_at, 1), "fingerprint": job.fingerprint,
            "steps": [{**asdict(s), "started": None,
                       "elapsed_s": round(now - s.started, 1) if s.status == "running" and s.started
                       else s.elapsed_s} for s in job.steps],
            "log": list(job.log), "error": job.error, "stories": job.stories,
            "candidate": asdict(job.candidate) if job.candidate else None,
            "active": asdict(job.active) if job.active else None,
            "verdict": job.verdict, "can_chat": job.state == "ready" and job.server is not None,
        }

    def _run(self, job: Job) -> None:
        try:
            self._stage(job, "validate", self._validate)
            self._stage(job, "train", self._train)
            self._parallel(job, ("stories", self._stories), ("serve", self._serve))
            self._stage(job, "evaluate", self._evaluate)
            job.state = "ready"
        except Exception as error:  # every failure ends the job with its reason on the page
            job.state, job.error = "failed", str(error)
            for step in job.steps:
                if step.status == "running":
                    step.status = "failed"
                    step.elapsed_s = round(time.monotonic() - (step.started or time.monotonic()), 1)
            self._discard_candidate(job)

    def _stage(self, job: Job, name: str, work: Any) -> None:
        step = job.step(name)
        step.status, step.started = "running", time.monotonic()
        work(job, step)
        step.status, step.elapsed_s = "passed", round(time.monotonic() - step.started, 1)

    def _parallel(self, job: Job, *stages: tuple[str, Any]) -> None:
        """Stages that only read the candidate run side by side (each is mostly one core
        loading TensorFlow and the model)."""
        errors: list[Exception] = []

        def run(name: str, work: Any) -> None:
            try:
                self._stage(job, name, work)
            except Exception as error:  # re-raised below, first one wins
                errors.append(error)

        threads = [threading.Thread(target=run, args=stage) for stage in stages]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def _command(self, job: Job, step: Step, args: list[str], failure: str) -> int:
        """Run a Rasa command in the project, its output into the job's log; the return code."""
        process = subprocess.Popen([str(RASA), *args], cwd=self._project, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, env={**os.environ, **rasa_env()})
        for line in process.stdout:
            line = line.rstrip()
            if not line:
                continue
            job.log.append(line[:300])
            stage = STAGE.search(line)
            if stage:
                step.detail = line.split(" - ")[-1][:160]
        process.wait()
        if process.returncode and failure:
            raise PublishError(f"{failure} (exit code {process.returncode}); see the log")
        return process.returncode

    def _validate(self, job: Job, step: Step) -> None:
        self._command(job, step, ["data", "validate", "--fail-on-warnings"],
                      "the training data does not validate")
        step.detail = "training data is valid"

    def _train(self, job: Job, step: Step) -> None:
        job.fingerprint = fingerprint(self._project)
        candidates = self._project / "models" / "candidates"
        candidates.mkdir(parents=True, exist_ok=True)
        self._prune(candidates)
        job.model = candidates / f"{job.fingerprint}.tar.gz"
        cached = cache_dir() / f"{job.fingerprint}.tar.gz"
        if cached.exists():
            shutil.copyfile(cached, job.model)
            step.detail = "the training data matches a model trained before; reusing it"
            return
        self._command(job, step, ["train", "--fixed-model-name", job.fingerprint, "--out",
                                  str(candidates)], "training failed")
        remember(job.model, job.fingerprint)
        step.detail = "trained"

    @staticmethod
    def _prune(candidates: Path, keep: int = 3) -> None:
        """Candidates are rebuilt from the cache on demand; published ones live in releases/."""
        for old in sorted(candidates.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)[:-keep]:
            old.unlink(missing_ok=True)

    def _stories(self, job: Job, step: Step) -> None:
        out = self._project / "results" / "studio-stories"
        shutil.rmtree(out, ignore_errors=True)
        code = self._command(job, step, ["test", "core", "--stories", "tests/test_stories.yml",
                                         "--model", str(job.model), "--out", str(out),
                                         "--fail-on-prediction-errors"], "")
        failed_file = out / "failed_test_stories.yml"
        failed = failed_file.read_text().count("- story:") if failed_file.exists() else 0
        total = (self._project / "tests" / "test_stories.yml").read_text().count("- story:")
        if code and not failed:
            raise PublishError(f"the test stories could not run (exit code {code}); see the log")
        job.stories = {"passed": code == 0, "failed": failed, "total": total}
        step.detail = "all pass" if code == 0 else f"{failed} of {total} fail"

    def _serve(self, job: Job, step: Step) -> None:
        port = free_port()
        log = self._run_dir / "logs" / f"rasa-{job.fingerprint}.log"
        process = start_server(job.model, port, self._endpoints(), self._token, log, self._project)
        job.server = ServerInfo(f"http://{LOOPBACK}:{port}", process.pid, str(job.model))
        record = read_record(self._run_dir)
        if record is not None:
            write_record(self._run_dir, ServingRecord(record.active, job.server))
        try:
            wait_ready(job.server.url, self._token, process, log)
        except ServerFailed as error:
            raise PublishError(str(error)) from None
        step.detail = f"ready on {job.server.url}"

    def _evaluate(self, job: Job, step: Step) -> None:
        examples = evaluation_set(self._project)
        if not examples:
            raise PublishError("the project has no NLU evaluation set (tests/nlu_heldout*.yml)")

        def progress(label: str) -> Any:
            return lambda done, total: setattr(step, "detail", f"{label}: {done} of {total}")

        job.candidate = self._scores.score(Path(job.server.model), examples, lambda: score_server(
            job.server.url, self._token, examples, progress("candidate")))
        record = read_record(self._run_dir)
        active_url = record.active.url if record else self._settings.rasa_urls[0]
        active_model = Path(record.active.model) if record else None
        job.active = self._scores.score(active_model, examples, lambda: score_server(
            active_url, self._token, examples, progress("active model")))
        step.detail = (f"candidate {job.candidate.accuracy:.1%}, active {job.active.accuracy:.1%} "
                       f"on {len(examples)} held-out messages")

    # ---- publish, rollback, discard ----------------------------------------------------
    def publish(self, account_id: int, is_admin: bool, reason: str | None) -> int:
        with self._lock:
            job = self._job
            if job is None or job.state != "ready" or job.server is None:
                raise PublishError("there is no candidate ready to publish; train one first")
            verdict = job.verdict
            reason = (reason or "").strip() or None
            if not verdict["publishable"]:
                if not is_admin:
                    raise PublishError(f"not published: {verdict['why']}; an admin can override "
                                       f"with a reason")
                if reason is None:
                    raise PublishError(f"not published: {verdict['why']}; give a reason to override")
            self._ensure_initial_release()
            release_copy = self._keep(job.model, job.fingerprint)
            self._swap_to(job.server)
            install(job.model, self._project, job.fingerprint)
            release = self._releases.add(str(release_copy), job.fingerprint, job.candidate.accuracy,
                                         job.active.accuracy if job.active else None,
                                         job.candidate.total, job.stories["passed"], account_id,
                                         reason if not verdict["publishable"] else None)
            job.state = "published"
            job.server = None
            return release

    def rollback(self, release_id: int, account_id: int) -> int:
        self._one_server_only()
        with self._lock:
            if self._job and self._job.state == "running":
                raise PublishError("wait for the training run to finish before rolling back")
            release = self._releases.get(release_id)
            if release is None:
                raise PublishError("no such release")
            if release.active:
                raise PublishError("that model is already serving")
            model = Path(release.model)
            if not model.exists():
                raise PublishError(f"the model file of release {release_id} is gone: {model}")
            port = free_port()
            log = self._run_dir / "logs" / f"rasa-rollback-{release_id}.log"
            process = start_server(model, port, self._endpoints(), self._token, log, self._project)
            server = ServerInfo(f"http://{LOOPBACK}:{port}", process.pid, str(model))
            try:
                wait_ready(server.url, self._token, process, log)
            except ServerFailed as error:
                stop_pid(process.pid)
                raise PublishError(str(error)) from None
            self._swap_to(server)
            install(model, self._project, release.fingerprint)
            return self._releases.add(str(model), release.fingerprint, release.accuracy, None,
                                      release.eval_size, release.stories_passed, account_id,
                                      note=f"rollback to release {release_id}")

    def discard(self) -> None:
        with self._lock:
            if self._job and self._job.state == "running":
                raise PublishError("the training run is still in progress")
            self._discard_candidate()

    def _discard_candidate(self, job: Job | None = None) -> None:
        job = job or self._job
        if job is None or job.server is None:
            return
        stop_pid(job.server.pid)
        record = read_record(self._run_dir)
        if record is not None and record.candidate == job.server:
            write_record(self._run_dir, ServingRecord(record.active))
        job.server = None
        if job.state == "ready":
            job.state = "discarded"

    def _swap_to(self, server: ServerInfo) -> None:
        """Name the new server in the serving record (every desk worker follows before its next
        message), then stop the old one once requests in flight have had time to finish."""
        record = read_record(self._run_dir)
        write_record(self._run_dir, ServingRecord(server))
        if record is not None and record.active.pid != server.pid:
            old = record.active.pid
            threading.Timer(self._settings.swap_grace_s, stop_pid, args=(old,)).start()

    def _keep(self, model: Path, current: str) -> Path:
        folder = self._project / "models" / "releases"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{current}.tar.gz"
        if not target.exists():
            shutil.copyfile(model, target)
        return target

    def _ensure_initial_release(self) -> None:
        """The model the assistant started with becomes release 1, so it can be rolled back to."""
        if self._releases.active() is not None:
            return
        record = read_record(self._run_dir)
        if record is None or not Path(record.active.model).exists():
            return
        stamp = Path(record.active.model).with_suffix("").with_suffix(".fingerprint")
        current = stamp.read_text().strip() if stamp.exists() else "initial"
        kept = self._keep(Path(record.active.model), current)
        score = self._scores.known(Path(record.active.model), evaluation_set(self._project))
        self._releases.add(str(kept), current, score.accuracy if score else None, None,
                           score.total if score else None, None, None,
                           note="the model the assistant started with")

    def _endpoints(self) -> Path:
        endpoints = self._settings.rasa_endpoints
        return endpoints if endpoints.is_absolute() else (self._project / endpoints)

    # ---- try the candidate -------------------------------------------------------------
    def chat(self, session: str, text: str) -> list[dict[str, Any]]:
        """A test conversation with the candidate: straight to its server, never stored by
        the desk, so it reaches neither the queue nor the analytics."""
        job = self._job
        if job is None or job.state != "ready" or job.server is None:
            raise PublishError("there is no candidate to try; train one first")
        response = httpx.post(f"{job.server.url}/webhooks/rest/webhook",
                              json={"sender": f"studio-{session}", "message": text}, timeout=30)
        response.raise_for_status()
        return response.json()
