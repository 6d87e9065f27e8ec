"""The desk: the front door that owns every conversation. `create_app` is the composition
root: it wires the stores and services, and each channel, the console and the studio add
their routes."""


import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from limits import parse as parse_rate
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from bot.analytics.facts import track
from bot.analytics.routes import AnalyticsDeps, add_analytics_routes
from bot.channels.registry import MessagingChannels
from bot.channels.web import WebDeps, add_web_routes
from bot.console.accounts import AccountStore
from bot.console.auth import SESSION_COOKIE, guards
from bot.console.routes import ConsoleDeps, add_console_routes
from bot.console.suggestions import Suggester
from bot.db import make_engine, make_session_factory
from bot.desk.action_health import ActionHealth, health_url
from bot.desk.body_limit import BodyLimit
from bot.desk.broker import make_broker
from bot.desk.conversations import ConversationStore
from bot.desk.escalation import Escalator
from bot.desk.handoffs import HandoffStore
from bot.desk.live import LiveHub
from bot.desk.messaging import InvalidMessage, MessageRouter
from bot.desk.metrics import DeskMetrics, LiveSources, add_metrics_route
from bot.desk.migrate import upgrade_database
from bot.desk.models import Message
from bot.desk.rasa_client import RasaClient
from bot.desk.rate_limits import RateLimited, RateLimits, WebhookLimit
from bot.desk.recovery import Recovery
from bot.desk.review import ReviewRecorder
from bot.desk.survey import SolvedSurvey
from bot.desk.schemas import MessageOut
from bot.escalation.policy import EscalationPolicy
from bot.escalation.sentiment import SentimentModel, default_sentiment_model
from bot.identity import SignedIdentity
from bot.identity import sign as sign_identity
from bot.kb.feedback import FeedbackLog
from bot.locks import make_locks
from bot.privacy.access import AccessLog
from bot.privacy.redact import Redactor
from bot.privacy.retention import RetentionJob
from bot.privacy.routes import PrivacyDeps, add_privacy_routes
from bot.privacy.tracker import TrackerEvents, tracker_url
from bot.profiles.store import ProfileStore
from bot.serving import RecordWatcher
from bot.settings import Settings, get_settings
from bot.studio.articles import ArticleEditor
from bot.studio.audit import AuditLog
from bot.studio.inbox import ReviewStore
from bot.studio.publish import Publisher
from bot.studio.releases import ReleaseLog
from bot.studio.routes import StudioDeps, add_studio_routes
from bot.studio.training_data import TrainingData

STATIC = Path(__file__).parent / "static"


def _error(status: int, error: str, headers: dict[str, str] | None = None, **extra: object) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": error, **extra}, headers=headers)


def _rasa_servers(settings: Settings) -> Callable[[], list[str]]:
    """Several servers as configured, or the one the serving record names (a studio publish
    swaps it)."""
    urls = settings.rasa_urls
    if len(urls) > 1:
        return lambda: urls
    serving = RecordWatcher(settings.run_dir, urls[0])
    return lambda: [serving.url()]


def create_app(settings: Settings | None = None, sentiment: SentimentModel | None = None) -> FastAPI:
    settings = settings or get_settings()
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = track(make_session_factory(engine))  # analytics' facts follow every write
    store = ConversationStore(sessions)
    rasa_token = settings.rasa_token.get_secret_value() if settings.rasa_token else ""
    rasa_servers = _rasa_servers(settings)
    rasa = RasaClient(rasa_servers, settings.rasa_timeout_s, rasa_token or None, settings.rasa_max_in_flight)
    sentiment = sentiment or default_sentiment_model(settings)
    policy = EscalationPolicy.from_yaml()
    handoffs = HandoffStore(sessions, policy.config["queue"]["minutes_per_point"])
    hub = LiveHub(make_broker(settings.redis_url))
    # A lease longer than any turn: a worker that dies holding a conversation frees it.
    locks = make_locks(settings.redis_url, lease_s=settings.rasa_timeout_s + 60)
    suggester = Suggester(settings, sentiment.encoder)
    feedback = FeedbackLog(sessions)
    profiles = ProfileStore(sessions)
    review = ReviewRecorder(ReviewStore(sessions, settings.review_group_similarity), store,
                            sentiment.encoder, settings.review_min_confidence, settings.review_tie_margin)
    escalator = Escalator(store, handoffs, rasa, policy, sentiment, profiles, feedback, hub,
                          suggester.titles, review)
    action_health = health_url(settings.rasa_endpoints)
    actions = ActionHealth(action_health)
    metrics = DeskMetrics(LiveSources(handoffs.waiting, hub.agents_online, rasa_servers,
                                      (lambda: actions.up) if action_health else None))
    router = MessageRouter(store, rasa, escalator, settings.max_message_chars, actions, locks, review,
                           metrics, SolvedSurvey(store, handoffs),
                           Redactor(settings.privacy_redact, settings.privacy_mask))
    access = AccessLog(sessions)
    tracker = TrackerEvents(tracker_url(settings))
    retention = RetentionJob(sessions, tracker, settings.privacy_retention_days, locks,
                             settings.privacy_erasure_keeps)
    channels = MessagingChannels.from_settings(settings, sessions, store, router, locks, metrics)

    async def tell(conversation_id: str, messages: list[Message]) -> None:
        """Replies written outside a customer's request reach them on their channel."""
        for message in messages:
            await hub.to_customer(conversation_id, {"type": "message",
                                                    "message": MessageOut.of(message).model_dump(mode="json")})
        await channels.delivering.deliver(conversation_id, messages)
        await hub.conversation_changed(conversation_id)

    recovery = Recovery(store, router, rasa, escalator, tell, settings.rasa_timeout_s,
                        settings.bot_unavailable_after_s, actions, locks)
    secret = settings.identity_secret.get_secret_value() if settings.identity_secret else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Starlette's run_in_threadpool and FastAPI's sync routes share anyio's default limiter.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.desk_threads
        suggester.start()
        await hub.start()
        channels.start()
        actions.start()
        recovery.start()
        retention.start()
        yield
        await retention.stop()
        await recovery.stop()
        await actions.stop()
        await channels.stop()
        await hub.stop()
        await review.drain()
        await rasa.aclose()
        await metrics.aclose()
        await locks.aclose()
        engine.dispose()

    app = FastAPI(title="Harbor & Pine support desk", lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    session_secret = (settings.session_secret.get_secret_value() if settings.session_secret
                      else secrets.token_hex(32))  # sessions then last as long as this process
    app.add_middleware(SessionMiddleware, secret_key=session_secret, session_cookie=SESSION_COOKIE,
                       max_age=settings.session_max_age_s, same_site="strict",
                       https_only=settings.secure_cookies)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    limits = RateLimits(settings)
    app.add_middleware(WebhookLimit, limits=limits)
    accounts = AccountStore(sessions)
    add_console_routes(app, ConsoleDeps(accounts, store, handoffs, profiles, feedback,
                                        suggester, hub, parse_rate(settings.login_rate), access,
                                        channels.delivering.deliver, channels.delivering.status,
                                        channels.delivering.blocked))
    channels.add_routes(app)
    add_analytics_routes(app, AnalyticsDeps(sessions, store, access), guards(accounts)[0])
    add_privacy_routes(app, PrivacyDeps(sessions, tracker, access, settings.privacy_erasure_keeps),
                       *guards(accounts))
    releases = ReleaseLog(sessions)
    add_studio_routes(app, StudioDeps(
        review.store, store, TrainingData(settings.project_dir), ArticleEditor(settings.kb_folder),
        AuditLog(sessions), Publisher(settings, releases, rasa_token), releases,
        suggester.knowledge_base, settings.kb_answer_threshold), *guards(accounts))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error(400, "request body is not valid JSON")
        return _error(422, "request body does not match the expected shape",
                      details=[{"field": ".".join(map(str, e["loc"][1:])), "problem": e["msg"]}
                               for e in errors])

    @app.exception_handler(InvalidMessage)  # what the channels' adapters pass up
    async def _invalid_message(_: Request, exc: InvalidMessage) -> JSONResponse:
        return _error(422, str(exc))

    @app.exception_handler(RateLimited)
    async def _rate_limited(_: Request, exc: RateLimited) -> JSONResponse:
        return JSONResponse(status_code=429, headers={"Retry-After": str(exc.retry_after_s)},
                            content={"error": str(exc), "retry_after_s": exc.retry_after_s})

    @app.exception_handler(StarletteHTTPException)  # FastAPI's too, and the router's 404 and 405
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.detail == "There was an error parsing the body":  # FastAPI's words for bytes that are not UTF-8
            return _error(400, "request body is not valid UTF-8 JSON")
        return _error(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.get("/", include_in_schema=False)
    async def store_page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/console", include_in_schema=False)
    async def console_page() -> FileResponse:
        return FileResponse(STATIC / "console.html", headers={
            "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'"})

    @app.get("/console/studio", include_in_schema=False)
    async def studio_page() -> FileResponse:
        return FileResponse(STATIC / "studio.html", headers={
            "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"})

    @app.get("/console/analytics", include_in_schema=False)
    async def analytics_page() -> FileResponse:
        return FileResponse(STATIC / "analytics.html", headers={
            "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"})

    @app.get("/console/privacy", include_in_schema=False)
    async def privacy_page() -> FileResponse:
        return FileResponse(STATIC / "privacy.html", headers={
            "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"})

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    if settings.demo_store:
        @app.get("/demo/identity/{customer_id}", response_model=SignedIdentity)
        async def demo_identity(customer_id: str) -> SignedIdentity:
            """The demo store's stand-in for a real store backend signing its logged-in customer."""
            if not secret:
                raise HTTPException(503, "set ASSISTANT_IDENTITY_SECRET to sign demo identities")
            return sign_identity(customer_id, secret)

    add_web_routes(app, WebDeps(store, router, hub, secret, limits, metrics))
    metrics_token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    add_metrics_route(app, metrics, metrics_token)
    return app


def app_factory() -> FastAPI:
    """Entry point for `uvicorn --factory bot.desk.app:app_factory`."""
    return create_app()
