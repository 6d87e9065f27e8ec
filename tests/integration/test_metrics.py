"""The operators' /metrics on the real processes: each desk worker serves its own, readable by
Prometheus's text parser, and counts a real turn (the access rules: tests/unit/test_metrics.py)."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration


def scrape(desk_url: str) -> dict[tuple[str, tuple], float]:
    """Every sample by (name, labels), as Prometheus reads them (the tests run on loopback,
    where no token is needed)."""
    response = httpx.get(f"{desk_url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def stage_count(samples: dict, stage: str) -> float:
    return samples[("harbor_turn_stage_seconds_count", (("stage", stage),))]


def test_each_desk_worker_serves_metrics_that_count_a_real_turn(stack):
    for desk_url in stack.desk_urls:
        before = scrape(desk_url)
        with httpx.Client(base_url=desk_url, timeout=60) as http:
            created = http.post("/api/conversations").json()
            answered = http.post(f"/api/conversations/{created['id']}/messages", json={"text": "hi there"},
                                 headers={"X-Conversation-Token": created["token"]})
        assert answered.status_code == 200, answered.text
        after = scrape(desk_url)
        for stage in ("store", "rasa", "policy"):
            assert stage_count(after, stage) == stage_count(before, stage) + 1, (desk_url, stage)
        web = ("harbor_customer_messages_total", (("channel", "web"),))
        assert after[web] == before.get(web, 0) + 1
        rasa_up = {labels: v for (name, labels), v in after.items() if name == "harbor_rasa_up"}
        assert len(rasa_up) == len(stack.ports.all_rasa) and set(rasa_up.values()) == {1.0}
        assert after[("harbor_action_server_up", ())] == 1.0
        assert after[("harbor_queue_length", ())] >= 0 and after[("harbor_agents_online", ())] >= 0
