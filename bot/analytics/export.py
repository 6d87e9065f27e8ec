"""The report as CSV tables and as Markdown, with each headline figure's label and unit."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from bot.analytics.report import ReportError

# (key, label, unit): the headline figures in the order the dashboard and the exports show them.
HEADLINE = (
    ("conversations", "Conversations", "count"),
    ("customer_messages", "Customer messages", "count"),
    ("containment", "Containment", "share"),
    ("escalation_rate", "Escalation rate", "share"),
    ("fallback_rate", "Fallback rate", "share"),
    ("kb_answer_rate", "Knowledge base answer rate", "share"),
    ("csat", "CSAT (ratings of 4 or 5)", "share"),
    ("mean_rating", "Mean rating", "of 5"),
    ("rating_response_rate", "Rating response rate", "share"),
    ("solved_rate", "\"Did I solve your problem?\" yes", "share"),
    ("survey_response_rate", "Survey response rate", "share"),
    ("median_first_response_s", "Median first response", "seconds"),
    ("abandonment_rate", "Abandonment (left the queue)", "share"),
)
TABLES = ("headline", "trend", "channels", "agents", "reasons", "intents", "unanswered")


def _shown(value: Any, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "seconds":
        return f"{value / 60:.1f} min" if value >= 60 else f"{value:.0f} s"
    return f"{value:,}" if isinstance(value, int) else str(value)


def rows(report: dict[str, Any], table: str) -> list[dict[str, Any]]:
    if table == "headline":
        return [{"figure": key, "label": label, "unit": unit, "value": report["headline"].get(key),
                 "previous": report["previous"].get(key)} for key, label, unit in HEADLINE]
    if table == "trend":
        return report["trend"]
    if table == "channels":
        return report["channels"]
    if table == "agents":
        return report["agents"]
    if table == "reasons":
        return report["queue"]["reasons"]
    if table == "intents":
        return report["top_intents"]
    if table == "unanswered":
        return report["unanswered"]
    raise ReportError(f"unknown table '{table}'; one of: {', '.join(TABLES)}")


def to_csv(report: dict[str, Any], table: str) -> str:
    found = rows(report, table)
    out = io.StringIO()
    if found:
        writer = csv.DictWriter(out, fieldnames=list(found[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(found)
    return out.getvalue()


def to_markdown(report: dict[str, Any]) -> str:
    period = report["period"]
    last = (datetime.fromisoformat(period["until"]) - timedelta(days=1)).date().isoformat()
    lines = [f"# Support analytics, {period['since'][:10]} to {last} (UTC days, both included)",
             "", f"Channel: {period['channel'] or 'all'}; demo conversations "
             f"{'included' if period['include_demo'] else 'left out'} "
             f"({report['headline']['demo_conversations']} in this period).", "",
             "| figure | this period | previous period |", "|---|---:|---:|"]
    for key, label, unit in HEADLINE:
        lines.append(f"| {label} | {_shown(report['headline'].get(key), unit)} | "
                     f"{_shown(report['previous'].get(key), unit)} |")
    lines += ["", "## Escalation reasons", "", "| reason | handoffs | share |", "|---|---:|---:|"]
    lines += [f"| {r['reason']} | {r['handoffs']} | {_shown(r['share'], 'share')} |" for r in report["queue"]["reasons"]]
    lines += ["", "## Agents", "", "| agent | handoffs | resolved | median first response | median resolution | CSAT |",
              "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {a['agent']} | {a['handoffs']} | {a['resolved']} | {_shown(a['median_first_response_s'], 'seconds')} "
              f"| {_shown(a['median_resolution_s'], 'seconds')} | {_shown(a['csat'], 'share')} |" for a in report["agents"]]
    lines += ["", "## Top intents", "", "| intent | conversations | escalated |", "|---|---:|---:|"]
    lines += [f"| {t['intent']} | {t['conversations']} | {t['escalated']} |" for t in report["top_intents"]]
    lines += ["", "## Top unanswered questions", "", "| example | messages |", "|---|---:|"]
    lines += [f"| {u['example'].replace('|', '/')} | {u['messages']} |" for u in report["unanswered"]]
    return "\n".join(lines) + "\n"
