"""The `assistant` command: run the assistant, train its dialogue model, manage the knowledge base."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

from bot.analytics.cli import add_commands as add_analytics_commands
from bot.analytics.demo_history import DEMO_HISTORY_DAYS, seed_history
from bot.privacy.cli import add_commands as add_privacy_commands
from bot.channels.cli import add_commands as add_channel_commands
from bot.console.accounts import DEMO_ACCOUNTS, AccountStore, seed_demo_accounts
from bot.console.cli import add_commands as add_account_commands
from bot.datastores import DatastoreMissing
from bot.db import make_engine, make_session_factory
from bot.deployment import ACTION_WORKERS, DESK_WORKERS, RASA_SERVERS
from bot.desk.migrate import create_tracker_database, upgrade_database
from bot.escalation.cli import add_commands as add_escalation_commands
from bot.kb.cli import add_commands as add_kb_commands
from bot.launcher import ROOT, Ports, Stack, StackFailed
from bot.profiles.seed import READY_MADE, seed
from bot.settings import Settings, get_settings
from bot.training import ensure_model


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(format="%(asctime)s %(message)s", datefmt="%H:%M:%S", level=logging.WARNING)
    settings = get_settings()
    model = ensure_model()
    env = {}
    if settings.identity_secret is None:
        # No store backend shares a secret yet: one for this run lets the demo page sign in.
        env["ASSISTANT_IDENTITY_SECRET"] = secrets.token_hex(32)
    if settings.session_secret is None:
        # Console sessions then last for this run only; set ASSISTANT_SESSION_SECRET to keep them.
        env["ASSISTANT_SESSION_SECRET"] = secrets.token_hex(32)
    if args.production:
        stack = _production_stack(args, settings, model, env)
    else:
        stack = Stack(model, Ports(settings.rasa_port, settings.action_port, settings.desk_port),
                      ROOT / "endpoints.yml", ROOT / "var" / "logs", settings.database_url, env)
        print("Starting the action server, the Rasa server and the desk (logs in var/logs/) ...",
              flush=True)
    try:
        demo = os.environ.get("ASSISTANT_DEMO_STORE") == "true"  # `make run`: the demo store
        if demo:
            print(f"Demo store: writing {DEMO_HISTORY_DAYS} days of demo conversations for the dashboard "
                  "(once) ...", flush=True)
        stack.start(demo_history_days=DEMO_HISTORY_DAYS if demo else 0)
        stack.wait_healthy(progress=True)
        desk, desks = stack.desk_urls[0], ", ".join(stack.desk_urls)
        print(f"\nThe assistant is running: open {desk}/ and click \"Chat with us\"."
              f"\nAgents: {desk}/console (demo accounts in the README)."
              + (f"\nDesk workers (put your load balancer in front): {desks}" if args.production else "")
              + "\nA process that stops is restarted. Press Ctrl-C to stop.", flush=True)
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
        stack.supervise()
    except (StackFailed, DatastoreMissing) as error:
        print(f"Could not start the assistant: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping ...", flush=True)
        stack.stop()
    return 0


def _production_stack(args: argparse.Namespace, settings: Settings, model: Path,
                      env: dict[str, str]) -> Stack:
    """docs/deployment.md: PostgreSQL and Redis from the URLs set, or started on loopback
    with their data in var/production/."""
    ports = Ports.consecutive(settings.rasa_port, settings.action_port, settings.desk_port,
                              args.rasa_servers, args.desk_workers)
    # A PostgreSQL URL configured is used; the embedded default (SQLite) is not.
    configured = settings.database_url if settings.database_url.startswith("postgresql") else None
    print(f"Starting the production profile: {args.desk_workers} desk worker(s), {args.rasa_servers} "
          f"Rasa server(s), {args.action_workers} action worker(s), "
          f"{'PostgreSQL at ASSISTANT_DATABASE_URL' if configured else 'PostgreSQL on loopback'}, "
          f"{'Redis at ASSISTANT_REDIS_URL' if settings.redis_url else 'Redis on loopback'} "
          "(logs in var/production/logs/) ...", flush=True)
    return Stack.production(model, ROOT / "var" / "production", ports, args.action_workers,
                            database_url=configured, redis_url=settings.redis_url, env=env)


def migrate(_: argparse.Namespace) -> int:
    database_url = get_settings().database_url
    upgrade_database(database_url)
    create_tracker_database(database_url)
    print("The desk's database is up to date (and Rasa's tracker database exists, on PostgreSQL).")
    return 0


def seed_command(args: argparse.Namespace) -> int:
    settings = get_settings()
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    summary = seed(sessions)
    added = seed_demo_accounts(AccountStore(sessions))
    if args.history:
        print(f"Writing {args.history} days of demo conversations for the dashboard ...", flush=True)
        history = seed_history(sessions, args.history)
        print(f"{'Added' if history.created else 'Demo history already there:'} {history.conversations} "
              f"demo conversations{f', {history.messages} messages' if history.created else ''}.")
    engine.dispose()
    print(f"{'Added' if summary.created else 'Already there:'} {summary.customers} customers, "
          f"{summary.orders} orders ({', '.join(f'{k} {v}' for k, v in sorted(summary.by_status.items()))}).")
    print("Ready-made customers to try:")
    for customer in READY_MADE:
        print(f"  {customer['id']} {customer['name']} <{customer['email']}>: {customer['try']}")
    print(f"Console accounts at /console ({added} added now; demo only, change them in production):")
    for username, name, password, role in DEMO_ACCOUNTS:
        print(f"  {username} / {password}  ({role.value}, {name})")
    return 0


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def train(_: argparse.Namespace) -> int:
    ensure_model()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="assistant", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="train if needed, start all processes, stop on Ctrl-C")
    run_parser.add_argument("--production", action="store_true",
                            help="PostgreSQL, Redis, several desk workers and Rasa servers (docs/deployment.md)")
    run_parser.add_argument("--desk-workers", type=int, default=DESK_WORKERS, help="with --production")
    run_parser.add_argument("--rasa-servers", type=int, default=RASA_SERVERS, help="with --production")
    run_parser.add_argument("--action-workers", type=int, default=ACTION_WORKERS, help="with --production")
    run_parser.set_defaults(func=run)
    commands.add_parser("migrate", help="bring the database schema up to date (before workers start)"
                        ).set_defaults(func=migrate)
    commands.add_parser("train", help="train the Rasa model if its inputs changed").set_defaults(func=train)
    seed_parser = commands.add_parser("seed", help="add the demo store's customers, orders and accounts (once)")
    seed_parser.add_argument("--history", type=int, metavar="DAYS", default=0,
                             help="also write DAYS days of demo conversations for the dashboard (once)")
    seed_parser.set_defaults(func=seed_command)
    add_kb_commands(commands)
    add_escalation_commands(commands)
    add_account_commands(commands)
    add_channel_commands(commands)
    add_analytics_commands(commands)
    add_privacy_commands(commands)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
