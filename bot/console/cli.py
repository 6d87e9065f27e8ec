"""`assistant accounts`: console accounts for agents, editors and admins."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from bot.console.accounts import AccountError, AccountStore
from bot.db import make_engine, make_session_factory
from bot.desk.migrate import upgrade_database
from bot.desk.models import Role
from bot.settings import get_settings


def _store() -> AccountStore:
    url = get_settings().database_url
    upgrade_database(url)
    return AccountStore(make_session_factory(make_engine(url)))


def add_account(args: argparse.Namespace) -> int:
    # From the environment for scripts; otherwise asked for, never on the command line.
    password = os.environ.get("ASSISTANT_NEW_PASSWORD") or getpass.getpass(f"Password for {args.username}: ")
    try:
        account = _store().create(args.username, args.name or args.username, password, Role(args.role))
    except AccountError as error:
        print(f"Could not add the account: {error}", file=sys.stderr)
        return 1
    print(f"Added {account.role.value} '{account.username}' ({account.display_name}).")
    return 0


def list_accounts(_: argparse.Namespace) -> int:
    for account in _store().all():
        print(f"{account.username:<16} {account.role.value:<7} {account.display_name}")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    accounts = commands.add_parser("accounts", help="console accounts (agents, editors, admins)")
    sub = accounts.add_subparsers(dest="accounts_command", required=True)
    add = sub.add_parser("add", help="add an account (password from ASSISTANT_NEW_PASSWORD or a prompt)")
    add.add_argument("username")
    add.add_argument("--name", help="the name customers and colleagues see")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.agent.value)
    add.set_defaults(func=add_account)
    sub.add_parser("list", help="list the accounts").set_defaults(func=list_accounts)
