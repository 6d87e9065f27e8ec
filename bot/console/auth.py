"""Console sessions: a signed cookie (Starlette's SessionMiddleware, itsdangerous) holding the
account id and a CSRF token; every state-changing request must echo the token in a header."""


import hmac
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, WebSocket

from bot.console.accounts import Account, AccountStore
from bot.desk.models import Role

SESSION_COOKIE = "hp_console"
CONSOLE_ROLES = (Role.agent, Role.admin)  # who works the queue
EDITOR_ROLES = (Role.editor, Role.admin)
ADMIN_ROLES = (Role.admin,)
ANALYTICS_ROLES = (Role.admin, Role.lead)  # leads read the dashboard; they cannot edit accounts


def log_in(request: Request, account: Account) -> str:
    request.session.clear()
    request.session["account_id"] = account.id
    request.session["csrf"] = secrets.token_urlsafe(32)
    return request.session["csrf"]


def log_out(request: Request) -> None:
    request.session.clear()


def session_account(accounts: AccountStore, session: dict) -> Account | None:
    account_id = session.get("account_id")
    return accounts.get(account_id) if isinstance(account_id, int) else None


def websocket_account(accounts: AccountStore, websocket: WebSocket) -> Account | None:
    """The logged-in account of a console socket, if the socket comes from this site
    (a cookie alone does not prove that for WebSockets: no same-origin rule applies)."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if origin is not None and origin.split("://", 1)[-1] != host:
        return None
    return session_account(accounts, websocket.session)


def guards(accounts: AccountStore) -> tuple[Callable, Callable]:
    """FastAPI dependencies: `role_required(*roles)` and `csrf_checked`."""

    def current(request: Request) -> Account:
        account = session_account(accounts, request.session)
        if account is None:
            request.session.clear()
            raise HTTPException(401, "log in first")
        return account

    def role_required(*roles: Role) -> Callable[..., Account]:
        def check(account: Annotated[Account, Depends(current)]) -> Account:
            if account.role not in roles:
                raise HTTPException(403, f"a {account.role.value} account cannot do this")
            return account
        return check

    def csrf_checked(request: Request, _: Annotated[Account, Depends(current)],
                     x_csrf_token: Annotated[str | None, Header()] = None) -> None:
        """Logged in first (401), then the token (403)."""
        expected = request.session.get("csrf")
        if not expected or not x_csrf_token or not hmac.compare_digest(expected, x_csrf_token):
            raise HTTPException(403, "missing or wrong CSRF token (send the X-CSRF-Token header)")

    return role_required, csrf_checked
