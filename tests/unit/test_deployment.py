"""The deployment files mirror the tested production profile: the same commands, the
variables each process reads, health checks on the same endpoints, and as many desk workers,
Rasa servers and action workers (bot/deployment.py is the source of truth; `assistant run
--production` builds its processes from it, which the first test checks)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

from bot.deployment import (
    ACTION_WORKERS,
    ACTIONS,
    DESK,
    DESK_WORKERS,
    PRODUCTION_ENDPOINTS,
    RASA,
    RASA_SERVERS,
    ProcessSpec,
    action_args,
    desk_args,
    rasa_args,
    rasa_store_env,
)
from bot.launcher import Ports, Stack
from bot.serving import LOOPBACK, ROOT

COMPOSE = ROOT / "deploy" / "docker-compose.yml"
KUBERNETES = ROOT / "deploy" / "kubernetes" / "harbor-assistant.yaml"
PORTS = {"desk": 8000, "rasa": 5005, "actions": 5055}
PROGRAMS = {"desk": ".venv/bin/python", "rasa": ".venv-rasa/bin/rasa", "actions": ".venv/bin/python"}


def expected_command(spec: ProcessSpec, host: str, token: str) -> list[str]:
    port = PORTS[spec.name]
    args = {"desk": lambda: desk_args(host, port),
            "rasa": lambda: rasa_args(host, port, "models", PRODUCTION_ENDPOINTS, token),
            "actions": lambda: action_args(host, port, ACTION_WORKERS)}[spec.name]()
    return [PROGRAMS[spec.name], *args]


def compose_services() -> dict[str, dict]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def kubernetes_workloads() -> dict[str, dict]:
    docs = [d for d in yaml.safe_load_all(KUBERNETES.read_text()) if d]
    return {d["metadata"]["name"]: d for d in docs if d["kind"] in ("Deployment", "StatefulSet")}


def test_the_production_profile_runs_the_specified_commands_and_variables(tmp_path: Path):
    stack = Stack.production(Path("model.tar.gz"), tmp_path, Ports.free(RASA_SERVERS, DESK_WORKERS),
                             database_url="postgresql+psycopg://harbor:pw@db.internal:5432/harbor",
                             redis_url="redis://cache.internal:6379/0",
                             # `assistant run` makes these for the run when they are not set
                             env={"ASSISTANT_SESSION_SECRET": "s", "ASSISTANT_IDENTITY_SECRET": "i"})
    by_kind: dict[str, list] = {}
    for service in stack.services:
        by_kind.setdefault(service.name.split("-")[0], []).append(service)
    assert {kind: len(services) for kind, services in by_kind.items()} == {
        "actions": 1, "rasa": RASA_SERVERS, "desk": DESK_WORKERS}
    for spec in (ACTIONS, RASA, DESK):
        for service in by_kind[spec.name]:
            port = int(re.search(r":(\d+)/", service.health_url + "/").group(1))
            assert service.health_url == f"http://{LOOPBACK}:{port}{spec.health_path}"
            assert set(spec.env) <= service.env.keys(), f"{service.name} lacks {set(spec.env) - service.env.keys()}"
    desk = by_kind["desk"][0]
    assert desk.command == [sys.executable, *desk_args(LOOPBACK, stack.ports.desk)]
    assert by_kind["actions"][0].command == [sys.executable, *action_args(LOOPBACK, stack.ports.actions,
                                                                          ACTION_WORKERS)]
    assert by_kind["rasa"][0].command[1:] == rasa_args(LOOPBACK, stack.ports.rasa, "model.tar.gz",
                                                       str(ROOT / PRODUCTION_ENDPOINTS), stack.rasa_token)
    assert desk.env["ASSISTANT_RASA_URL"].count(",") == RASA_SERVERS - 1
    rasa_env = by_kind["rasa"][0].env
    assert rasa_env["ASSISTANT_TRACKER_DB_HOST"] == "db.internal"
    assert rasa_env["ASSISTANT_TRACKER_DB_NAME"] == "harbor_rasa"
    assert rasa_env["ASSISTANT_LOCK_REDIS_HOST"] == "cache.internal"


def test_rasas_production_endpoints_read_exactly_the_variables_the_profile_sets():
    settings = [line for line in (ROOT / PRODUCTION_ENDPOINTS).read_text().splitlines()
                if not line.lstrip().startswith("#")]
    referenced = set(re.findall(r"\$\{([A-Z_]+)\}", "\n".join(settings)))
    provided = set(rasa_store_env("postgresql+psycopg://u@h:5432/d", "redis://h:6379/0", "http://a"))
    assert referenced == provided
    assert provided <= set(RASA.env)


@pytest.mark.parametrize("spec", [ACTIONS, RASA, DESK], ids=lambda s: s.name)
def test_docker_compose_mirrors_the_profile(spec: ProcessSpec):
    services = {name: s for name, s in compose_services().items() if name.split("-")[0] == spec.name}
    assert len(services) == {"desk": DESK_WORKERS, "rasa": RASA_SERVERS, "actions": 1}[spec.name]
    for name, service in services.items():
        assert service["command"] == expected_command(spec, "0.0.0.0", "${ASSISTANT_RASA_TOKEN:?set ASSISTANT_RASA_TOKEN}"), name
        assert set(spec.env) <= service["environment"].keys(), f"{name} lacks {set(spec.env) - service['environment'].keys()}"
        probe = " ".join(service["healthcheck"]["test"])
        assert f"http://127.0.0.1:{PORTS[spec.name]}{spec.health_path}'" in probe, name
    if spec is DESK:
        for service in services.values():
            rasa_urls = service["environment"]["ASSISTANT_RASA_URL"].split(",")
            assert sorted(rasa_urls) == sorted(f"http://{n}:5005" for n in compose_services() if n.startswith("rasa"))


@pytest.mark.parametrize("spec", [ACTIONS, RASA, DESK], ids=lambda s: s.name)
def test_kubernetes_mirrors_the_profile(spec: ProcessSpec):
    workload = kubernetes_workloads()[spec.name]
    assert workload["spec"]["replicas"] == {"desk": DESK_WORKERS, "rasa": RASA_SERVERS, "actions": 1}[spec.name]
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    assert container["command"] == expected_command(spec, "0.0.0.0", "$(ASSISTANT_RASA_TOKEN)")
    names = {variable["name"] for variable in container["env"]}
    assert set(spec.env) <= names, f"{spec.name} lacks {set(spec.env) - names}"
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": spec.health_path, "port": PORTS[spec.name]}
    if spec is DESK:
        env = {v["name"]: v.get("value") for v in container["env"]}
        assert env["ASSISTANT_RASA_URL"].split(",") == [f"http://rasa-{i}.rasa:5005" for i in range(RASA_SERVERS)]
