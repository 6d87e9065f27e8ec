"""The operators' metrics: what a desk worker has done and what it sees now, in Prometheus's
text format at `GET /metrics` (docs/deployment.md, "Operators' metrics").

Each desk worker counts in its own registry (not prometheus_client's global one, so several
apps in one process do not clash) and serves its own numbers; Prometheus scrapes every
worker. Counters and the latency histogram are kept as turns happen; the gauges (queue,
agents, whether Rasa and the action server are up) are read when scraped.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

STAGES = ("store", "rasa", "policy", "delivery")
# From a 5 ms database write to a Rasa turn at the desk's 120 s limit (settings.rasa_timeout_s).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
log = logging.getLogger(__name__)
PROBE_TIMEOUT_S = 2.0  # a Rasa server slower than this to say hello counts as down for the scrape
FORWARDED = ("x-forwarded-for", "forwarded", "x-real-ip")


@dataclass
class LiveSources:
    """Where the scrape-time gauges come from (create_app wires them; unset ones are left out)."""

    queue_length: Callable[[], int] | None = None  # blocking (SQL): run in a thread
    agents_online: Callable[[], Awaitable[int]] | None = None
    rasa_servers: Callable[[], list[str]] | None = None
    action_server_up: Callable[[], bool] | None = None


@dataclass
class _Readings:
    queue_length: int | None = None
    agents_online: int | None = None
    rasa_up: dict[str, bool] = field(default_factory=dict)
    action_server_up: bool | None = None


class _LiveCollector(Collector):
    """The gauges, from the readings the route took just before generating the text."""

    def __init__(self) -> None:
        self.readings = _Readings()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        r = self.readings
        if r.queue_length is not None:
            yield GaugeMetricFamily("harbor_queue_length",
                                    "Conversations queued for a person and not yet claimed",
                                    value=r.queue_length)
        if r.agents_online is not None:
            yield GaugeMetricFamily("harbor_agents_online",
                                    "Agents with the console open, on any desk worker",
                                    value=r.agents_online)
        if r.rasa_up:
            rasa = GaugeMetricFamily("harbor_rasa_up", "1 when the Rasa server answered its root "
                                     f"within {PROBE_TIMEOUT_S:g} s at this scrape, else 0",
                                     labels=["server"])
            for server, up in sorted(r.rasa_up.items()):
                rasa.add_metric([server], 1.0 if up else 0.0)
            yield rasa
        if r.action_server_up is not None:
            yield GaugeMetricFamily("harbor_action_server_up",
                                    "1 when the action server's /health answered at the desk's last poll",
                                    value=1.0 if r.action_server_up else 0.0)


class DeskMetrics:
    def __init__(self, sources: LiveSources | None = None) -> None:
        self.registry = CollectorRegistry()
        self._sources = sources or LiveSources()
        self._client: httpx.AsyncClient | None = None
        self.stage_seconds = Histogram(
            "harbor_turn_stage_seconds",
            "Seconds per stage of a customer turn that succeeded: store (the message committed), "
            "rasa (Rasa's answer), policy (escalation after the bot's turn), delivery (replies "
            "pushed to the widget's socket, or one provider call of a channel's outbox)",
            ["stage"], buckets=BUCKETS, registry=self.registry)
        self.customer_messages = Counter(
            "harbor_customer_messages", "Customer messages validated and stored, per channel",
            ["channel"], registry=self.registry)
        self.failed_deliveries = Counter(
            "harbor_failed_deliveries", "Channel outbox deliveries given up on (refused for good, "
            "or out of attempts), per channel", ["channel"], registry=self.registry)
        self.bot_unavailable = Counter(
            "harbor_bot_unavailable", "Turns the bot could not answer (the message waits for "
            "recovery), by cause: rasa, action_server or locks (Redis unreachable)", ["cause"], registry=self.registry)
        for stage in STAGES:  # every stage shows from the first scrape, at zero
            self.stage_seconds.labels(stage)
        self._live = _LiveCollector()
        self.registry.register(self._live)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Observe how long the block took, if it did not raise (a refused connection would
        otherwise pull the latencies down during an outage; failures are counted apart)."""
        started = time.perf_counter()
        yield
        self.stage_seconds.labels(stage).observe(time.perf_counter() - started)

    async def exposition(self) -> bytes:
        """Read the gauges now, then the whole registry as Prometheus text. A gauge whose
        source fails (the database or Redis away) is left out of this scrape, not the rest."""
        sources, readings = self._sources, _Readings()
        try:
            if sources.queue_length is not None:
                readings.queue_length = await run_in_threadpool(sources.queue_length)
            if sources.agents_online is not None:
                readings.agents_online = await sources.agents_online()
        except Exception:
            log.warning("metrics: could not read the queue or the agents online", exc_info=True)
        if sources.rasa_servers is not None:
            servers = sources.rasa_servers()
            ups = await asyncio.gather(*(self._answers(server) for server in servers))
            readings.rasa_up = dict(zip(servers, ups, strict=True))
        if sources.action_server_up is not None:
            readings.action_server_up = sources.action_server_up()
        self._live.readings = readings
        return generate_latest(self.registry)

    async def _answers(self, server: str) -> bool:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=PROBE_TIMEOUT_S)
        try:
            return (await self._client.get(server.rstrip("/") + "/")).status_code == 200
        except httpx.HTTPError:
            return False

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _loopback(request: Request) -> bool:
    """A request from this machine that came through no proxy (a proxy on loopback would
    make everyone look local; one that says whom it forwards for is refused here)."""
    if request.client is None or any(name in request.headers for name in FORWARDED):
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def add_metrics_route(app: FastAPI, metrics: DeskMetrics, token: str | None) -> None:
    """`GET /metrics`: with a token set, for `Authorization: Bearer <token>` only; without
    one, for loopback only."""

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        if token:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
                return JSONResponse(status_code=401, headers={"WWW-Authenticate": "Bearer"},
                                    content={"error": "metrics need Authorization: Bearer <ASSISTANT_METRICS_TOKEN>"})
        elif not _loopback(request):
            return JSONResponse(status_code=403, content={
                "error": "metrics are served to loopback only; set ASSISTANT_METRICS_TOKEN to "
                         "scrape them from elsewhere with Authorization: Bearer <token>"})
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
