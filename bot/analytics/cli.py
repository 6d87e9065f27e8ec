"""`assistant analytics`: the report on the command line, and rebuilding the facts."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timedelta, timezone

from bot.analytics.export import to_markdown
from bot.analytics.facts import rebuild, track
from bot.analytics.report import ReportError, build_report, period
from bot.db import make_engine, make_session_factory
from bot.desk.migrate import upgrade_database
from bot.settings import get_settings


def _sessions():  # noqa: ANN202
    url = get_settings().database_url
    upgrade_database(url)
    return track(make_session_factory(make_engine(url)))


def report(args: argparse.Namespace) -> int:
    until = args.until or datetime.now(timezone.utc).date()
    since = args.since or until - timedelta(days=29)
    try:
        found = build_report(_sessions(), period(since, until, args.channel, not args.exclude_demo))
    except ReportError as error:
        print(f"Could not make the report: {error}", file=sys.stderr)
        return 2
    print(json.dumps(found, indent=2) if args.format == "json" else to_markdown(found), end="")
    return 0


def rebuild_command(_: argparse.Namespace) -> int:
    print("Recomputing the analytics facts from the stored conversations ...", flush=True)
    print(f"Done: {rebuild(_sessions())} conversations.")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    analytics = commands.add_parser("analytics", help="support analytics (docs/analytics.md)")
    sub = analytics.add_subparsers(dest="analytics_command", required=True)
    made = sub.add_parser("report", help="the dashboard's figures for a period (default: the last 30 days)")
    made.add_argument("--since", type=date.fromisoformat, help="first day, YYYY-MM-DD (UTC)")
    made.add_argument("--until", type=date.fromisoformat, help="last day, included (default: today)")
    made.add_argument("--channel", help="one channel only (web, telegram, slack, whatsapp, sms, messenger, ...)")
    made.add_argument("--exclude-demo", action="store_true", help="leave out the demo history")
    made.add_argument("--format", choices=["md", "json"], default="md")
    made.set_defaults(func=report)
    sub.add_parser("rebuild", help="recompute the facts from the stored conversations (after an upgrade)"
                   ).set_defaults(func=rebuild_command)
