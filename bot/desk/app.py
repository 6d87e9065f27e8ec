"""The desk: the front door that owns every conversation (REST API, widget WebSocket, page)."""


import secrets
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, AsyncIterator

from fastapi import Depends, FastAPI, Header, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from limits import parse as parse_rate
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from bot.console.accounts import AccountStore
from bot.console.auth import SESSION_COOKIE, guards
from bot.console.routes import ConsoleDeps, add_console_routes
from bot.console.suggestions import Suggester
from bot.channels.contacts import Contacts
from bot.channels.delivery import Delivering
from bot.channels.meta import MetaSender, add_meta_routes, messenger_payloads, meta_config, whatsapp_payloads
from bot.channels.outbox import Outbox, OutboxWorker
from bot.channels.slack import SlackSender, add_slack_routes, slack_config
from bot.channels.slack import message_payloads as slack_payloads
from bot.channels.telegram import TelegramSender, add_telegram_routes, telegram_config
from bot.channels.twilio import TwilioSender, add_twilio_routes, twilio_config
from bot.channels.twilio import message_payloads as twilio_payloads
from bot.channels.telegram import message_payloads as telegram_payloads
from bot.db import make_engine, make_session_factory
from bot.desk.conversations import ConversationNotFound, ConversationStore
from bot.desk.escalation import Escalator
from bot.desk.handoffs import HandoffStore
from bot.desk.live import LiveHub
from bot.desk.messaging import BotUnavailable, InvalidMessage, MessageRouter
from bot.desk.migrate import upgrade_database
from bot.desk.models import Conversation
from bot.desk.rasa_client import RasaClient
from bot.desk.review import ReviewRecorder
from bot.escalation.policy import EscalationPolicy
from bot.escalation.sentiment import SentimentModel, default_sentiment_model
from bot.kb.feedback import FeedbackLog
from bot.profiles.store import ProfileStore
from bot.desk.schemas import (
    ConversationCreated,
    ConversationStart,
    CustomerMessageIn,
    ExchangeOut,
    MessageOut,
    TranscriptOut,
)
from bot.identity import IdentityRejected, SignedIdentity
from bot.identity import sign as sign_identity
from bot.identity import verify as verify_identity
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


def _error(status: int, error: str, **extra: object) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": error, **extra})


def create_app(settings: Settings | None = None, sentiment: SentimentModel | None = None) -> FastAPI:
    settings = settings or get_settings()
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    store = ConversationStore(sessions)
    serving = RecordWatcher(settings.run_dir, settings.rasa_url)
    rasa_token = settings.rasa_token.get_secret_value() if settings.rasa_token else ""
    rasa = RasaClient(serving.url, settings.rasa_timeout_s, rasa_token or None)
    sentiment = sentiment or default_sentiment_model(settings)
    policy = EscalationPolicy.from_yaml()
    handoffs = HandoffStore(sessions, policy.config["queue"]["minutes_per_point"])
    hub = LiveHub()
    suggester = Suggester(settings, sentiment.encoder)
    feedback = FeedbackLog(sessions)
    profiles = ProfileStore(sessions)
    review = ReviewRecorder(ReviewStore(sessions, settings.review_group_similarity), store,
                            sentiment.encoder, settings.review_min_confidence, settings.review_tie_margin)
    escalator = Escalator(store, handoffs, rasa, policy, sentiment, profiles, feedback, hub,
                          suggester.titles, review)
    router = MessageRouter(store, rasa, escalator, settings.max_message_chars, review)
    telegram, slack, twilio = telegram_config(settings), slack_config(settings), twilio_config(settings)
    meta = meta_config(settings)
    clients: list[TelegramSender | SlackSender | TwilioSender | MetaSender] = []
    sends = {}
    if telegram:
        clients.append(TelegramSender(telegram))
        sends["telegram"] = clients[-1].send
    if slack:
        clients.append(SlackSender(slack))
        sends["slack"] = clients[-1].send
    if twilio:
        clients.append(TwilioSender(twilio))
        sends["sms"] = sends["whatsapp"] = clients[-1].send
    if meta:
        clients.append(MetaSender(meta))
        sends["messenger"], sends["whatsapp_cloud"] = clients[-1].send_messenger, clients[-1].send_whatsapp
    outbox = Outbox(sessions)
    worker = OutboxWorker(outbox, sends)
    delivering = Delivering(Contacts(sessions, store), store, outbox, worker,
                            {"telegram": telegram_payloads, "slack": slack_payloads,
                             "sms": twilio_payloads, "whatsapp": twilio_payloads,
                             "messenger": messenger_payloads, "whatsapp_cloud": whatsapp_payloads},
                            router)
    secret = settings.identity_secret.get_secret_value() if settings.identity_secret else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        suggester.start()
        worker.start()  # also resumes deliveries a restart left unsent
        yield
        await worker.stop()
        for client in clients:
            await client.aclose()
        await review.drain()
        await rasa.aclose()
        engine.dispose()

    app = FastAPI(title="Harbor & Pine support desk", lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    session_secret = (settings.session_secret.get_secret_value() if settings.session_secret
                      else secrets.token_hex(32))  # sessions then last as long as this process
    app.add_middleware(SessionMiddleware, secret_key=session_secret, session_cookie=SESSION_COOKIE,
                       max_age=settings.session_max_age_s, same_site="strict",
                       https_only=settings.secure_cookies)
    accounts = AccountStore(sessions)
    add_console_routes(app, ConsoleDeps(accounts, store, handoffs, profiles, feedback,
                                        suggester, hub, parse_rate(settings.login_rate),
                                        delivering.deliver, delivering.status, delivering.blocked))
    if telegram:
        add_telegram_routes(app, telegram, delivering)
    if slack:
        add_slack_routes(app, slack, delivering)
    if twilio:
        add_twilio_routes(app, twilio, delivering)
    if meta:
        add_meta_routes(app, meta, delivering)
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

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    async def conversation_for(
        conversation_id: str, x_conversation_token: Annotated[str | None, Header()] = None
    ) -> Conversation:
        try:
            return await run_in_threadpool(store.authorize, conversation_id, x_conversation_token)
        except ConversationNotFound:
            raise HTTPException(404, "conversation not found") from None

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

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/conversations", status_code=201, response_model=ConversationCreated)
    async def start_conversation(body: ConversationStart | None = None) -> ConversationCreated:
        customer_id = None
        if body is not None and body.identity is not None:
            try:
                customer_id = verify_identity(body.identity, secret)
            except IdentityRejected as error:
                raise HTTPException(401, str(error)) from None
        created = await run_in_threadpool(store.create, "web", customer_id)
        return ConversationCreated(id=created.id, token=created.token, customer_id=customer_id)

    if settings.demo_store:
        @app.get("/demo/identity/{customer_id}", response_model=SignedIdentity)
        async def demo_identity(customer_id: str) -> SignedIdentity:
            """The demo store's stand-in for a real store backend signing its logged-in customer."""
            if not secret:
                raise HTTPException(503, "set ASSISTANT_IDENTITY_SECRET to sign demo identities")
            return sign_identity(customer_id, secret)

    @app.post("/api/conversations/{conversation_id}/messages", response_model=ExchangeOut)
    async def post_message(
        body: CustomerMessageIn, conversation: Annotated[Conversation, Depends(conversation_for)]
    ) -> ExchangeOut | JSONResponse:
        try:
            exchange = await router.handle(conversation, body.text)
        except InvalidMessage as error:
            raise HTTPException(422, str(error)) from None
        except BotUnavailable as error:
            return _error(503, "the assistant is unavailable right now; your message was saved",
                          message=MessageOut.of(error.message).model_dump(mode="json"))
        return ExchangeOut(message=MessageOut.of(exchange.message),
                           replies=[MessageOut.of(m) for m in exchange.replies])

    @app.get("/api/conversations/{conversation_id}/messages", response_model=TranscriptOut)
    async def read_transcript(
        conversation: Annotated[Conversation, Depends(conversation_for)],
    ) -> TranscriptOut:
        messages = await run_in_threadpool(store.transcript, conversation.id)
        return TranscriptOut(conversation_id=conversation.id,
                             messages=[MessageOut.of(m) for m in messages])

    @app.websocket("/ws/conversations/{conversation_id}")
    async def widget_socket(websocket: WebSocket, conversation_id: str) -> None:
        """Widget protocol: send {"text": ...}; receive "ack", then one "message" per reply."""
        await websocket.accept()
        try:
            conversation = await run_in_threadpool(
                store.authorize, conversation_id, websocket.query_params.get("token"))
        except ConversationNotFound:
            await websocket.send_json({"type": "error", "error": "conversation not found"})
            await websocket.close(code=4404)
            return
        await hub.join_customer(conversation.id, websocket)
        try:
            while True:
                await _serve_frame(websocket, conversation)
        except WebSocketDisconnect:
            return
        finally:
            hub.leave_customer(conversation.id, websocket)

    async def _serve_frame(websocket: WebSocket, conversation: Conversation) -> None:
        raw = await websocket.receive_text()
        try:
            body = CustomerMessageIn.model_validate_json(raw)
        except ValidationError:
            await websocket.send_json({"type": "error", "error": 'expected {"text": "..."}'})
            return
        try:
            exchange = await router.handle(conversation, body.text)
        except InvalidMessage as error:
            await websocket.send_json({"type": "error", "error": str(error)})
            return
        except BotUnavailable as error:
            await websocket.send_json({"type": "ack", "message": _json(MessageOut.of(error.message))})
            await websocket.send_json({"type": "error",
                                       "error": "the assistant is unavailable right now; "
                                                "your message was saved"})
            return
        await websocket.send_json({"type": "ack", "message": _json(MessageOut.of(exchange.message))})
        for reply in exchange.replies:
            await websocket.send_json({"type": "message", "message": _json(MessageOut.of(reply))})

    return app


def _json(message: MessageOut) -> dict:
    return message.model_dump(mode="json")


def app_factory() -> FastAPI:
    """Entry point for `uvicorn --factory bot.desk.app:app_factory`."""
    return create_app()
