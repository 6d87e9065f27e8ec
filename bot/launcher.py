"""Starts the Rasa server, the action server and the desk on loopback, and stops them.

`make run` and the integration tests use the same code, so what the tests start is what
a user runs.
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from bot.analytics.demo_history import seed_history
from bot.console.accounts import AccountStore, seed_demo_accounts
from bot.datastores import LocalDatastores
from bot.db import make_engine, make_session_factory
from bot.deployment import (
    ACTION_WORKERS,
    ACTIONS,
    DESK,
    PRODUCTION_ENDPOINTS,
    RASA,
    action_args,
    desk_args,
    rasa_store_env,
)
from bot.desk.migrate import create_tracker_database, upgrade_database
from bot.profiles.seed import seed
from bot.serving import (
    LOOPBACK,
    ROOT,
    ServerInfo,
    ServingRecord,
    alive,
    free_port,
    rasa_command,
    read_record,
    stop_pid,
    write_record,
)

log = logging.getLogger(__name__)

class StackFailed(RuntimeError):
    """A process exited or did not become healthy in time; the message has its log's tail."""


@dataclass
class Ports:
    rasa: int = 5005
    actions: int = 5055
    desk: int = 8000
    # The production profile's further Rasa servers and desk workers.
    more_rasa: tuple[int, ...] = ()
    more_desk: tuple[int, ...] = ()

    @classmethod
    def free(cls, rasa_servers: int = 1, desk_workers: int = 1) -> Ports:
        return cls(free_port(), free_port(), free_port(),
                   tuple(free_port() for _ in range(rasa_servers - 1)),
                   tuple(free_port() for _ in range(desk_workers - 1)))

    @classmethod
    def consecutive(cls, rasa: int, actions: int, desk: int, rasa_servers: int = 1,
                    desk_workers: int = 1) -> Ports:
        return cls(rasa, actions, desk, tuple(range(rasa + 1, rasa + rasa_servers)),
                   tuple(range(desk + 1, desk + desk_workers)))

    @property
    def action_url(self) -> str:
        """The action server's webhook, as Rasa's endpoints name it."""
        return f"http://{LOOPBACK}:{self.actions}/webhook"

    @property
    def all_rasa(self) -> tuple[int, ...]:
        return (self.rasa, *self.more_rasa)

    @property
    def all_desk(self) -> tuple[int, ...]:
        return (self.desk, *self.more_desk)


@dataclass
class Service:
    name: str
    command: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    started_at: float = 0.0


class Stack:
    @classmethod
    def isolated(cls, model: Path, workdir: Path, env: dict[str, str] | None = None,
                 production: Ports | None = None, action_workers: int = ACTION_WORKERS) -> Stack:
        """A stack on free ports whose databases, logs and copies of the knowledge base and
        the Rasa project (what the studio edits) live in `workdir` (tests, benchmarks);
        embeddings and trained models still come from the shared caches. With `production`
        (its ports: `Ports.free(rasa_servers, desk_workers)`), the production profile on
        throwaway PostgreSQL and Redis servers."""
        if production is not None:
            return cls.production(model, workdir, production, action_workers,
                                  env=_isolated_env(workdir, env), durable=False)
        ports = Ports.free()
        endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
        endpoints["action_endpoint"]["url"] = ports.action_url
        endpoints["tracker_store"]["db"] = str(workdir / "tracker.db")
        endpoints_path = workdir / "endpoints.yml"
        workdir.mkdir(parents=True, exist_ok=True)
        endpoints_path.write_text(yaml.safe_dump(endpoints))
        return cls(model, ports, endpoints_path, workdir / "logs",
                   database_url=f"sqlite:///{workdir / 'desk.db'}", run_dir=workdir / "run",
                   env=_isolated_env(workdir, env))

    @classmethod
    def production(cls, model: Path, workdir: Path, ports: Ports, action_workers: int = ACTION_WORKERS,
                   database_url: str | None = None, redis_url: str | None = None,
                   env: dict[str, str] | None = None, durable: bool = True) -> Stack:
        """The production profile (docs/deployment.md): the desk and Rasa on PostgreSQL, Rasa's
        lock store, the live hub and the desk's locks on Redis, several Rasa servers, desk
        workers and action-server workers. PostgreSQL and Redis are the URLs given, or
        Debian's servers started on loopback with their data in `workdir`."""
        datastores = None
        if database_url is None or redis_url is None:
            datastores = LocalDatastores(workdir, durable)
            database_url = database_url or datastores.database_url
            redis_url = redis_url or datastores.redis_url
        rasa_env = rasa_store_env(database_url, redis_url, ports.action_url)
        return cls(model, ports, ROOT / PRODUCTION_ENDPOINTS, workdir / "logs", database_url,
                   run_dir=workdir / "run", action_workers=action_workers, datastores=datastores,
                   env={"ASSISTANT_REDIS_URL": redis_url, **(env or {})}, rasa_env=rasa_env)

    def __init__(self, model: Path, ports: Ports, endpoints: Path, log_dir: Path,
                 database_url: str, env: dict[str, str] | None = None,
                 run_dir: Path = ROOT / "var" / "run", action_workers: int = 1,
                 datastores: LocalDatastores | None = None,
                 rasa_env: dict[str, str] | None = None) -> None:
        self.ports = ports
        self.endpoints = endpoints
        self.log_dir = log_dir
        self.run_dir = run_dir
        self.model = model
        self.database_url = database_url
        self.env = env or {}
        self.datastores = datastores
        # Rasa's HTTP API is on for the desk (trackers), behind a token only the desk knows.
        self.rasa_token = self.env.get("ASSISTANT_RASA_TOKEN") or secrets.token_hex(24)
        base_env = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
                    "PYTHONUNBUFFERED": "1", "ASSISTANT_DATABASE_URL": database_url, **self.env}
        # The token is on Rasa's command line; deployments pass it in through this variable.
        rasa_env = {**base_env, "PYTHONPATH": str(ROOT), "ASSISTANT_RASA_TOKEN": self.rasa_token,
                    **(rasa_env or {})}
        rasa_urls = ",".join(f"http://{LOOPBACK}:{port}" for port in ports.all_rasa)
        desk_env = {**base_env, "ASSISTANT_RASA_URL": rasa_urls, "ASSISTANT_RASA_TOKEN": self.rasa_token,
                    "ASSISTANT_RUN_DIR": str(run_dir), "ASSISTANT_RASA_ENDPOINTS": str(endpoints),
                    # The desk watches the action server Rasa's endpoints name.
                    "ASSISTANT_ACTION_URL": ports.action_url}
        self._desk_turns = itertools.cycle(self.desk_urls)
        self.services = [
            Service("actions", [sys.executable, *action_args(LOOPBACK, ports.actions, action_workers)],
                    f"http://{LOOPBACK}:{ports.actions}{ACTIONS.health_path}", base_env),
            *(Service(_numbered("rasa", i), rasa_command(model, port, endpoints, self.rasa_token),
                      f"http://{LOOPBACK}:{port}{RASA.health_path}", rasa_env)
              for i, port in enumerate(ports.all_rasa)),
            *(Service(_numbered("desk", i), [sys.executable, *desk_args(LOOPBACK, port)],
                      f"http://{LOOPBACK}:{port}{DESK.health_path}", desk_env)
              for i, port in enumerate(ports.all_desk)),
        ]

    @property
    def desk_url(self) -> str:
        """A desk worker's address: with several, the next one each time it is read, as a
        round-robin load balancer would hand them out (so the tests cross workers)."""
        return next(self._desk_turns)

    @property
    def desk_urls(self) -> list[str]:
        """Every desk worker (the production profile runs several, each on its own port)."""
        return [f"http://{LOOPBACK}:{port}" for port in self.ports.all_desk]

    @property
    def rasa_url(self) -> str:
        """The Rasa server that answers customers now (the studio may have swapped it)."""
        record = read_record(self.run_dir)
        return record.active.url if record else f"http://{LOOPBACK}:{self.ports.rasa}"

    def start(self, seed_demo: bool = True, demo_history_days: int = 0) -> None:
        """Start PostgreSQL and Redis when this stack runs them, migrate the shared database
        (and add the demo customers, console accounts and dashboard history once), then start
        the processes, the action server first."""
        if self.datastores is not None:
            self.datastores.start()
        upgrade_database(self.database_url)
        create_tracker_database(self.database_url)
        if seed_demo:
            engine = make_engine(self.database_url)
            sessions = make_session_factory(engine)
            seed(sessions)
            if self.env.get("ASSISTANT_DEMO_STORE", os.environ.get("ASSISTANT_DEMO_STORE")) == "true":
                seed_demo_accounts(AccountStore(sessions))  # known passwords: demo only
            if demo_history_days:
                seed_history(sessions, demo_history_days)  # once: a dashboard with something in it
            engine.dispose()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for service in self.services:
            service.log_path = self.log_dir / f"{service.name}.log"
            self._spawn(service, "wb")
            if service.name == "rasa":
                self._record_rasa(service)

    def restart(self, name: str, timeout_s: float = 180.0) -> None:
        """Stop one process as an operator would (SIGTERM, then its grace), start it again
        with the same command and environment, and wait until it is healthy."""
        service = next(s for s in self.services if s.name == name)
        self._terminate([service])
        self._spawn(service, "ab")
        self.wait_healthy(timeout_s)

    def _spawn(self, service: Service, mode: str) -> None:
        with service.log_path.open(mode) as output:
            service.process = subprocess.Popen(
                service.command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
                env={**os.environ, **service.env}, start_new_session=True)
        service.started_at = time.monotonic()

    def _record_rasa(self, service: Service) -> None:
        write_record(self.run_dir, ServingRecord(ServerInfo(
            f"http://{LOOPBACK}:{self.ports.rasa}", service.process.pid, str(self.model))))

    def wait_healthy(self, timeout_s: float = 180.0, progress: bool = False) -> None:
        deadline = time.monotonic() + timeout_s
        pending = list(self.services)
        while pending:
            for service in list(pending):
                if service.process and service.process.poll() is not None:
                    raise StackFailed(f"{service.name} exited with code {service.process.returncode}:\n"
                                      f"{self._tail(service)}")
                if self._healthy(service.health_url):
                    pending.remove(service)
                    if progress:
                        print(f"  {service.name} is up", flush=True)
            if pending and time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                raise StackFailed(f"not healthy after {timeout_s:.0f} s: {names}\n"
                                  + "\n".join(self._tail(s) for s in pending))
            if pending:
                time.sleep(0.5)

    def supervise(self, stop: threading.Event | None = None, interval_s: float = 1.0,
                  max_backoff_s: float = 60.0) -> None:
        """Until `stop` is set: restart a process that exits on its own, after 1, 2, 4 ... s
        (at most `max_backoff_s`; the wait starts over once it has run a minute), with a log
        line each time. The Rasa server the studio published in place of the first one
        counts as that one."""
        stop = stop or threading.Event()
        failures: dict[str, int] = {}
        due: dict[str, float] = {}
        while not stop.wait(interval_s):
            now = time.monotonic()
            for service in self.services:
                if service.process is None or self._replaced(service):
                    continue
                if service.process.poll() is None:  # running
                    if now - service.started_at > 60:
                        failures.pop(service.name, None)
                    continue
                if service.name not in due:
                    failures[service.name] = failures.get(service.name, 0) + 1
                    wait = min(max_backoff_s, 2 ** (failures[service.name] - 1))
                    due[service.name] = now + wait
                    log.warning("%s exited with code %s; restarting it in %.0f s (restart %d)\n%s",
                                service.name, service.process.returncode, wait, failures[service.name],
                                self._tail(service, 5))
                if now >= due[service.name]:
                    del due[service.name]
                    self._respawn(service)
                    log.warning("%s restarted (pid %d)", service.name, service.process.pid)

    def _respawn(self, service: Service) -> None:
        if service.name != "rasa":
            self._spawn(service, "ab")
            return
        record = read_record(self.run_dir)  # the model serving now: maybe one the studio published
        self.model = Path(record.active.model) if record else self.model
        service.command = rasa_command(self.model, self.ports.rasa, self.endpoints, self.rasa_token)
        self._spawn(service, "ab")
        self._record_rasa(service)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send one process a signal (the fault tests crash, freeze and thaw processes)."""
        service = next(s for s in self.services if s.name == name)
        os.killpg(service.process.pid, sig)

    def _replaced(self, service: Service) -> bool:
        record = read_record(self.run_dir)
        return (service.name == "rasa" and record is not None
                and record.active.pid != service.process.pid and alive(record.active.pid))

    def stop(self, grace_s: float = 10.0) -> None:
        record = read_record(self.run_dir)
        if record is not None:
            started = {s.process.pid for s in self.services if s.process}
            for server in (record.active, record.candidate):
                if server is not None and server.pid not in started:
                    stop_pid(server.pid, grace_s)
        self._terminate(list(reversed(self.services)), grace_s)
        if self.datastores is not None:
            self.datastores.stop()

    @staticmethod
    def _terminate(services: list[Service], grace_s: float = 10.0) -> None:
        for service in services:
            if service.process and service.process.poll() is None:
                os.killpg(service.process.pid, signal.SIGTERM)
        for service in services:
            if service.process is None:
                continue
            try:
                service.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()

    @staticmethod
    def _healthy(url: str) -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def log_tails(self, lines: int = 40) -> str:
        """The last lines each service logged: what a failed check shows of the stack."""
        return "\n".join(filter(None, (self._tail(s, lines) for s in self.services)))

    @staticmethod
    def _tail(service: Service, lines: int = 30) -> str:
        if not service.log_path or not service.log_path.exists():
            return ""
        text = service.log_path.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {service.log_path} ---\n" + "\n".join(text)


def _numbered(name: str, index: int) -> str:
    """rasa, rasa-2, rasa-3 ...: the first keeps the plain name the tests and logs use."""
    return name if index == 0 else f"{name}-{index + 1}"


def _isolated_env(workdir: Path, env: dict[str, str] | None) -> dict[str, str]:
    """Copy the knowledge base and the Rasa project into `workdir`; the settings that point
    the processes at the copies (and make test customers unthrottled)."""
    shutil.copytree(ROOT / "knowledge_base", workdir / "knowledge_base")
    project = workdir / "project"
    copy_project(project)
    return {"ASSISTANT_KB_FOLDER": str(workdir / "knowledge_base"),
            "ASSISTANT_PROJECT_DIR": str(project),
            "ASSISTANT_KB_INDEX_DIR": str(ROOT / "var" / "kb-index"),
            "ASSISTANT_IDENTITY_SECRET": secrets.token_hex(32),
            "ASSISTANT_SESSION_SECRET": secrets.token_hex(32),
            "ASSISTANT_DEMO_STORE": "true",
            # Every test and benchmark customer writes from 127.0.0.1, as fast as replies
            # come (the limits themselves are tested on the app).
            "ASSISTANT_RATE_MESSAGES_PER_ADDRESS": "100000/minute",
            "ASSISTANT_RATE_MESSAGES_PER_CONVERSATION": "100000/minute",
            "ASSISTANT_RATE_CONVERSATIONS_PER_ADDRESS": "100000/minute",
            # Every test signs its staff in from 127.0.0.1 too (login throttling: test_console_access).
            "ASSISTANT_LOGIN_RATE": "100000/minute", **(env or {})}


PROJECT_FILES = ("config.yml", "domain.yml", "credentials.yml", "endpoints.yml")


def copy_project(target: Path) -> None:
    """The Rasa project (what `rasa train` and the studio read and write) in another folder."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copyfile(ROOT / name, target / name)
    shutil.copytree(ROOT / "data", target / "data")
    (target / "tests").mkdir(exist_ok=True)
    for path in (ROOT / "tests").glob("*.yml"):
        shutil.copyfile(path, target / "tests" / path.name)
