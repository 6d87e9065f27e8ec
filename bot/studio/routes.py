"""The studio's HTTP API: editors and admins only (agents 403, visitors 401), CSRF on every
change, and every change to an example, response or article written to the audit log."""


import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from bot.console import auth
from bot.console.accounts import Account
from bot.desk.conversations import ConversationStore
from bot.desk.models import Role
from bot.kb.base import KnowledgeBase
from bot.studio import git
from bot.studio.articles import ArticleEditor, ArticleRejected, try_question
from bot.studio.audit import AuditLog
from bot.studio.inbox import ItemNotFound, ItemState, ReviewStore
from bot.studio.publish import Publisher, PublishError
from bot.studio.releases import ReleaseLog
from bot.studio.training_data import Change, TrainingData, TrainingDataError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InboxAction(Strict):
    item_ids: list[int] = Field(default_factory=list, max_length=1000)
    group_id: int | None = None
    action: Literal["add_to_intent", "new_intent", "correct", "ignore", "undo", "draft_article"]
    intent: str | None = Field(None, max_length=64)
    response: str | None = Field(None, max_length=2000)
    title: str | None = Field(None, max_length=200)


class ExampleIn(Strict):
    text: str = Field(max_length=1000)


class ExampleEdit(Strict):
    old: str = Field(max_length=1000)
    new: str = Field(max_length=1000)


class ExampleMove(Strict):
    text: str = Field(max_length=1000)
    source: str = Field(max_length=64)
    target: str = Field(max_length=64)


class IntentIn(Strict):
    name: str = Field(max_length=100)
    examples: list[str] = Field(max_length=200)
    response: str = Field(max_length=2000)


class ResponseIn(Strict):
    texts: list[str] = Field(min_length=1, max_length=20)


class ArticleIn(Strict):
    text: str
    draft: bool = False


class ArticleCheck(Strict):
    text: str
    filename: str | None = Field(None, max_length=100)
    draft: bool = False


class QuestionIn(Strict):
    question: str = Field(min_length=1, max_length=1000)


class PublishIn(Strict):
    reason: str | None = Field(None, max_length=1000)


class ChatIn(Strict):
    text: str = Field(min_length=1, max_length=4000)
    session: str = Field(pattern=r"^[a-z0-9]{8,32}$")


class CommitIn(Strict):
    message: str = Field(min_length=3, max_length=500)


@dataclass
class StudioDeps:
    review: ReviewStore
    conversations: ConversationStore
    training: TrainingData
    articles: ArticleEditor
    audit: AuditLog
    publisher: Publisher
    releases: ReleaseLog
    knowledge_base: Callable[[], KnowledgeBase | None]
    answer_threshold: float


def add_studio_routes(app: FastAPI, deps: StudioDeps, role_required: Callable,
                      csrf_checked: Callable) -> None:
    Editor = Annotated[Account, Depends(role_required(*auth.EDITOR_ROLES))]
    Admin = Annotated[Account, Depends(role_required(*auth.ADMIN_ROLES))]
    csrf = [Depends(csrf_checked)]
    api = APIRouter(prefix="/api/studio")

    def audited(account: Account, change: Change) -> dict[str, Any]:
        deps.audit.record(account.id, change.kind, change.target, change.before, change.after, change.files)
        return asdict(change)

    async def training_change(account: Account, work: Callable[[], Change]) -> dict[str, Any]:
        try:
            change = await run_in_threadpool(work)
        except TrainingDataError as error:
            raise HTTPException(422, str(error)) from None
        return await run_in_threadpool(audited, account, change)

    # ---- review inbox ------------------------------------------------------------------
    @api.get("/inbox")
    async def inbox(_: Editor, state: ItemState = ItemState.pending,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50,
                    offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
        page = await run_in_threadpool(deps.review.page, state, limit, offset)
        counts = await run_in_threadpool(deps.review.counts)
        return {**asdict(page), "counts": counts}

    @api.post("/inbox/actions", dependencies=csrf)
    async def inbox_action(body: InboxAction, account: Editor) -> dict[str, Any]:
        return await run_in_threadpool(act_on_inbox, body, account)

    def act_on_inbox(body: InboxAction, account: Account) -> dict[str, Any]:
        ids = list(body.item_ids)
        if body.group_id is not None:
            state = ItemState.ignored if body.action == "undo" else ItemState.pending
            ids += deps.review.group_item_ids(body.group_id, state)
        if not ids:
            raise HTTPException(422, "choose at least one inbox item (item_ids or group_id)")
        try:
            items = deps.review.items(sorted(set(ids)))
        except ItemNotFound as error:
            raise HTTPException(404, str(error)) from None
        results: list[dict[str, Any]] = []
        texts = list(dict.fromkeys(item.text for item in items))
        done: list[int] = []
        if body.action == "ignore":
            done = [i.id for i in items if i.state == ItemState.pending.value]
            deps.review.act(done, ItemState.ignored, "ignored", account.id)
        elif body.action == "undo":
            done = [i.id for i in items if i.state == ItemState.ignored.value]
            deps.review.act(done, ItemState.pending, None, account.id)
        elif body.action == "draft_article":
            saved = deps.articles.draft_from_questions(texts, body.title)
            deps.audit.record(account.id, "article_drafted", saved.filename, None, saved.after,
                              [f"drafts/{saved.filename}"])
            done = [i.id for i in items]
            deps.review.act(done, ItemState.resolved, "draft_article", account.id)
            results.append({"draft": saved.filename})
        elif body.action == "new_intent":
            if not body.intent or not body.response:
                raise HTTPException(422, "a new intent needs a name and the bot's answer")
            try:
                change = deps.training.create_intent(body.intent, texts, body.response)
            except TrainingDataError as error:
                raise HTTPException(422, str(error)) from None
            audited(account, change)
            done = [i.id for i in items]
            deps.review.act(done, ItemState.resolved, "new_intent", account.id, body.intent)
        else:
            for item in items:
                intent = body.intent if body.action == "add_to_intent" else item.intent
                if not intent:
                    results.append({"item_id": item.id, "error": "choose an intent"})
                    continue
                owner = deps.training.find(item.text)
                if owner == intent:  # taught already (another item with the same text)
                    done.append(item.id)
                    deps.review.act([item.id], ItemState.resolved, body.action, account.id, intent)
                    continue
                try:
                    change = deps.training.add_example(intent, item.text)
                except TrainingDataError as error:
                    results.append({"item_id": item.id, "error": str(error)})
                    continue
                audited(account, change)
                done.append(item.id)
                deps.review.act([item.id], ItemState.resolved, body.action, account.id, intent)
        if not done and results and all("error" in r for r in results):
            raise HTTPException(422, results[0]["error"])
        return {"done": done, "results": results}

    @api.get("/conversations/{conversation_id}")
    async def conversation(conversation_id: str, _: Editor) -> dict[str, Any]:
        """The conversation an inbox message came from, read-only, for context."""
        messages = await run_in_threadpool(deps.conversations.transcript, conversation_id)
        if not messages:
            raise HTTPException(404, "conversation not found")
        return {"conversation_id": conversation_id, "messages": [
            {"sender": m.sender.value, "text": m.text, "created_at": m.created_at.isoformat(),
             "intent": (m.analysis or {}).get("intent")} for m in messages if m.text]}

    # ---- training data -----------------------------------------------------------------
    @api.get("/intents")
    async def intents(_: Editor) -> dict[str, Any]:
        found = await run_in_threadpool(deps.training.intents)
        return {"items": [{"name": i.name, "file": i.file, "examples": len(i.examples)} for i in found]}

    @api.get("/intents/{name}")
    async def intent(name: str, _: Editor) -> dict[str, Any]:
        try:
            found = await run_in_threadpool(deps.training.intent, name)
        except TrainingDataError as error:
            raise HTTPException(404, str(error)) from None
        return asdict(found)

    @api.post("/intents", status_code=201, dependencies=csrf)
    async def create_intent(body: IntentIn, account: Editor) -> dict[str, Any]:
        return await training_change(account, lambda: deps.training.create_intent(
            body.name, body.examples, body.response))

    @api.post("/intents/{name}/examples", status_code=201, dependencies=csrf)
    async def add_example(name: str, body: ExampleIn, account: Editor) -> dict[str, Any]:
        return await training_change(account, lambda: deps.training.add_example(name, body.text))

    @api.put("/intents/{name}/examples", dependencies=csrf)
    async def edit_example(name: str, body: ExampleEdit, account: Editor) -> dict[str, Any]:
        return await training_change(account, lambda: deps.training.edit_example(name, body.old, body.new))

    @api.post("/intents/{name}/examples/delete", dependencies=csrf)
    async def delete_example(name: str, body: ExampleIn, account: Editor) -> dict[str, Any]:
        return await training_change(account, lambda: deps.training.delete_example(name, body.text))

    @api.post("/examples/move", dependencies=csrf)
    async def move_example(body: ExampleMove, account: Editor) -> dict[str, Any]:
        return await training_change(account, lambda: deps.training.move_example(
            body.text, body.source, body.target))

    @api.get("/responses")
    async def responses(_: Editor) -> dict[str, Any]:
        return {"items": await run_in_threadpool(deps.training.responses)}

    @api.put("/responses/{name}", dependencies=csrf)
    async def set_response(name: str, body: ResponseIn, account: Editor) -> dict[str, Any]:
        return await training_change(account, lambda: deps.training.set_response(name, body.texts))

    # ---- articles ----------------------------------------------------------------------
    @api.get("/articles")
    async def articles(_: Editor) -> dict[str, Any]:
        return {"items": [asdict(a) for a in await run_in_threadpool(deps.articles.list)]}

    @api.get("/articles/{filename}")
    async def article(filename: str, _: Editor, draft: bool = False) -> dict[str, Any]:
        try:
            text = await run_in_threadpool(deps.articles.read, filename, draft)
        except KeyError as error:
            raise HTTPException(404, error.args[0]) from None
        return {"filename": filename, "draft": draft, "text": text}

    @api.post("/articles/check")
    async def check_article(body: ArticleCheck, _: Editor) -> dict[str, Any]:
        return asdict(await run_in_threadpool(deps.articles.check, body.text, body.filename, body.draft))

    @api.put("/articles/{filename}", dependencies=csrf)
    async def save_article(filename: str, body: ArticleIn, account: Editor) -> dict[str, Any]:
        try:
            saved = await run_in_threadpool(deps.articles.save, filename, body.text, body.draft)
        except ArticleRejected as error:
            raise rejected(error) from None
        where = f"drafts/{saved.filename}" if saved.draft else saved.filename
        await run_in_threadpool(deps.audit.record, account.id, "article_saved", where, saved.before,
                                saved.after, [where])
        return {"filename": saved.filename, "draft": saved.draft, "created": saved.before is None}

    @api.post("/articles/{filename}/publish", dependencies=csrf)
    async def publish_draft(filename: str, account: Editor) -> dict[str, Any]:
        try:
            saved = await run_in_threadpool(deps.articles.publish_draft, filename)
        except KeyError as error:
            raise HTTPException(404, error.args[0]) from None
        except ArticleRejected as error:
            raise rejected(error) from None
        await run_in_threadpool(deps.audit.record, account.id, "article_published", saved.filename, None,
                                saved.after, [saved.filename])
        return {"filename": saved.filename, "draft": False}

    @api.post("/articles/{filename}/delete-draft", dependencies=csrf)
    async def delete_draft(filename: str, account: Editor) -> dict[str, Any]:
        try:
            before = await run_in_threadpool(deps.articles.read, filename, True)
            await run_in_threadpool(deps.articles.delete_draft, filename)
        except KeyError as error:
            raise HTTPException(404, error.args[0]) from None
        await run_in_threadpool(deps.audit.record, account.id, "draft_deleted", f"drafts/{filename}",
                                before, None, [f"drafts/{filename}"])
        return {"filename": filename, "deleted": True}

    def rejected(error: ArticleRejected) -> HTTPException:
        return HTTPException(422, "; ".join(f"line {e.line}: {e.message}" for e in error.errors))

    @api.post("/try")
    async def try_it(body: QuestionIn, _: Editor) -> dict[str, Any]:
        kb = await run_in_threadpool(deps.knowledge_base)
        if kb is None:
            raise HTTPException(503, "the knowledge base is still loading; try again in a moment")
        return asdict(await run_in_threadpool(try_question, kb, body.question, deps.answer_threshold))

    # ---- train, try, publish, roll back ------------------------------------------------
    @api.get("/train")
    async def train_state(_: Editor) -> dict[str, Any]:
        return {"job": deps.publisher.snapshot()}

    @api.post("/train", status_code=202, dependencies=csrf)
    async def train(account: Editor) -> dict[str, Any]:
        try:
            await run_in_threadpool(deps.publisher.start, account.display_name)
        except PublishError as error:
            raise HTTPException(409, str(error)) from None
        return {"job": deps.publisher.snapshot()}

    @api.get("/train/events")
    async def train_events(_: Editor) -> StreamingResponse:
        """Server-sent events: the job's state whenever it changes, until it ends."""
        async def stream() -> AsyncIterator[str]:
            last = None
            while True:
                snapshot = deps.publisher.snapshot()
                text = json.dumps({"job": snapshot})
                if text != last:
                    yield f"data: {text}\n\n"
                    last = text
                if snapshot is None or snapshot["state"] != "running":
                    return
                await asyncio.sleep(0.5)
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    @api.post("/publish", dependencies=csrf)
    async def publish(body: PublishIn, account: Editor) -> dict[str, Any]:
        try:
            release = await run_in_threadpool(deps.publisher.publish, account.id,
                                              account.role == Role.admin, body.reason)
        except PublishError as error:
            raise HTTPException(409, str(error)) from None
        return {"release": asdict(await run_in_threadpool(deps.releases.get, release))}

    @api.post("/discard", dependencies=csrf)
    async def discard(_: Editor) -> dict[str, Any]:
        try:
            await run_in_threadpool(deps.publisher.discard)
        except PublishError as error:
            raise HTTPException(409, str(error)) from None
        return {"job": deps.publisher.snapshot()}

    @api.get("/releases")
    async def releases(_: Editor) -> dict[str, Any]:
        return {"items": [asdict(r) for r in await run_in_threadpool(deps.releases.history)]}

    @api.post("/releases/{release_id}/rollback", dependencies=csrf)
    async def rollback(release_id: int, account: Editor) -> dict[str, Any]:
        try:
            release = await run_in_threadpool(deps.publisher.rollback, release_id, account.id)
        except PublishError as error:
            raise HTTPException(409, str(error)) from None
        return {"release": asdict(await run_in_threadpool(deps.releases.get, release))}

    @api.post("/candidate/messages", dependencies=csrf)
    async def chat(body: ChatIn, _: Editor) -> dict[str, Any]:
        try:
            replies = await run_in_threadpool(deps.publisher.chat, body.session, body.text)
        except PublishError as error:
            raise HTTPException(409, str(error)) from None
        return {"replies": replies}

    # ---- audit and git -----------------------------------------------------------------
    @api.get("/audit")
    async def audit(_: Editor) -> dict[str, Any]:
        return {"items": [asdict(c) for c in await run_in_threadpool(deps.audit.recent)]}

    @api.get("/git")
    async def git_status(_: Admin) -> dict[str, Any]:
        return asdict(await run_in_threadpool(git.status, deps.training.project, deps.articles.folder))

    @api.post("/git/commit", dependencies=csrf)
    async def git_commit(body: CommitIn, account: Admin) -> dict[str, Any]:
        try:
            commit = await run_in_threadpool(git.commit, deps.training.project, deps.articles.folder,
                                             body.message, account.display_name, account.username)
        except git.GitError as error:
            raise HTTPException(409, str(error)) from None
        return {"commit": commit}

    app.include_router(api)
