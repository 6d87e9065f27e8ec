"""`assistant privacy`: retention's purge, and one customer's export or erasure."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, make_session_factory
from bot.desk.migrate import upgrade_database
from bot.privacy.retention import erase_due, purge
from bot.privacy.subject import UnknownCustomer, erase_customer, export_customer
from bot.privacy.tracker import TrackerEvents, tracker_url
from bot.settings import get_settings

REQUESTED_BY = "cli"


def _sessions() -> sessionmaker[Session]:
    url = get_settings().database_url
    upgrade_database(url)
    return make_session_factory(make_engine(url))


def _tracker() -> TrackerEvents:
    return TrackerEvents(tracker_url(get_settings()))


def purge_command(args: argparse.Namespace) -> int:
    settings = get_settings()
    days = args.days if args.days is not None else settings.privacy_retention_days
    sessions, tracker = _sessions(), _tracker()
    if days > 0:
        print(f"Anonymising conversations idle for more than {days} days ...", flush=True)
        print(purge(sessions, tracker, days, REQUESTED_BY).describe())
    else:
        print("Retention is off (privacy_retention_days is 0): no conversation is purged.")
    erased = erase_due(sessions, tracker, settings.privacy_erasure_keeps)
    print(f"Erased {len(erased)} customer(s) whose own deletion request is past its grace.")
    return 0


def export_command(args: argparse.Namespace) -> int:
    try:
        document = export_customer(_sessions(), args.customer_id, REQUESTED_BY)
    except UnknownCustomer as error:
        print(f"Could not export: {error}", file=sys.stderr)
        return 2
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"Wrote {args.output}: {len(document['conversations'])} conversation(s), "
              f"{len(document['orders'])} order(s).", file=sys.stderr)
    else:
        print(text)
    return 0


def erase_command(args: argparse.Namespace) -> int:
    if not args.yes:
        print(f"Erasing {args.customer_id} cannot be undone; run again with --yes to do it.", file=sys.stderr)
        return 2
    keeps = get_settings().privacy_erasure_keeps
    try:
        result = erase_customer(_sessions(), _tracker(), args.customer_id, REQUESTED_BY, keeps)
    except UnknownCustomer as error:
        print(f"Could not erase: {error}", file=sys.stderr)
        return 2
    removed = ", ".join(f"{kind} {count}" for kind, count in sorted(result["removed"].items()))
    print(f"Erased {args.customer_id} (request {result['request_id']}): customer {result['customer']}; "
          f"{removed}; kept: {', '.join(result['kept']) or 'nothing'}.")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    privacy = commands.add_parser("privacy", help="retention, export and erasure (docs/privacy.md)")
    sub = privacy.add_subparsers(dest="privacy_command", required=True)
    purged = sub.add_parser("purge", help="anonymise conversations older than the retention limit")
    purged.add_argument("--days", type=int, help="this limit instead of privacy_retention_days")
    purged.set_defaults(func=purge_command)
    exported = sub.add_parser("export", help="everything held about one customer, as JSON")
    exported.add_argument("customer_id")
    exported.add_argument("-o", "--output", help="write to this file instead of standard output")
    exported.set_defaults(func=export_command)
    erased = sub.add_parser("erase", help="erase one customer, keeping only privacy_erasure_keeps")
    erased.add_argument("customer_id")
    erased.add_argument("--yes", action="store_true", help="really erase (it cannot be undone)")
    erased.set_defaults(func=erase_command)
