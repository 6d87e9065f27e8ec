import time
from pathlib import Path

import pytest

from bot.encoder import Encoder
from bot.kb.articles import load_articles, parse_article
from bot.kb.base import KnowledgeBase
from bot.studio.articles import (
    MAX_ARTICLE_BYTES,
    ArticleEditor,
    ArticleRejected,
    LineError,
    render_preview,
    try_question,
)

RETURNS = """---
id: returns-window
title: How long do I have to return something?
tags: [returns]
questions:
  - what is your return policy
---
You can return items within 30 days of delivery.

## Unused items
Items must be unused and in their original packaging.
"""


def article(article_id: str, title: str, body: str) -> str:
    return f"---\nid: {article_id}\ntitle: {title}\ntags: [test]\n---\n{body}\n"


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return Encoder(threads=2)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "returns-window.md").write_text(RETURNS)
    (folder / "payment-methods.md").write_text(article(
        "payment-methods", "Which payment methods do you accept?",
        "We accept Visa, Mastercard, PayPal and Apple Pay.\n\n## Gift cards\n"
        "Gift cards can be combined with one other payment method."))
    (folder / "shipping-times.md").write_text(article(
        "shipping-times", "How long does delivery take?",
        "Standard delivery takes 3-5 business days; express takes 1-2."))
    return folder


@pytest.fixture
def editor(folder: Path) -> ArticleEditor:
    return ArticleEditor(folder)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_saved_article_is_live(editor, folder):
    text = article("gift-wrap", "Do you offer gift wrapping?", "Yes, for 3 EUR per order.")
    saved = editor.save("gift-wrap.md", text)
    assert (saved.filename, saved.draft, saved.before, saved.after) == ("gift-wrap.md", False,
                                                                        None, text)
    assert "gift-wrap" in {a.id for a in load_articles(folder).articles}

    edited = text.replace("3 EUR", "4 EUR")
    again = editor.save("gift-wrap.md", edited)
    assert again.before == text and editor.read("gift-wrap.md") == edited
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_windows_line_endings_are_normalised(editor, folder):
    editor.save("gift-wrap.md", article("gift-wrap", "Gift wrap", "Yes.").replace("\n", "\r\n"))
    assert b"\r" not in (folder / "gift-wrap.md").read_bytes()


def test_broken_yaml_is_reported_at_its_line_and_the_file_is_untouched(editor, folder):
    before = (folder / "returns-window.md").read_bytes()
    broken = RETURNS.replace("title: How long", "title: Returns: how long")
    assert editor.check(broken, "returns-window.md").errors[0].line == 3
    assert editor.check(broken, "returns-window.md").html == ""
    with pytest.raises(ArticleRejected) as rejected:
        editor.save("returns-window.md", broken)
    [error] = rejected.value.errors
    assert error.line == 3 and "not valid YAML" in error.message
    assert (folder / "returns-window.md").read_bytes() == before


def test_other_validation_errors_keep_their_line(editor):
    no_tags = RETURNS.replace("tags: [returns]", "tags: returns")
    assert editor.check(no_tags, "returns-window.md").errors == [
        LineError(4, "tags must be a list of words")]
    no_text = RETURNS.split("---\nYou can")[0] + "---\n\n"
    assert editor.check(no_text, "returns-window.md").errors[0].message == "the article has no text"


def test_a_huge_text_is_refused_fast_and_nothing_is_written(editor, folder):
    before = files(folder)
    huge = RETURNS + "x" * 5_000_000
    started = time.perf_counter()
    with pytest.raises(ArticleRejected) as rejected:
        editor.save("returns-window.md", huge)
    assert time.perf_counter() - started < 0.5
    assert rejected.value.errors == [LineError(1, "the article is 5.0 MB; the limit is 200 KB")]
    assert files(folder) == before
    assert editor.check(RETURNS + "x" * (MAX_ARTICLE_BYTES - len(RETURNS))).errors == []


def test_the_file_name_must_match_the_id(editor, folder):
    before = files(folder)
    with pytest.raises(ArticleRejected) as rejected:
        editor.save("returns.md", RETURNS)
    assert rejected.value.errors == [LineError(2, "the file name must be returns-window.md")]
    for name in ("../returns-window.md", "drafts/returns-window.md", "Returns-Window.md"):
        with pytest.raises(ArticleRejected):
            editor.save(name, RETURNS)
    readme = RETURNS.replace("id: returns-window", "id: readme")
    assert "notes, not an article" in editor.check(readme, "readme.md").errors[0].message
    assert files(folder) == before


def test_text_that_cannot_be_utf8_is_refused_at_its_line(editor):
    [error] = editor.check(RETURNS.replace("30 days", "30 \ud800days"), "returns-window.md").errors
    assert error.line == 8 and "UTF-8" in error.message


def test_an_id_used_by_another_published_file_is_refused(editor, folder):
    (folder / "old-payments.md").write_text(article("gift-wrap", "Gift wrap", "Yes."))
    with pytest.raises(ArticleRejected) as rejected:
        editor.save("gift-wrap.md", article("gift-wrap", "Gift wrapping", "Yes, 3 EUR."))
    assert rejected.value.errors == [
        LineError(2, "the id 'gift-wrap' is already used by old-payments.md")]
    assert not (folder / "gift-wrap.md").exists()


def test_the_preview_escapes_html_and_keeps_links():
    html = render_preview("Hello <script>alert(1)</script>\n\n[Returns](https://example.com/r)")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://example.com/r">Returns</a>' in html


def test_check_previews_the_body(editor):
    checked = editor.check(RETURNS, "returns-window.md")
    assert checked.errors == []
    assert "<h2>Unused items</h2>" in checked.html and "---" not in checked.html


def test_a_draft_is_invisible_until_published(editor, folder):
    text = article("gift-wrap", "Do you offer gift wrapping?", "Yes, for 3 EUR per order.")
    saved = editor.save("gift-wrap.md", text, draft=True)
    assert saved.draft and (folder / "drafts" / "gift-wrap.md").exists()
    assert "gift-wrap" not in {a.id for a in load_articles(folder).articles}
    assert [(s.filename, s.draft) for s in editor.list()][-1] == ("gift-wrap.md", True)

    published = editor.publish_draft("gift-wrap.md")
    assert (published.draft, published.before, published.after) == (False, None, text)
    assert "gift-wrap" in {a.id for a in load_articles(folder).articles}
    assert not (folder / "drafts" / "gift-wrap.md").exists()


def test_a_draft_may_not_replace_a_published_article(editor, folder):
    before = (folder / "shipping-times.md").read_bytes()
    with pytest.raises(ArticleRejected):
        editor.save("shipping-times.md", article("shipping-times", "Delivery", "New."), draft=True)
    (folder / "drafts").mkdir()
    (folder / "drafts" / "shipping-times.md").write_text(article("shipping-times", "D", "New."))
    with pytest.raises(ArticleRejected) as rejected:
        editor.publish_draft("shipping-times.md")
    assert "already" in str(rejected.value)
    assert (folder / "shipping-times.md").read_bytes() == before
    assert (folder / "drafts" / "shipping-times.md").exists()


def test_draft_from_questions_starts_a_valid_unique_draft(editor, folder):
    questions = ["Do you gift-wrap orders?", "do you  gift-wrap orders?", "  ", "wrap: a gift?",
                 *[f"question {n}" for n in range(20)]]
    first = editor.draft_from_questions(questions)
    second = editor.draft_from_questions(["Do you gift-wrap orders?"])
    assert (first.filename, second.filename) == ("do-you-gift-wrap-orders.md",
                                                 "do-you-gift-wrap-orders-2.md")
    draft = parse_article(folder / "drafts" / first.filename)
    assert draft.title == "Do you gift-wrap orders?" and draft.tags == ("draft",)
    assert draft.questions[:2] == ("Do you gift-wrap orders?", "wrap: a gift?")
    assert len(draft.questions) == 10
    assert draft.body == "Write the answer here."
    assert editor.draft_from_questions(["x"], title="Gift wrapping").filename == "gift-wrapping.md"
    assert editor.draft_from_questions(["x"], title="Café cards").filename == "cafe-cards.md"
    assert load_articles(folder).errors == []

    with pytest.raises(ArticleRejected) as rejected:  # the placeholder never reaches customers
        editor.publish_draft(first.filename)
    assert rejected.value.errors[0].line == len(first.after.splitlines())


def test_list_reads_published_then_drafts_with_their_errors(editor, folder):
    (folder / "broken.md").write_text("no front matter\n")
    editor.save("gift-wrap.md", article("gift-wrap", "Gift wrap", "Yes."), draft=True)
    rows = editor.list()
    assert [(r.filename, r.draft) for r in rows] == [
        ("broken.md", False), ("payment-methods.md", False), ("returns-window.md", False),
        ("shipping-times.md", False), ("gift-wrap.md", True)]
    assert rows[0].error is not None and rows[0].error.line == 1
    assert rows[2].questions == 1 and rows[2].error is None


def test_reading_and_deleting_unknown_files(editor):
    assert editor.read("returns-window.md") == RETURNS
    for name in ("nope.md", "../kb/returns-window.md"):
        with pytest.raises(KeyError):
            editor.read(name)
    with pytest.raises(KeyError):
        editor.delete_draft("nope.md")
    editor.save("gift-wrap.md", article("gift-wrap", "Gift wrap", "Yes."), draft=True)
    editor.delete_draft("gift-wrap.md")
    with pytest.raises(KeyError):
        editor.read("gift-wrap.md", draft=True)


def test_try_question_ranks_and_decides_like_the_desk(folder, tmp_path, encoder):
    kb = KnowledgeBase(folder, tmp_path / "index", encoder)
    kb.reload()
    paraphrase = try_question(kb, "how many days do I have to send back a jumper", 0.64)
    assert paraphrase.hits[0].article_id == "returns-window"
    assert paraphrase.hits[0].heading is None  # the summary, not a section
    assert [h.score for h in paraphrase.hits] == sorted((h.score for h in paraphrase.hits),
                                                        reverse=True)
    assert all(round(h.score, 3) == h.score for h in paraphrase.hits)

    known = try_question(kb, "which payment methods do you accept", answer_threshold=0.64)
    assert known.answers and known.article_id == "payment-methods"

    unrelated = try_question(kb, "do you engrave cutting boards?", answer_threshold=0.64)
    assert not unrelated.answers and unrelated.article_id is None
    assert unrelated.threshold == 0.64 and unrelated.hits[0].score < 0.64
