"""The web widget: a REST API and a WebSocket on the desk itself, so it needs no outbox (the
replies come back on the request or the socket, and an agent's through the live hub).

A conversation is opened with `POST /api/conversations` (optionally with the store's signed
identity of a logged-in customer) and every later call carries the conversation's token.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Request,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from bot.desk.conversations import ConversationNotFound, ConversationStore, OpenedConversation
from bot.desk.live import LiveHub
from bot.desk.messaging import BotUnavailable, InvalidMessage, MessageRouter
from bot.desk.metrics import DeskMetrics
from bot.desk.rate_limits import RateLimited, RateLimits
from bot.desk.schemas import (
    ConversationCreated,
    ConversationStart,
    CustomerMessageIn,
    ExchangeOut,
    MessageOut,
    TranscriptOut,
)
from bot.identity import IdentityRejected
from bot.identity import verify as verify_identity

CHANNEL = "web"
SAVED = ("the assistant can't answer right now; your message was saved and will be answered "
         "here as soon as it is back")


@dataclass(frozen=True)
class WebDeps:
    conversations: ConversationStore
    router: MessageRouter
    hub: LiveHub
    identity_secret: str | None  # verifies the store's signed identities; None: anonymous only
    limits: RateLimits
    metrics: DeskMetrics | None = None  # times the replies' trip down the socket


def add_web_routes(app: FastAPI, deps: WebDeps) -> None:
    api = APIRouter()
    store, router = deps.conversations, deps.router
    metrics = deps.metrics or DeskMetrics()

    async def conversation_for(
        conversation_id: str, x_conversation_token: Annotated[str | None, Header()] = None
    ) -> OpenedConversation:
        try:
            return await run_in_threadpool(store.authorize, conversation_id, x_conversation_token)
        except ConversationNotFound:
            raise HTTPException(404, "conversation not found") from None

    async def conversation_to_write_to(
        conversation_id: str, x_conversation_token: Annotated[str | None, Header()] = None
    ) -> OpenedConversation:
        """From this worker's memory when it can be (a turn's token check without a trip to
        the database): storing the message checks again what the token opens."""
        opened = store.opened(conversation_id, x_conversation_token)
        return opened or await conversation_for(conversation_id, x_conversation_token)

    @api.post("/api/conversations", status_code=201, response_model=ConversationCreated)
    async def start_conversation(request: Request,
                                 body: ConversationStart | None = None) -> ConversationCreated:
        deps.limits.hit(deps.limits.conversations, "address", address_of(request))
        customer_id = None
        if body is not None and body.identity is not None:
            try:
                customer_id = verify_identity(body.identity, deps.identity_secret)
            except IdentityRejected as error:
                raise HTTPException(401, str(error)) from None
        created = await run_in_threadpool(store.create, CHANNEL, customer_id)
        return ConversationCreated(id=created.id, token=created.token, customer_id=customer_id)

    @api.post("/api/conversations/{conversation_id}/messages", response_model=ExchangeOut)
    async def post_message(
        request: Request, body: CustomerMessageIn,
        conversation: Annotated[OpenedConversation, Depends(conversation_to_write_to)],
    ) -> ExchangeOut | JSONResponse:
        deps.limits.message(conversation.id, address_of(request))
        try:
            exchange = await router.handle(conversation, body.text)
        except InvalidMessage as error:
            raise HTTPException(422, str(error)) from None
        except ConversationNotFound:  # anonymised since the token was checked
            raise HTTPException(404, "conversation not found") from None
        except BotUnavailable as error:
            return JSONResponse(status_code=503, content={
                "error": SAVED, "code": "bot_unavailable", "message": _json(MessageOut.of(error.message))})
        return ExchangeOut(message=MessageOut.of(exchange.message),
                           replies=[MessageOut.of(m) for m in exchange.replies])

    @api.get("/api/conversations/{conversation_id}/messages", response_model=TranscriptOut)
    async def read_transcript(
        conversation: Annotated[OpenedConversation, Depends(conversation_for)],
    ) -> TranscriptOut:
        messages = await run_in_threadpool(store.transcript, conversation.id)
        return TranscriptOut(conversation_id=conversation.id,
                             messages=[MessageOut.of(m) for m in messages])

    @api.websocket("/ws/conversations/{conversation_id}")
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
        await deps.hub.join_customer(conversation.id, websocket)
        try:
            while True:
                await serve_frame(websocket, conversation)
        except WebSocketDisconnect:
            return
        except ConversationNotFound:  # anonymised while the socket was open
            await websocket.send_json({"type": "error", "error": "conversation not found"})
            await websocket.close(code=4404)
        finally:
            deps.hub.leave_customer(conversation.id, websocket)

    async def serve_frame(websocket: WebSocket, conversation: OpenedConversation) -> None:
        raw = await websocket.receive_text()
        try:
            body = CustomerMessageIn.model_validate_json(raw)
        except ValidationError:
            await websocket.send_json({"type": "error", "error": 'expected {"text": "..."}'})
            return
        try:
            deps.limits.message(conversation.id, address_of(websocket))
        except RateLimited as refused:
            await websocket.send_json({"type": "error", "error": str(refused), "code": "rate_limited",
                                       "retry_after_s": refused.retry_after_s})
            return
        try:
            exchange = await router.handle(conversation, body.text)
        except InvalidMessage as error:
            await websocket.send_json({"type": "error", "error": str(error)})
            return
        except BotUnavailable as error:
            await websocket.send_json({"type": "ack", "message": _json(MessageOut.of(error.message))})
            await websocket.send_json({"type": "error", "error": SAVED, "code": "bot_unavailable"})
            return
        with metrics.timed("delivery"):
            await websocket.send_json({"type": "ack", "message": _json(MessageOut.of(exchange.message))})
            for reply in exchange.replies:
                await websocket.send_json({"type": "message", "message": _json(MessageOut.of(reply))})

    app.include_router(api)


def address_of(connection: Request | WebSocket) -> str:
    """The client's address (uvicorn puts a trusted proxy's X-Forwarded-For there)."""
    return connection.client.host if connection.client else "unknown"


def _json(message: MessageOut) -> dict:
    return message.model_dump(mode="json")
