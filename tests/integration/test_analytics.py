"""Analytics on the real stack: the "did I solve your problem?" survey after a conversation
the bot handled alone, and the dashboard API's figures and access rules."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import httpx
import pytest

from tests.integration.test_conversations import Customer

pytestmark = pytest.mark.integration
TODAY = {"since": datetime.now(timezone.utc).date().isoformat(), "until": datetime.now(timezone.utc).date().isoformat()}


def logged_in(stack, username: str, password: str) -> httpx.Client:
    http = httpx.Client(base_url=stack.desk_url, timeout=60)
    assert http.post("/api/console/login", json={"username": username, "password": password}).status_code == 200
    return http


def behind(lead: httpx.Client, figure: str) -> set[str]:
    response = lead.get("/api/analytics/conversations", params={**TODAY, "figure": figure})
    assert response.status_code == 200, response.text
    return {c["conversation_id"] for c in response.json()["conversations"]}


def test_the_bot_asks_whether_it_solved_the_problem_and_counts_the_answer(stack):
    customer = Customer(stack.desk_url)
    assert customer.says("can I pay with paypal?")
    replies = customer.say("thanks!")
    question = replies[-1]
    assert "did I solve your problem?" in question["text"]
    assert [b["title"] for b in question["buttons"]] == ["Yes", "No"]
    assert customer.says("Yes") == "Glad to hear it. Thanks for letting me know!"
    lead = logged_in(stack, "lee", "harbor-lead-1")
    assert customer.id in behind(lead, "contained")
    headline = lead.get("/api/analytics/report", params=TODAY).json()["headline"]
    assert headline["survey_answered"] >= 1 and headline["solved_rate"] is not None


def test_a_no_counts_against_containment_and_a_new_question_skips_the_survey(stack):
    unhappy = Customer(stack.desk_url)
    unhappy.say("what is your return policy")
    unhappy.say("thank you")
    assert "Sorry I couldn't sort it out" in unhappy.says("no")
    moving_on = Customer(stack.desk_url)
    moving_on.say("thanks")
    assert "$5 handling fee" in moving_on.says("is there a fee if i cancel?")  # the bot answers it
    lead = logged_in(stack, "lee", "harbor-lead-1")
    assert unhappy.id in behind(lead, "unsolved") and unhappy.id not in behind(lead, "contained")
    assert moving_on.id not in behind(lead, "unsolved")


def test_only_admins_and_leads_read_analytics(stack):
    anonymous = httpx.Client(base_url=stack.desk_url, timeout=60)
    assert anonymous.get("/api/analytics/report").status_code == 401
    assert logged_in(stack, "alex", "harbor-agent-1").get("/api/analytics/report").status_code == 403
    assert logged_in(stack, "erin", "harbor-editor-1").get("/api/analytics/report").status_code == 403
    lead = logged_in(stack, "lee", "harbor-lead-1")
    assert lead.get("/api/analytics/report").status_code == 200
    assert lead.get("/api/console/queue").status_code == 403  # a lead does not work the queue
    assert lead.get("/api/admin/accounts").status_code == 403
    assert logged_in(stack, "ada", "harbor-admin-1").get("/api/analytics/report").status_code == 200


def test_csv_export_and_clear_errors(stack):
    lead = logged_in(stack, "lee", "harbor-lead-1")
    exported = lead.get("/api/analytics/report.csv", params={**TODAY, "table": "headline"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = {row["figure"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    report = lead.get("/api/analytics/report", params=TODAY).json()
    assert int(rows["conversations"]["value"]) == report["headline"]["conversations"]
    backwards = lead.get("/api/analytics/report", params={"since": "2026-11-07", "until": "2026-11-01"})
    assert backwards.status_code == 422 and "end after it starts" in backwards.json()["error"]
    unknown = lead.get("/api/analytics/conversations", params={"figure": "everything"})
    assert unknown.status_code == 422
