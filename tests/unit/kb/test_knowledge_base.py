import threading
import time

import pytest

from bot.encoder import Encoder, ModelIntegrityError
from bot.kb.answering import answer_question
from bot.kb.base import KnowledgeBase


@pytest.fixture
def kb(kb_folder, tmp_path, encoder):
    base = KnowledgeBase(kb_folder, tmp_path / "index", encoder)
    base.reload()
    return base


def test_questions_find_the_right_article_and_show_its_summary(kb):
    [first, *_] = kb.rank_articles("how many days do I have to send back a jumper")
    assert first.article_id == "returns-window"
    assert first.passage.id == "returns-window#0"
    assert kb.rank_articles("can I pay with paypal")[0].article_id == "payment-methods"
    assert kb.rank_articles("when will my parcel arrive with express shipping")[0].article_id == "shipping-times"


def test_an_alternate_question_is_matched_but_never_shown(kb):
    hit = kb.rank_articles("what is your return policy")[0]
    assert hit.article_id == "returns-window" and not hit.passage.is_question


def test_reindexing_after_one_edit_embeds_only_what_changed(kb, kb_folder, tmp_path, encoder):
    path = kb_folder / "shipping-times.md"
    path.write_text(path.read_text().replace("3-5 business days", "2-4 business days"))
    report = kb.reload()
    assert report.embedded == 1 and report.articles == 3
    assert "2-4 business days" in kb.rank_articles("how long does standard delivery take")[0].passage.text

    restarted = KnowledgeBase(kb_folder, tmp_path / "index", encoder)
    assert restarted.reload().embedded == 0  # the persisted cache serves every passage


def test_a_broken_edit_keeps_the_last_good_version(kb, kb_folder):
    path = kb_folder / "payment-methods.md"
    path.write_text("---\nid: payment-methods\ntitle: [oops\n---\nHalf written")
    report = kb.reload()
    assert [p.name for p in report.kept] == ["payment-methods.md"]
    assert "payment-methods.md" in str(report.errors[0])
    assert kb.rank_articles("do you take paypal")[0].article_id == "payment-methods"


def test_a_deleted_article_leaves_the_base(kb, kb_folder):
    (kb_folder / "payment-methods.md").unlink()
    kb.reload()
    assert "payment-methods" not in kb.articles


def test_the_watcher_picks_up_an_edit_within_seconds(kb, kb_folder):
    stop = threading.Event()
    kb.watch(stop)
    try:
        time.sleep(0.5)
        path = kb_folder / "shipping-times.md"
        path.write_text(path.read_text().replace("express takes 1-2", "express takes exactly one day"))
        deadline = time.monotonic() + 10
        while "exactly one day" not in kb.rank_articles("express delivery time")[0].passage.text:
            assert time.monotonic() < deadline, "edit not picked up within 10 s"
            time.sleep(0.2)
    finally:
        stop.set()


def test_unrelated_questions_are_declined(kb):
    answer = answer_question(kb, "who won the football world cup in 1998", threshold=0.45)
    assert not answer.confident and answer.related == []
    assert answer_question(kb, "which payment methods do you accept", threshold=0.45).confident


def test_weights_that_do_not_match_the_expected_hash_are_refused(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"not the real weights")
    with pytest.raises(ModelIntegrityError, match="sha256"):
        Encoder(model)


def test_one_text_at_a_time_gives_the_same_vector_as_a_batch(encoder):
    texts = ["where is my order 10482", "Do you ship to Canada? " * 40]
    batch = encoder.encode(texts)
    for text, row in zip(texts, batch):
        assert abs(float(encoder.encode([text])[0] @ row) - 1) < 1e-5
