from bot.kb.articles import load_articles, parse_article
from bot.kb.passages import split_article

from .conftest import write_article


def test_articles_parse_with_their_fields(kb_folder):
    article = parse_article(kb_folder / "returns-window.md")
    assert article.id == "returns-window" and article.tags == ("test",)
    assert article.questions == ("what is your return policy",)
    assert article.body.startswith("You can return items within 30 days")


def test_articles_split_into_summary_sections_and_questions(kb_folder):
    passages = split_article(parse_article(kb_folder / "returns-window.md"))
    assert [p.id for p in passages] == ["returns-window#0", "returns-window#1", "returns-window#q0"]
    assert passages[0].heading == passages[0].title and "30 days" in passages[0].text
    assert passages[1].heading == "Unused items"
    assert passages[2].is_question and passages[2].search_text == "what is your return policy"


def test_a_broken_front_matter_names_the_file_and_line_and_the_rest_still_loads(kb_folder):
    (kb_folder / "broken.md").write_text("---\nid: broken\ntitle: [unclosed\ntags: [a]\n---\nText\n")
    result = load_articles(kb_folder)
    assert [a.id for a in result.articles] == ["payment-methods", "returns-window", "shipping-times"]
    [error] = result.errors
    assert error.path.name == "broken.md" and error.line in (3, 4)
    assert "not valid YAML" in error.message


def test_a_duplicate_id_is_an_error_naming_both_files(kb_folder):
    path = write_article(kb_folder, "zz-copy", "Another", "Text.")
    path.write_text(path.read_text().replace("id: zz-copy", "id: shipping-times"))
    result = load_articles(kb_folder)
    [error] = result.errors
    assert error.path.name == "zz-copy.md"
    assert "duplicate id 'shipping-times'" in error.message and "shipping-times.md" in error.message
    assert len(result.articles) == 3


def test_missing_fields_and_missing_front_matter_are_reported(kb_folder):
    (kb_folder / "no-front.md").write_text("# Just text\n")
    (kb_folder / "no-title.md").write_text("---\nid: no-title\ntags: [a]\n---\nText\n")
    (kb_folder / "bad-questions.md").write_text(
        "---\nid: bad-questions\ntitle: T\ntags: [a]\nquestions: just one string\n---\nText\n")
    errors = {e.path.name: e for e in load_articles(kb_folder).errors}
    assert errors["no-front.md"].line == 1 and "missing front matter" in errors["no-front.md"].message
    assert "missing required field(s): title" in errors["no-title.md"].message
    assert errors["bad-questions.md"].line == 5 and "questions must be a list" in errors["bad-questions.md"].message
