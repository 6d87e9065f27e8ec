"""Which Rasa server answers customers, and how a new one replaces it without a lost message.

Rasa stalls while it loads a model through `PUT /model`, so a new model gets its own server:
started beside the serving one, health-checked and warmed up, then named in the serving
record (`serving.json` in the run folder), which every desk worker follows before each
message; the old server is stopped only after a grace period for requests in flight.
The launcher writes the first record and stops whatever the record names when it exits.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from bot.deployment import rasa_args

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
RECORD = "serving.json"


class ServerFailed(RuntimeError):
    """A Rasa server exited or did not become ready; the message has its log's tail."""


@dataclass(frozen=True)
class ServerInfo:
    url: str
    pid: int
    model: str


@dataclass(frozen=True)
class ServingRecord:
    active: ServerInfo
    candidate: ServerInfo | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def rasa_command(model: Path, port: int, endpoints: Path, token: str) -> list[str]:
    """`rasa run` on loopback (run from the project folder, whose credentials.yml it reads)."""
    return [str(ROOT / ".venv-rasa" / "bin" / "rasa"),
            *rasa_args(LOOPBACK, port, str(model), str(endpoints), token)]


def rasa_env() -> dict[str, str]:
    # PYTHONPATH: the custom components (components/, bot/nlu) load from a project anywhere.
    return {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT)}


def read_record(run_dir: Path) -> ServingRecord | None:
    try:
        data = json.loads((run_dir / RECORD).read_text())
    except (OSError, ValueError):
        return None
    candidate = data.get("candidate")
    return ServingRecord(ServerInfo(**data["active"]), ServerInfo(**candidate) if candidate else None)


def write_record(run_dir: Path, record: ServingRecord) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / f".{RECORD}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(asdict(record)))
    tmp.replace(run_dir / RECORD)


class RecordWatcher:
    """The serving URL as the record says, re-read only when the file changed (one stat)."""

    def __init__(self, run_dir: Path | None, default_url: str) -> None:
        self._path = run_dir / RECORD if run_dir else None
        self._url = default_url
        self._seen: int | None = None

    def url(self) -> str:
        if self._path is None:
            return self._url
        try:
            changed = self._path.stat().st_mtime_ns
        except OSError:
            return self._url
        if changed != self._seen:
            record = read_record(self._path.parent)
            if record is not None:
                self._url = record.active.url
            self._seen = changed
        return self._url


def start_server(model: Path, port: int, endpoints: Path, token: str, log_path: Path,
                 cwd: Path = ROOT) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(rasa_command(model, port, endpoints, token), cwd=cwd, stdout=log,
                                stderr=subprocess.STDOUT, env={**os.environ, **rasa_env()},
                                start_new_session=True)


def wait_ready(url: str, token: str, process: subprocess.Popen | None, log_path: Path,
               timeout_s: float = 180.0) -> None:
    """Until the server has its model loaded and has answered one message end to end (the
    first prediction builds TensorFlow's graphs: a customer must not wait for that)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process is not None and process.poll() is not None:
            raise ServerFailed(f"Rasa exited with code {process.returncode}:\n{tail(log_path)}")
        try:
            if httpx.get(f"{url}/status", params={"token": token}, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise ServerFailed(f"Rasa not ready after {timeout_s:.0f} s:\n{tail(log_path)}")
        time.sleep(0.3)
    sender = f"studio-warmup-{os.getpid()}-{time.monotonic_ns()}"
    httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": "hello"},
               timeout=60).raise_for_status()


def stop_pid(pid: int, grace_s: float = 10.0) -> None:
    """Stop a server's process group (each server runs in its own session)."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)  # reaps our own children
        if finished:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return f"--- {path} ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
