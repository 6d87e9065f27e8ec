"""The admins' privacy API: look a customer up, export or erase their data, and read the
requests served and the access log."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.console import auth
from bot.console.accounts import Account
from bot.privacy.access import AccessLog
from bot.privacy.models import PrivacyRequest
from bot.privacy.subject import (
    UnknownCustomer,
    conversations_of,
    erase_customer,
    export_customer,
    find_customer,
)
from bot.privacy.tracker import TrackerEvents
from bot.profiles.models import Order


class EraseIn(BaseModel):
    confirm: str  # the customer id again: an erasure cannot be undone


@dataclass
class PrivacyDeps:
    sessions: sessionmaker[Session]
    tracker: TrackerEvents
    access: AccessLog
    keeps: list[str] = field(default_factory=list)


def customer_summary(sessions: sessionmaker[Session], customer_id: str) -> dict[str, Any] | None:
    with sessions() as session:
        customer = find_customer(session, customer_id)
        if customer is None:
            return None
        return {"id": customer.id, "name": f"{customer.first_name} {customer.last_name}".strip(),
                "email": customer.email, "conversations": len(conversations_of(session, customer)),
                "orders": session.scalar(select(func.count()).where(Order.customer_id == customer.id)),
                "erased": customer.erased_at is not None}


def add_privacy_routes(app: FastAPI, deps: PrivacyDeps, role_required: Callable, csrf_checked: Callable) -> None:
    Admin = Annotated[Account, Depends(role_required(*auth.ADMIN_ROLES))]
    api = APIRouter(prefix="/api/admin/privacy")

    @api.get("/customers/{customer_id}")
    async def look_up(customer_id: str, account: Admin) -> dict[str, Any]:
        found = await run_in_threadpool(customer_summary, deps.sessions, customer_id)
        if found is None:
            raise HTTPException(404, f"no customer {customer_id}")
        await run_in_threadpool(deps.access.record, account, "privacy", customer_id=customer_id)
        return found

    @api.get("/customers/{customer_id}/export")
    async def export(customer_id: str, account: Admin) -> JSONResponse:
        try:
            document = await run_in_threadpool(export_customer, deps.sessions, customer_id, account.username)
        except UnknownCustomer as error:
            raise HTTPException(404, str(error)) from None
        return JSONResponse(document, headers={
            "Content-Disposition": f'attachment; filename="harbor-export-{customer_id}.json"'})

    @api.post("/customers/{customer_id}/erase", dependencies=[Depends(csrf_checked)])
    async def erase(customer_id: str, body: EraseIn, account: Admin) -> dict[str, Any]:
        if body.confirm != customer_id:
            raise HTTPException(422, f"to erase {customer_id}, send its id again as \"confirm\"")
        try:
            return await run_in_threadpool(erase_customer, deps.sessions, deps.tracker, customer_id,
                                           account.username, deps.keeps)
        except UnknownCustomer as error:
            raise HTTPException(404, str(error)) from None

    @api.get("/requests")
    async def requests(_: Admin, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
        def read() -> list[dict[str, Any]]:
            with deps.sessions() as session:
                return [{"id": r.id, "at": r.at.isoformat(), "kind": r.kind, "customer_id": r.customer_id,
                         "requested_by": r.requested_by, "counts": r.counts}
                        for r in session.scalars(select(PrivacyRequest).order_by(PrivacyRequest.id.desc())
                                                 .limit(limit))]
        return {"items": await run_in_threadpool(read)}

    @api.get("/access-log")
    async def access_log(_: Admin, subject: Annotated[str | None, Query(max_length=64)] = None,
                         username: Annotated[str | None, Query(max_length=64)] = None,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        entries = await run_in_threadpool(deps.access.read, subject, username, limit)
        return {"items": [{"at": e.at.isoformat(), "username": e.username, "role": e.role, "what": e.what,
                           "subject": e.subject, "via": e.via} for e in entries]}

    app.include_router(api)
