"""The processes of the assistant as data: each one's command, the environment variables it
reads, and the endpoint that says it is healthy.

`assistant run` and `assistant run --production` start exactly these; the deployment files
(deploy/docker-compose.yml, deploy/kubernetes/) mirror the production profile, and
tests/unit/test_deployment.py checks that they name the same commands, variables and
health checks, so the tested profile stays the source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import make_url

# A widget frame carries one message of at most a few thousand characters; uvicorn's default
# would let one frame be 16 MiB.
WS_MAX_FRAME_BYTES = 65_536
# uvicorn closes an idle keep-alive connection after 5 s by default, the same moment an
# HTTP client or load balancer may reuse it: the request is then lost in flight (a
# ReadError under the load benchmark). Longer than the usual 60 s idle timeout of a
# balancer in front, so the balancer always closes first.
KEEP_ALIVE_S = 75
# Rasa's endpoints in production: PostgreSQL tracker store (with the latest trackers in
# memory) and Redis lock store, every address from the environment (Rasa expands ${VAR}).
PRODUCTION_ENDPOINTS = "deploy/endpoints.yml"
CREDENTIALS = "credentials.yml"
# The production profile's default size, as tested (`make test`) and as deployed by the files.
DESK_WORKERS = 2
RASA_SERVERS = 2
ACTION_WORKERS = 2


def desk_args(host: str, port: int | str) -> list[str]:
    """After the app environment's `python`."""
    return ["-m", "uvicorn", "--factory", "bot.desk.app:app_factory", "--host", host,
            "--port", str(port), "--log-level", "warning", "--ws-max-size", str(WS_MAX_FRAME_BYTES),
            "--timeout-keep-alive", str(KEEP_ALIVE_S)]


def rasa_args(host: str, port: int | str, model: str, endpoints: str, token: str) -> list[str]:
    """After the Rasa environment's `rasa`: the HTTP API on, behind a token only the desk knows."""
    return ["run", "-i", host, "-p", str(port), "--model", model, "--endpoints", endpoints,
            "--credentials", CREDENTIALS, "--enable-api", "--auth-token", token]


def action_args(host: str, port: int | str, workers: int) -> list[str]:
    """After the Rasa environment's `python`."""
    return ["-m", "bot.action_server", "--host", host, "--port", str(port), "--workers", str(workers)]


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    health_path: str
    # The variables a production deployment sets for it (beyond the optional settings in
    # bot/settings.py, such as channel secrets, which it reads when present).
    env: tuple[str, ...]


DESK = ProcessSpec("desk", "/health", (
    "ASSISTANT_DATABASE_URL", "ASSISTANT_REDIS_URL", "ASSISTANT_RASA_URL", "ASSISTANT_RASA_TOKEN",
    "ASSISTANT_RASA_ENDPOINTS", "ASSISTANT_ACTION_URL", "ASSISTANT_SESSION_SECRET",
    "ASSISTANT_IDENTITY_SECRET"))
RASA = ProcessSpec("rasa", "/", (
    "ASSISTANT_RASA_TOKEN", "ASSISTANT_ACTION_URL", "ASSISTANT_TRACKER_DB_HOST",
    "ASSISTANT_TRACKER_DB_PORT", "ASSISTANT_TRACKER_DB_NAME", "ASSISTANT_TRACKER_DB_USER",
    "ASSISTANT_TRACKER_DB_PASSWORD", "ASSISTANT_TRACKER_LOGIN_DB", "ASSISTANT_LOCK_REDIS_HOST",
    "ASSISTANT_LOCK_REDIS_PORT", "ASSISTANT_LOCK_REDIS_DB"))
ACTIONS = ProcessSpec("actions", "/health", ("ASSISTANT_DATABASE_URL",))
PRODUCTION = (ACTIONS, RASA, DESK)


def tracker_database_name(database_url: str) -> str:
    return f"{make_url(database_url).database}_rasa"


def rasa_store_env(database_url: str, redis_url: str, actions_url: str) -> dict[str, str]:
    """What deploy/endpoints.yml reads, from the desk's own URLs: Rasa's tracker store gets
    a database of its own next to the desk's (Rasa creates it, logging in to the desk's),
    and its lock store a Redis database of its own."""
    database, redis = make_url(database_url), make_url(redis_url)
    return {
        "ASSISTANT_ACTION_URL": actions_url,
        "ASSISTANT_TRACKER_DB_HOST": database.host or "127.0.0.1",
        "ASSISTANT_TRACKER_DB_PORT": str(database.port or 5432),
        "ASSISTANT_TRACKER_DB_NAME": tracker_database_name(database_url),
        "ASSISTANT_TRACKER_DB_USER": database.username or "postgres",
        "ASSISTANT_TRACKER_DB_PASSWORD": database.password or "",
        "ASSISTANT_TRACKER_LOGIN_DB": database.database or "postgres",
        "ASSISTANT_LOCK_REDIS_HOST": redis.host or "127.0.0.1",
        "ASSISTANT_LOCK_REDIS_PORT": str(redis.port or 6379),
        "ASSISTANT_LOCK_REDIS_DB": str((int(redis.database or 0) + 1) % 16),
    }
