"""Console accounts: argon2id password hashes (argon2-cffi), roles agent/editor/admin."""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.desk.models import Agent, Role

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_CHARS = 10
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


class AccountError(ValueError):
    """The account cannot be created as asked (the message says why)."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str
    role: Role


def _account(agent: Agent) -> Account:
    return Account(agent.id, agent.username, agent.display_name, agent.role)


class AccountStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, username: str, display_name: str, password: str, role: Role) -> Account:
        if not USERNAME.match(username):
            raise AccountError("usernames are 2-64 lowercase letters, digits, '.', '_' or '-'")
        if len(password) < MIN_PASSWORD_CHARS:
            raise AccountError(f"passwords need at least {MIN_PASSWORD_CHARS} characters")
        with self._sessions.begin() as session:
            if session.scalar(select(Agent.id).where(Agent.username == username)) is not None:
                raise AccountError(f"there is already an account '{username}'")
            agent = Agent(username=username, display_name=display_name.strip() or username,
                          password_hash=_hasher.hash(password), role=role)
            session.add(agent)
            session.flush()
            return _account(agent)

    def authenticate(self, username: str, password: str) -> Account | None:
        with self._sessions() as session:
            agent = session.scalar(select(Agent).where(Agent.username == username.strip().lower()))
        try:
            _hasher.verify(agent.password_hash if agent else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return _account(agent) if agent else None

    def get(self, account_id: int) -> Account | None:
        with self._sessions() as session:
            agent = session.get(Agent, account_id)
            return _account(agent) if agent else None

    def all(self) -> list[Account]:
        with self._sessions() as session:
            return [_account(a) for a in session.scalars(select(Agent).order_by(Agent.username))]


# `make seed` creates these for the demo (listed in the README); never in production.
DEMO_ACCOUNTS = (
    ("alex", "Alex Rivera", "harbor-agent-1", Role.agent),
    ("sam", "Sam Okafor", "harbor-agent-2", Role.agent),
    ("erin", "Erin Park", "harbor-editor-1", Role.editor),
    ("ada", "Ada Brooks", "harbor-admin-1", Role.admin),
    ("lee", "Lee Chen", "harbor-lead-1", Role.lead),
)


def seed_demo_accounts(store: AccountStore) -> int:
    """Create the demo accounts that are missing; returns how many were added."""
    existing = {account.username for account in store.all()}
    added = 0
    for username, name, password, role in DEMO_ACCOUNTS:
        if username not in existing:
            store.create(username, name, password, role)
            added += 1
    return added
