"""The dashboard's JSON and CSV API, for admins and team leads (role `lead`)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.analytics.export import TABLES, to_csv
from bot.analytics.report import DRILLS, Filters, ReportError, build_report, conversations_behind, period
from bot.console import auth
from bot.console.accounts import Account
from bot.desk.conversations import ConversationStore
from bot.privacy.access import AccessLog

DEFAULT_DAYS = 30


@dataclass
class AnalyticsDeps:
    sessions: sessionmaker[Session]
    conversations: ConversationStore
    access: AccessLog  # a lead reading a transcript is logged as an agent opening one is


def filters_of(since: date | None, until: date | None, channel: str | None, demo: str) -> Filters:
    """Whole UTC days; by default the last 30 days up to today."""
    until = until or datetime.now(timezone.utc).date()
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    try:
        return period(since, until, channel or None, include_demo=demo == "include")
    except ReportError as error:
        raise HTTPException(422, str(error)) from None


def add_analytics_routes(app: FastAPI, deps: AnalyticsDeps, role_required: Callable) -> None:
    Lead = Annotated[Account, Depends(role_required(*auth.ANALYTICS_ROLES))]
    api = APIRouter(prefix="/api/analytics")

    def chosen(since: Annotated[date | None, Query(description="first day, YYYY-MM-DD (UTC)")] = None,
               until: Annotated[date | None, Query(description="last day, included")] = None,
               channel: Annotated[str | None, Query(max_length=32)] = None,
               demo: Literal["include", "exclude"] = "include") -> Filters:
        return filters_of(since, until, channel, demo)

    Chosen = Annotated[Filters, Depends(chosen)]

    @api.get("/report")
    async def report(_: Lead, filters: Chosen) -> dict[str, Any]:
        return await run_in_threadpool(build_report, deps.sessions, filters)

    @api.get("/report.csv")
    async def report_csv(_: Lead, filters: Chosen, table: Literal[TABLES] = "headline") -> Response:  # type: ignore[valid-type]
        found = await run_in_threadpool(build_report, deps.sessions, filters)
        name = f"harbor-analytics-{table}-{filters.since:%Y%m%d}-{filters.until - timedelta(days=1):%Y%m%d}.csv"
        return Response(to_csv(found, table), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @api.get("/conversations")
    async def behind(_: Lead, filters: Chosen, figure: Literal[DRILLS],  # type: ignore[valid-type]
                     key: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
        try:
            found = await run_in_threadpool(conversations_behind, deps.sessions, filters, figure, key)
        except ReportError as error:
            raise HTTPException(422, str(error)) from None
        return {"figure": figure, "key": key, "conversations": found}

    @api.get("/conversations/{conversation_id}")
    async def transcript(conversation_id: str, account: Lead) -> dict[str, Any]:
        messages = await run_in_threadpool(deps.conversations.transcript, conversation_id)
        if not messages:
            raise HTTPException(404, "conversation not found")
        await run_in_threadpool(deps.access.record, account, "analytics", conversation_id)
        return {"conversation_id": conversation_id,
                "messages": [{"sender": m.sender.value, "text": m.text, "at": m.created_at.isoformat(),
                              "intent": ((m.analysis or {}).get("intent") or {}).get("name")}
                             for m in messages if m.text]}  # a reply of buttons or markers alone has no text

    app.include_router(api)
