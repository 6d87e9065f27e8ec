"""The console's HTTP API and live socket. Every endpoint needs a login; every change needs
the session's CSRF token; agents work the queue, editors keep content, admins do both."""


from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    HTTPException,
    Request,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.responses import Response
from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from bot.console import auth
from bot.console.accounts import Account, AccountError, AccountStore
from bot.console.suggestions import Suggester
from bot.console.views import conversation_view, handoff_payload, message_view, queue_view
from bot.desk import notices
from bot.desk.conversations import ConversationStore
from bot.desk.handoffs import AlreadyClaimed, HandoffError, HandoffStore
from bot.desk.live import LiveHub
from bot.desk.models import Message, Role, Sender
from bot.desk.schemas import MessageOut
from bot.kb.feedback import FeedbackLog
from bot.privacy.access import AccessLog
from bot.profiles.store import ProfileStore
from bot.text import CleanText


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: CleanText = Field(max_length=4000)


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    display_name: CleanText
    password: str
    role: Role


@dataclass
class ConsoleDeps:
    accounts: AccountStore
    conversations: ConversationStore
    handoffs: HandoffStore
    profiles: ProfileStore
    feedback: FeedbackLog
    suggester: Suggester
    hub: LiveHub
    login_rate: RateLimitItem
    access: AccessLog  # every opened conversation and profile (docs/privacy.md)
    # Sends what the console tells a customer on their messaging channel (the widget has its socket).
    deliver: Callable[[str, list[Message]], Awaitable[None]] | None = None
    channel_status: Callable[[str], dict | None] | None = None
    # Why a person's reply cannot go out on the channel now (WhatsApp's 24-hour window), if so.
    reply_blocked: Callable[[str], str | None] | None = None
    login_limiter: MovingWindowRateLimiter = field(
        default_factory=lambda: MovingWindowRateLimiter(MemoryStorage()))


def add_console_routes(app: FastAPI, deps: ConsoleDeps) -> None:
    role_required, csrf_checked = auth.guards(deps.accounts)
    Agent = Annotated[Account, Depends(role_required(*auth.CONSOLE_ROLES))]
    Editor = Annotated[Account, Depends(role_required(*auth.EDITOR_ROLES))]
    Admin = Annotated[Account, Depends(role_required(*auth.ADMIN_ROLES))]
    Anyone = Annotated[Account, Depends(role_required(*Role))]
    csrf = [Depends(csrf_checked)]
    api = APIRouter()
    hub = deps.hub

    async def queue_snapshot() -> dict[str, Any]:
        return queue_view(await run_in_threadpool(deps.handoffs.queue), await hub.agents_online())

    hub.queue_snapshot = queue_snapshot

    def me(account: Account, request: Request) -> dict[str, Any]:
        return {"username": account.username, "display_name": account.display_name,
                "role": account.role.value, "csrf_token": request.session.get("csrf")}

    @api.post("/api/console/login")
    async def login(body: LoginIn, request: Request) -> dict[str, Any]:
        address = request.client.host if request.client else "unknown"
        if not deps.login_limiter.hit(deps.login_rate, "login", address, body.username.strip().lower()):
            raise HTTPException(429, "too many login attempts; wait a minute and try again")
        account = await run_in_threadpool(deps.accounts.authenticate, body.username, body.password)
        if account is None:
            raise HTTPException(401, "wrong username or password")
        auth.log_in(request, account)
        return me(account, request)

    @api.post("/api/console/logout", status_code=204, dependencies=csrf)
    async def logout(_: Anyone, request: Request) -> Response:
        auth.log_out(request)
        return Response(status_code=204)

    @api.get("/api/console/me")
    async def whoami(account: Anyone, request: Request) -> dict[str, Any]:
        return me(account, request)

    @api.get("/api/console/queue")
    async def queue(_: Agent) -> dict[str, Any]:
        return await queue_snapshot()

    @api.get("/api/console/conversations/{conversation_id}")
    async def conversation(conversation_id: str, account: Agent) -> dict[str, Any]:
        view = await run_in_threadpool(conversation_view, conversation_id, account, deps.conversations,
                                       deps.handoffs, deps.profiles, deps.suggester)
        if view is None:
            raise HTTPException(404, "conversation not found")
        await run_in_threadpool(deps.access.record, account, "console", conversation_id,
                                (view["profile"] or {}).get("id"))
        if deps.channel_status is not None:
            view["messaging"] = await run_in_threadpool(deps.channel_status, conversation_id)
        return view

    @api.get("/api/console/conversations/{conversation_id}/handoff")
    async def payload(conversation_id: str, account: Agent) -> dict[str, Any]:
        found = await run_in_threadpool(handoff_payload, conversation_id, deps.conversations, deps.handoffs)
        if found is None:
            raise HTTPException(404, "this conversation was never handed to a person")
        await run_in_threadpool(deps.access.record, account, "handoff_api", conversation_id,
                                found["customer_id"])
        return found

    @api.post("/api/console/handoffs/{handoff_id}/claim", dependencies=csrf)
    async def claim(handoff_id: int, account: Agent) -> dict[str, Any]:
        try:
            handoff = await run_in_threadpool(deps.handoffs.claim, handoff_id, account.id)
        except AlreadyClaimed as error:
            raise HTTPException(409, str(error)) from None
        except HandoffError as error:
            raise HTTPException(404, str(error)) from None
        await tell_customer(handoff.conversation_id, notices.agent_joined(account.display_name), Sender.bot,
                            {"custom": {"handoff": {"status": "claimed", "agent": account.display_name}}})
        await hub.queue_changed()
        return {"conversation_id": handoff.conversation_id, "status": handoff.status.value}

    @api.post("/api/console/conversations/{conversation_id}/messages", status_code=201, dependencies=csrf)
    async def reply(conversation_id: str, body: TextIn, account: Agent) -> dict[str, Any]:
        await owned(conversation_id, account)
        if deps.reply_blocked is not None:
            blocked = await run_in_threadpool(deps.reply_blocked, conversation_id)
            if blocked:
                raise HTTPException(409, blocked)
        message = await tell_customer(conversation_id, body.text.strip(), Sender.agent,
                                      {"agent": account.display_name})
        return message_view(message)

    @api.post("/api/console/conversations/{conversation_id}/notes", status_code=201, dependencies=csrf)
    async def add_note(conversation_id: str, body: TextIn, account: Agent) -> dict[str, Any]:
        if await run_in_threadpool(deps.conversations.get, conversation_id) is None:
            raise HTTPException(404, "conversation not found")
        note = await run_in_threadpool(deps.handoffs.add_note, conversation_id, account.id, body.text.strip())
        await hub.conversation_changed(conversation_id)
        return {"id": note.id, "author": note.author, "text": note.text, "created_at": note.created_at.isoformat()}

    @api.post("/api/console/conversations/{conversation_id}/resolve", dependencies=csrf)
    async def resolve(conversation_id: str, account: Agent) -> dict[str, Any]:
        return await close(conversation_id, account, resolved=True)

    @api.post("/api/console/conversations/{conversation_id}/hand-back", dependencies=csrf)
    async def hand_back(conversation_id: str, account: Agent) -> dict[str, Any]:
        return await close(conversation_id, account, resolved=False)

    @api.get("/api/editor/kb/questions")
    async def kb_questions(_: Editor) -> dict[str, Any]:
        rows = await run_in_threadpool(deps.feedback.recent, 100)
        return {"items": [{"question": q.question, "asked_at": q.created_at.isoformat(), "answered": q.answered,
                           "article_id": q.article_id, "helpful": q.helpful} for q in rows]}

    @api.get("/api/admin/accounts")
    async def accounts(_: Admin) -> dict[str, Any]:
        return {"items": [{"username": a.username, "display_name": a.display_name, "role": a.role.value}
                          for a in await run_in_threadpool(deps.accounts.all)]}

    @api.post("/api/admin/accounts", status_code=201, dependencies=csrf)
    async def create_account(body: AccountIn, _: Admin) -> dict[str, Any]:
        try:
            account = await run_in_threadpool(deps.accounts.create, body.username, body.display_name,
                                              body.password, body.role)
        except AccountError as error:
            raise HTTPException(422, str(error)) from None
        return {"username": account.username, "display_name": account.display_name, "role": account.role.value}

    async def owned(conversation_id: str, account: Account) -> None:
        try:
            await run_in_threadpool(deps.handoffs.owned, conversation_id, account.id)
        except HandoffError as error:
            raise HTTPException(409, str(error)) from None

    async def close(conversation_id: str, account: Account, resolved: bool) -> dict[str, Any]:
        try:
            handoff = await run_in_threadpool(deps.handoffs.close, conversation_id, account.id, resolved)
        except HandoffError as error:
            raise HTTPException(409, str(error)) from None
        if resolved:
            await tell_customer(conversation_id, notices.ask_rating(account.display_name), Sender.bot,
                                {"buttons": notices.RATING_BUTTONS, "custom": {"handoff": {"status": "resolved"}}})
        else:
            await tell_customer(conversation_id, notices.handed_back(account.display_name), Sender.bot,
                                {"custom": {"handoff": {"status": "returned"}}})
        await hub.queue_changed()
        return {"conversation_id": conversation_id, "status": handoff.status.value}

    async def tell_customer(conversation_id: str, text: str, sender: Sender,
                            payload: dict | None = None) -> Message:
        message = await run_in_threadpool(deps.conversations.add_message, conversation_id, sender, text, payload)
        await hub.to_customer(conversation_id, {"type": "message",
                                                "message": MessageOut.of(message).model_dump(mode="json")})
        if deps.deliver is not None:
            await deps.deliver(conversation_id, [message])
        await hub.conversation_changed(conversation_id)
        return message

    @api.websocket("/ws/console")
    async def console_socket(websocket: WebSocket) -> None:
        account = await run_in_threadpool(auth.websocket_account, deps.accounts, websocket)
        await websocket.accept()
        if account is None or account.role not in auth.CONSOLE_ROLES:
            await websocket.close(code=4401 if account is None else 4403)
            return
        await hub.join_console(websocket, account.id)
        try:
            while True:
                await websocket.receive_text()  # the console only listens; this notices the close
        except WebSocketDisconnect:
            pass
        finally:
            await hub.leave_console(websocket)

    app.include_router(api)
