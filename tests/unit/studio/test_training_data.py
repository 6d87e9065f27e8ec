"""The studio's edits of the Rasa training data: exactly the intended lines change, refusals
write nothing, and the edited project still validates in Rasa."""

from __future__ import annotations

import difflib
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.launcher import ROOT
from bot.studio.training_data import Change, Intent, TrainingData, TrainingDataError, _read, _render

REAL_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "data" / "nlu").glob("*.yml"))
REAL_FILES += ["domain.yml", "data/rules.yml"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the real project's training data to edit."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    for name in ("domain.yml", "config.yml"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    return tmp_path


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines between two texts."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return ([d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")])


@pytest.mark.parametrize("rel", REAL_FILES)
def test_an_unchanged_file_is_written_back_byte_for_byte(rel):
    file = _read(ROOT, rel)
    assert _render(file).encode() == (ROOT / rel).read_bytes()


def test_adding_an_example_changes_one_line_at_the_end_of_the_block_and_keeps_comments(project):
    orders = project / "data" / "nlu" / "orders.yml"
    commented = orders.read_text().replace(
        "- intent: cancel_order\n", "# Cancelling: before it ships only.\n- intent: cancel_order\n")
    orders.write_text("# Order requests.\n" + commented)
    others = {k: v for k, v in files_of(project).items() if k != "data/nlu/orders.yml"}

    change = TrainingData(project).add_example("track_order", "  has my [58213](order_id) left  ")

    assert change == Change("example_added", "track_order", None, "has my [58213](order_id) left",
                            ("data/nlu/orders.yml",))
    after = orders.read_text()
    assert changed_lines(commented, after.removeprefix("# Order requests.\n")) == (
        [], ["    - has my [58213](order_id) left"])
    assert after.startswith("# Order requests.\n")
    assert ("    - has my [58213](order_id) left\n# Cancelling: before it ships only.\n"
            "- intent: cancel_order\n") in after
    assert {k: v for k, v in files_of(project).items() if k != "data/nlu/orders.yml"} == others
    assert TrainingData(project).intent("track_order").examples[-1] == (
        "has my [58213](order_id) left")


def test_editing_an_example_rewrites_its_line_in_place(project):
    orders = project / "data" / "nlu" / "orders.yml"
    before = orders.read_text()

    change = TrainingData(project).edit_example("track_order", "order status", "status of my order")

    assert change == Change("example_edited", "track_order", "order status", "status of my order",
                            ("data/nlu/orders.yml",))
    after = orders.read_text()
    assert changed_lines(before, after) == (["    - order status"], ["    - status of my order"])
    assert before.splitlines().index("    - order status") == after.splitlines().index(
        "    - status of my order")


def test_an_edit_may_change_only_the_case_or_the_annotation(project):
    data = TrainingData(project)
    data.edit_example("track_order", "ORDER STATUS 18450", "order status 18450")
    data.edit_example("track_order", "order status", "Order status")
    assert data.intent("track_order").examples[:3] == (
        "where is my order", "Order status", "order status 18450")


def test_deleting_an_example_removes_its_line_only(project):
    orders = project / "data" / "nlu" / "orders.yml"
    before = orders.read_text()

    change = TrainingData(project).delete_example("track_order", "tracking")

    assert change == Change("example_deleted", "track_order", "tracking", None,
                            ("data/nlu/orders.yml",))
    assert changed_lines(before, orders.read_text()) == (["    - tracking"], [])
    assert "tracking" not in TrainingData(project).intent("track_order").examples


def test_moving_an_example_keeps_its_entity_annotation(project):
    data = TrainingData(project)
    orders, saved = project / "data/nlu/orders.yml", project / "data/nlu/saved_payment_methods.yml"
    before_orders, before_saved = orders.read_text(), saved.read_text()

    # The editor may name the example by its plain text; the annotated one is moved.
    change = data.move_example("Has my order 745120 shipped yet", "track_order",
                               "list_saved_payment_methods")

    moved = "has my order [745120](order_id) shipped yet"
    assert change == Change("example_moved", "list_saved_payment_methods", f"track_order: {moved}",
                            f"list_saved_payment_methods: {moved}",
                            ("data/nlu/orders.yml", "data/nlu/saved_payment_methods.yml"))
    assert changed_lines(before_orders, orders.read_text()) == ([f"    - {moved}"], [])
    assert changed_lines(before_saved, saved.read_text()) == ([], [f"    - {moved}"])
    assert data.intent("list_saved_payment_methods").examples[-1] == moved
    assert data.find(moved) == "list_saved_payment_methods"


def test_creating_an_intent_writes_domain_examples_response_and_rule(project):
    before = files_of(project)

    change = TrainingData(project).create_intent(
        "refund_status", ["is my refund through yet", "any news on my money for [10482](order_id)"],
        "Refunds reach your account 5 to 10 days after we receive the return.")

    assert change == Change(
        "intent_created", "refund_status", None,
        "is my refund through yet\nany news on my money for [10482](order_id)\n"
        "utter_refund_status: Refunds reach your account 5 to 10 days after we receive the return.",
        ("domain.yml", "data/nlu/studio.yml", "data/rules.yml"))
    after = files_of(project)
    assert set(after) - set(before) == {"data/nlu/studio.yml"}
    assert {k for k in before if before[k] != after[k]} == {"domain.yml", "data/rules.yml"}
    assert after["data/nlu/studio.yml"].decode() == (
        'version: "3.1"\n'
        "nlu:\n"
        "- intent: refund_status\n"
        "  examples: |\n"
        "    - is my refund through yet\n"
        "    - any news on my money for [10482](order_id)\n")
    domain = after["domain.yml"].decode()
    assert changed_lines(before["domain.yml"].decode(), domain) == ([], [
        "  - refund_status",
        "  utter_refund_status:",
        '    - text: "Refunds reach your account 5 to 10 days after we receive the return."'])
    assert "  - list_saved_payment_methods\n  - refund_status\n\nentities:\n" in domain
    assert domain.count("#") == before["domain.yml"].decode().count("#")
    assert after["data/rules.yml"] == before["data/rules.yml"] + (
        b"\n"
        b"- rule: answer refund_status\n"
        b"  steps:\n"
        b"  - intent: refund_status\n"
        b"  - action: utter_refund_status\n")
    data = TrainingData(project)
    assert data.intent("refund_status") == Intent(
        "refund_status", "data/nlu/studio.yml",
        ("is my refund through yet", "any news on my money for [10482](order_id)"))
    assert data.responses()["utter_refund_status"] == [
        "Refunds reach your account 5 to 10 days after we receive the return."]


def test_a_second_new_intent_goes_after_the_first_in_the_studio_file(project):
    data = TrainingData(project)
    data.create_intent("gift_wrap", ["can you gift wrap it", "do you do gift wrapping"], "Yes.")
    data.create_intent("loyalty_points", ["how many points do i have", "loyalty points"], "Soon.")
    data.add_example("gift_wrap", "wrap it as a present please")

    assert [i.name for i in data.intents()][-2:] == ["gift_wrap", "loyalty_points"]
    assert (project / "data/nlu/studio.yml").read_text() == (
        'version: "3.1"\n'
        "nlu:\n"
        "- intent: gift_wrap\n"
        "  examples: |\n"
        "    - can you gift wrap it\n"
        "    - do you do gift wrapping\n"
        "    - wrap it as a present please\n"
        "- intent: loyalty_points\n"
        "  examples: |\n"
        "    - how many points do i have\n"
        "    - loyalty points\n")


def test_editing_a_response_keeps_its_buttons(project):
    domain = project / "domain.yml"
    before = domain.read_text()
    data = TrainingData(project)

    change = data.set_response("utter_complaint", ["I'm so sorry. Shall I get you a person?"])

    assert change.kind == "response_edited" and change.files == ("domain.yml",)
    assert change.before.startswith("I'm really sorry about this.")
    assert change.after == "I'm so sorry. Shall I get you a person?"
    removed, added = changed_lines(before, domain.read_text())
    assert len(removed) == 1 and added == ['    - text: "I\'m so sorry. Shall I get you a person?"']
    assert '          payload: "/affirm"' in domain.read_text()
    assert data.responses()["utter_complaint"] == ["I'm so sorry. Shall I get you a person?"]


def test_response_variations_can_be_added_and_removed(project):
    domain = project / "domain.yml"
    before = domain.read_text()
    data = TrainingData(project)

    data.set_response("utter_delete_account_kept",
                      ["Okay, your account stays as it is.", 'Fine, nothing "deleted".'])
    assert changed_lines(before, domain.read_text()) == (
        [], ['    - text: "Fine, nothing \\"deleted\\"."'])
    assert data.responses()["utter_delete_account_kept"][-1] == 'Fine, nothing "deleted".'

    data.set_response("utter_delete_account_kept", ["Okay, your account stays as it is."])
    assert domain.read_text() == before


def test_an_intent_the_domain_lists_without_examples(project):
    domain = project / "domain.yml"
    domain.write_text(domain.read_text().replace(
        "  - list_saved_payment_methods\n", "  - list_saved_payment_methods\n  - wave\n"))
    data = TrainingData(project)

    assert data.intents()[-1] == Intent("wave", "", ())
    data.add_example("wave", "👋")
    assert data.intent("wave") == Intent("wave", "data/nlu/studio.yml", ("👋",))


def test_find_compares_plain_text(project):
    data = TrainingData(project)
    assert data.find("  WHERE is   my Order ") == "track_order"
    assert data.find("status of order #10482") == "track_order"
    assert data.find("status of order #[10482](order_id)") == "track_order"
    assert data.find("is there a shop in Lisbon") is None


def test_the_json_annotation_form_is_accepted(project):
    data = TrainingData(project)
    data.add_example("track_order", 'where is parcel [5512]{"entity": "order_id"}')
    assert data.find("where is parcel 5512") == "track_order"


REFUSALS: list[tuple[Callable[[TrainingData], Change], str]] = [
    (lambda d: d.add_example("track_order", "Where is my  ORDER"),
     "is already an example of intent track_order"),
    (lambda d: d.add_example("cancel_order", "where is my order"),
     "already belongs to intent track_order; move it instead"),
    (lambda d: d.add_example("cancel_order", "Status of order #[10482](order_id)"),
     "already belongs to intent track_order"),
    (lambda d: d.create_intent("refund status", ["a refund", "my refund"], "Soon."),
     r"intent names use lowercase letters, digits and _ \(no spaces\)"),
    (lambda d: d.add_example("track_order", "my [parcel](package) is late"),
     'the entity "package", which domain.yml does not declare'),
    (lambda d: d.add_example("track_order", 'my [parcel]{"entity": "package"} is late'),
     "does not declare"),
    (lambda d: d.add_example("track_order", "order [10482(order_id) please"),
     "unfinished entity annotation"),
    (lambda d: d.add_example("track_order", "order [10482](order_id:1) please"),
     r"mark an entity as \[text\]\(entity\)"),
    (lambda d: d.add_example("track_order", "   "), "needs some text"),
    (lambda d: d.add_example("track_order", "where is\nmy parcel"), "one line"),
    (lambda d: d.add_example("track_order", "where is\tmy parcel"), "control characters"),
    (lambda d: d.add_example("track_order", "parcel " * 50), "at most 300 characters"),
    (lambda d: d.add_example("no_such_intent", "hello there friend"),
     "There is no intent no_such_intent"),
    (lambda d: d.edit_example("track_order", "not an example at all", "new text here"),
     "is not an example of intent track_order"),
    (lambda d: d.edit_example("track_order", "order status", "tracking"),
     "is already an example of intent track_order"),
    (lambda d: d.edit_example("track_order", "order status", "cancel my order"),
     "already belongs to intent cancel_order; move it instead"),
    (lambda d: d.edit_example("track_order", "order status", "order status"), "same as the old"),
    (lambda d: d.delete_example("track_order", "not an example at all"), "is not an example"),
    (lambda d: d.move_example("tracking", "track_order", "track_order"), "already in intent"),
    (lambda d: d.move_example("tracking", "track_order", "nope"), "There is no intent nope"),
    (lambda d: d.create_intent("track_order", ["a", "b"], "Hi."), "already exists"),
    (lambda d: d.create_intent("restart", ["start over", "begin again"], "Hi."), "reserves"),
    (lambda d: d.create_intent("gift_wrap", ["can you gift wrap it"], "Yes."),
     "at least 2 examples"),
    (lambda d: d.create_intent("gift_wrap", ["gift wrap", "Gift  wrap"], "Yes."), "twice"),
    (lambda d: d.create_intent("gift_wrap", ["gift wrap please", "where is my order"], "Yes."),
     "already belongs to intent track_order"),
    (lambda d: d.create_intent("gift_wrap", ["gift wrap please", "wrap it up"], "  "),
     "needs the text of its answer"),
    (lambda d: d.set_response("utter_nothing", ["Hi."]), "There is no response utter_nothing"),
    (lambda d: d.set_response("utter_goodbye", []), "at least one text"),
    (lambda d: d.set_response("utter_goodbye", ["Bye.", " "]), "no text can be empty"),
    (lambda d: d.set_response("utter_goodbye",
                              ["Thanks for visiting Harbor & Pine. Have a lovely day!"]),
     "already says exactly that"),
]


@pytest.mark.parametrize(("attempt", "message"), REFUSALS)
def test_a_refused_change_writes_nothing(project, attempt, message):
    before = files_of(project)
    with pytest.raises(TrainingDataError, match=message):
        attempt(TrainingData(project))
    assert files_of(project) == before


def test_an_intent_keeps_at_least_two_examples(project):
    data = TrainingData(project)
    data.create_intent("gift_wrap", ["can you gift wrap it", "do you do gift wrapping"], "Yes.")
    before = files_of(project)
    with pytest.raises(TrainingDataError, match="needs at least 2 examples"):
        data.delete_example("gift_wrap", "can you gift wrap it")
    with pytest.raises(TrainingDataError, match="needs at least 2 examples"):
        data.move_example("can you gift wrap it", "gift_wrap", "place_order")
    assert files_of(project) == before


def test_a_change_to_several_files_writes_none_if_one_cannot_be_written(project):
    rules = project / "data" / "rules.yml"
    # `~` for null is valid YAML but the studio would rewrite it as `null`: refuse the file.
    rules.write_text(rules.read_text().replace("active_loop: null", "active_loop: ~", 1))
    before = files_of(project)
    with pytest.raises(TrainingDataError, match="data/rules.yml is laid out in a way"):
        TrainingData(project).create_intent("gift_wrap", ["gift wrap please", "wrap it up"], "Yes.")
    assert files_of(project) == before


def test_concurrent_edits_are_all_kept(project):
    texts = [f"where is parcel number {n} of mine" for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:  # map re-raises any thread's error
        changes = list(pool.map(lambda t: TrainingData(project).add_example("track_order", t),
                                texts))
    assert [c.after for c in changes] == texts
    assert set(texts) <= set(TrainingData(project).intent("track_order").examples)
    assert not list(project.rglob("*.tmp"))


def test_the_edited_project_still_validates_in_rasa(project):
    data = TrainingData(project)
    data.add_example("track_order", "where has parcel [88231](order_id) got to")
    data.create_intent("gift_wrap", ["can you gift wrap my order", "do you offer gift wrapping",
                                     "wrap order [10482](order_id) as a present"],
                       "Gift wrapping is available at checkout for 3 euros per item.")
    data.move_example("tracking", "track_order", "gift_wrap")
    done = subprocess.run(
        [str(ROOT / ".venv-rasa" / "bin" / "rasa"), "data", "validate", "--fail-on-warnings",
         "--quiet"],
        check=False, cwd=project, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"})
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
