"""Edit the Rasa training data (NLU examples, intents, responses) in place for the studio.

Editors' changes land in the project's own YAML files, so they are reviewed and versioned
like any other change: the files are edited with ruamel.yaml's round trip, which keeps
comments, key order, quoting and indentation, so `git diff` shows only what an editor
changed. Every change is checked first (a refused change raises TrainingDataError and
writes nothing) and keeps `rasa data validate --fail-on-warnings` passing.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

NLU_DIR = "data/nlu"
STUDIO_FILE = f"{NLU_DIR}/studio.yml"  # where intents created in the studio keep their examples
DOMAIN_FILE = "domain.yml"
RULES_FILE = "data/rules.yml"

MAX_EXAMPLE_LENGTH = 300
MIN_EXAMPLES = 2  # an intent with fewer teaches the classifier next to nothing
INTENT_NAME = re.compile(r"[a-z][a-z0-9_]{1,63}")
RASA_INTENTS = frozenset({"restart", "back", "out_of_scope", "session_start", "nlu_fallback"})

# Rasa's own annotation syntax (rasa.shared.nlu.training_data.entities_parser.ENTITY_REGEX):
# [text](entity), [text](entity:synonym), [text]{"entity": ...} and [text][{...}, {...}].
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+?)\](\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
                        r"|\{(?P<json>[^}]+?)\}|\[(?P<many>.*?)\])")

# (mapping, sequence, offset) indents as ruamel names them; a file is written with the first
# that reproduces it byte for byte. data/nlu and rules: "- intent:" at the key's column;
# domain.yml: "  - greet" two spaces in under "intents:".
LAYOUTS = ((2, 2, 0), (2, 4, 2), (4, 4, 2), (4, 6, 4))

_LOCK = threading.Lock()  # one writer at a time, whichever TrainingData object it uses


class TrainingDataError(ValueError):
    """Refused change; the message is for the editor; nothing was written."""


@dataclass(frozen=True)
class Change:
    """What one edit did, as the audit log records it."""

    # example_added, example_edited, example_deleted, example_moved, intent_created or
    # response_edited
    kind: str
    target: str  # intent or response name
    before: str | None  # old example text / old response texts joined by "\n"; None when new
    after: str | None
    files: tuple[str, ...]  # project-relative paths written


@dataclass(frozen=True)
class Intent:
    """An intent as editors see it: its name, where its examples live, and the examples."""

    name: str
    file: str  # project-relative path of the file with its examples; "" when it has none
    examples: tuple[str, ...]  # annotated texts as written


class TrainingData:
    """The training data of one Rasa project folder; every call reads the files afresh."""

    def __init__(self, project: Path) -> None:
        self.project = Path(project)

    def intents(self) -> list[Intent]:
        """Intents in file order, then those the domain lists without examples."""
        data = _Snapshot(self.project)
        found: dict[str, Intent] = {}
        for block in data.blocks:
            known = found.get(block.intent)
            found[block.intent] = Intent(block.intent, known.file if known else block.file.rel,
                                         (known.examples if known else ()) + tuple(block.texts()))
        for name in data.domain_intents():
            found.setdefault(name, Intent(name, "", ()))
        return list(found.values())

    def intent(self, name: str) -> Intent:
        for intent in self.intents():
            if intent.name == name:
                return intent
        raise TrainingDataError(f"There is no intent {name}.")

    def find(self, text: str) -> str | None:
        """The intent that already has this example, compared as Rasa trains on it."""
        return _Snapshot(self.project).owner(text)

    def add_example(self, intent: str, text: str) -> Change:
        """Append an example at the end of the intent's examples."""
        with _LOCK:
            data = _Snapshot(self.project)
            data.require_intent(intent)
            text = _clean_example(text, data.entities())
            data.refuse_duplicate(intent, text)
            block = data.block_for(intent)
            block.append(text)
            return Change("example_added", intent, None, text, _commit([block.file]))

    def edit_example(self, intent: str, old: str, new: str) -> Change:
        """Rewrite one example where it stands."""
        with _LOCK:
            data = _Snapshot(self.project)
            data.require_intent(intent)
            block, index, current = data.locate(intent, old)
            new = _clean_example(new, data.entities())
            if new == current:
                raise TrainingDataError("The new text is the same as the old one.")
            data.refuse_duplicate(intent, new, ignore=(block, index))
            block.replace(index, new)
            return Change("example_edited", intent, current, new, _commit([block.file]))

    def delete_example(self, intent: str, text: str) -> Change:
        with _LOCK:
            data = _Snapshot(self.project)
            data.require_intent(intent)
            block, index, current = data.locate(intent, text)
            data.require_enough_left(intent)
            block.replace(index, None)
            return Change("example_deleted", intent, current, None, _commit([block.file]))

    def move_example(self, text: str, source: str, target: str) -> Change:
        """Move an example, annotations and all, to the end of another intent's examples.

        The audit's before/after are "intent: example" so the log says where it came from.
        """
        with _LOCK:
            data = _Snapshot(self.project)
            data.require_intent(source)
            data.require_intent(target)
            if source == target:
                raise TrainingDataError(f"The example is already in intent {target}.")
            block, index, current = data.locate(source, text)
            data.require_enough_left(source)
            data.refuse_duplicate(target, current, ignore=(block, index))
            block.replace(index, None)
            destination = data.block_for(target)
            destination.append(current)
            return Change("example_moved", target, f"{source}: {current}", f"{target}: {current}",
                          _commit([block.file, destination.file]))

    def create_intent(self, name: str, examples: list[str], response: str) -> Change:
        """A new intent answered by a new response: domain, NLU examples, response and rule.

        The audit's after lists the examples, then "utter_NAME: response".
        """
        with _LOCK:
            data = _Snapshot(self.project)
            rules = _read(self.project, RULES_FILE)
            utter = f"utter_{name}"
            texts = data.check_new_intent(name, examples)
            answer = response.strip()
            if not answer:
                raise TrainingDataError("A new intent needs the text of its answer.")
            responses = _section(data.domain, "responses", CommentedMap)
            if utter in responses:
                raise TrainingDataError(f"The response {utter} already exists.")
            rule_list = _section(rules, "rules", CommentedSeq)
            rule_name = f"answer {name}"
            if any(isinstance(r, dict) and r.get("rule") == rule_name for r in rule_list):
                raise TrainingDataError(f'{RULES_FILE} already has a rule "{rule_name}".')

            _append(_section(data.domain, "intents", CommentedSeq), name)
            variation = CommentedMap([("text", _text_style(responses)(answer))])
            _append(responses, CommentedSeq([variation]), key=utter)
            steps = CommentedSeq([CommentedMap([("intent", name)]),
                                  CommentedMap([("action", utter)])])
            _append(rule_list, CommentedMap([("rule", rule_name), ("steps", steps)]))
            block = data.new_block(name)
            for text in texts:
                block.append(text)
            files = _commit([data.domain, block.file, rules])
            return Change("intent_created", name, None, "\n".join([*texts, f"{utter}: {answer}"]),
                          files)

    def responses(self) -> dict[str, list[str]]:
        """Each response's name and the texts of its variations."""
        domain = _Snapshot(self.project).domain.data
        return {name: [v["text"] for v in variations if isinstance(v, dict) and "text" in v]
                for name, variations in (domain.get("responses") or {}).items()}

    def set_response(self, name: str, texts: list[str]) -> Change:
        """Replace the texts of an existing response; each variation keeps its other keys
        (buttons ...); extra texts become new variations, missing ones drop the last."""
        with _LOCK:
            data = _Snapshot(self.project)
            variations = (data.domain.data.get("responses") or {}).get(name)
            if not name.startswith("utter_") or variations is None:
                raise TrainingDataError(f"There is no response {name}.")
            if not all(isinstance(v, dict) and "text" in v for v in variations):
                raise TrainingDataError(f"{name} has variations without text (images, custom "
                                        f"payloads); those are edited in {DOMAIN_FILE}.")
            new = [t.strip() for t in texts]
            if not new or not all(new):
                raise TrainingDataError("A response needs at least one text, and no text can "
                                        "be empty.")
            old = [v["text"] for v in variations]
            if new == old:
                raise TrainingDataError(f"{name} already says exactly that.")
            style = type(old[0])
            for variation, text in zip(variations, new):
                variation["text"] = type(variation["text"])(text)
            for text in new[len(old):]:
                _append(variations, CommentedMap([("text", style(text))]))
            if len(new) < len(old):
                follows = _follows(variations, len(old) - 1)
                del variations[len(new):]
                _set_follows(variations, len(new) - 1, follows)
            return Change("response_edited", name, "\n".join(old), "\n".join(new),
                          _commit([data.domain]))


def _plain(text: str) -> str:
    """What Rasa trains on, compared loosely: annotations stripped, case-folded, spaces collapsed."""
    return " ".join(ANNOTATION.sub(lambda m: m["text"], text).casefold().split())


def _clean_example(text: str, entities: Collection[str]) -> str:
    """The example as it will be written, or TrainingDataError saying what is wrong with it."""
    text = text.strip()
    if not text:
        raise TrainingDataError("An example needs some text.")
    if len(text.splitlines()) > 1:
        raise TrainingDataError("An example is one line; make each line its own example.")
    if len(text) > MAX_EXAMPLE_LENGTH:
        raise TrainingDataError(f"An example has at most {MAX_EXAMPLE_LENGTH} characters; "
                                f"this one has {len(text)}.")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise TrainingDataError("An example cannot contain control characters such as tabs.")
    for match in ANNOTATION.finditer(text):
        entity = _annotated_entity(match)
        if entity not in entities:
            raise TrainingDataError(f'"{match[0]}" marks the entity "{entity}", which '
                                    f"{DOMAIN_FILE} does not declare (entities: "
                                    f"{', '.join(sorted(entities))}).")
    if re.search(r"[\[\]]", ANNOTATION.sub("", text)):
        raise TrainingDataError(f'"{text}" has an unfinished entity annotation; mark an entity '
                                f"as [10482](order_id).")
    return text


def _annotated_entity(match: re.Match[str]) -> str:
    """The entity an annotation marks; only the forms editors write ([x](e), [x]{json}) pass."""
    if match["value"] is not None or match["many"] is not None:
        raise TrainingDataError(f'"{match[0]}": mark an entity as [text](entity); synonyms and '
                                "several entities on one text are edited in the files.")
    if match["json"] is None:
        return match["entity"]
    try:
        attributes = json.loads("{" + match["json"] + "}")
    except json.JSONDecodeError:
        attributes = None
    if not isinstance(attributes, dict) or not isinstance(attributes.get("entity"), str):
        raise TrainingDataError(f'"{match[0]}" is not a valid entity annotation; mark an entity '
                                f'as [10482](order_id) or [10482]{{"entity": "order_id"}}.')
    return attributes["entity"]


@dataclass
class _File:
    """One YAML file: its text as read ("" for one a change creates) and its round-trip tree."""

    path: Path
    rel: str
    text: str
    data: CommentedMap


def _yaml(layout: tuple[int, int, int] = LAYOUTS[0]) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never fold long examples or responses
    mapping, sequence, offset = layout
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    # The files write empty values as `null` (rules' `active_loop: null`); ruamel writes "".
    yaml.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def _read(project: Path, rel: str) -> _File:
    path = project / rel
    text = path.read_bytes().decode("utf-8")
    try:
        data = _yaml().load(text)
    except YAMLError as error:
        raise TrainingDataError(f"{rel} is not valid YAML ({error}); fix the file first.") from None
    if not isinstance(data, CommentedMap):
        raise TrainingDataError(f"{rel} is not a YAML mapping of sections; fix the file first.")
    return _File(path, rel, text, data)


def _dump(data: Any, layout: tuple[int, int, int]) -> str:
    out = io.StringIO()
    _yaml(layout).dump(data, out)
    return out.getvalue()


def _layout(file: _File) -> tuple[int, int, int]:
    """The indentation that writes the file back unchanged (a new file gets data/nlu's)."""
    if not file.text:
        return LAYOUTS[0]
    untouched = _yaml().load(file.text)
    for layout in LAYOUTS:
        if _dump(untouched, layout) == file.text:
            return layout
    raise TrainingDataError(f"{file.rel} is laid out in a way the studio cannot keep (mixed "
                            "indentation or unusual quoting), so it would rewrite the whole file; "
                            "ask a developer to normalise it.")


def _render(file: _File) -> str:
    """The file's new text, checked to read back as exactly the intended data."""
    text = _dump(file.data, _layout(file))
    try:
        faithful = _yaml().load(text) == file.data
    except YAMLError:
        faithful = False
    if not faithful:
        raise TrainingDataError(f"The studio could not write {file.rel} faithfully; "
                                "nothing was changed.")
    return text


def _commit(files: list[_File]) -> tuple[str, ...]:
    """Write the files, each atomically; all texts are rendered and checked before any write."""
    unique = list({id(f): f for f in files}.values())
    texts = [(f, _render(f)) for f in unique]
    temps: list[str] = []
    try:
        for file, text in texts:
            file.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=file.path.parent, prefix=f".{file.path.name}.",
                                        suffix=".tmp")
            temps.append(temp)
            with os.fdopen(fd, "wb") as out:
                out.write(text.encode("utf-8"))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, file.path.stat().st_mode & 0o777 if file.path.exists() else 0o644)
    except OSError:
        for temp in temps:
            Path(temp).unlink(missing_ok=True)
        raise
    for (file, _), temp in zip(texts, temps):
        os.replace(temp, file.path)
    return tuple(f.rel for f in unique)


def _section(file: _File, key: str, kind: type) -> Any:
    value = file.data.get(key)
    if not isinstance(value, kind):
        raise TrainingDataError(f"{file.rel} has no {key}: section to add to.")
    return value


def _names(items: Any) -> list[str]:
    """Names in a domain list whose entries are `- name` or `- name: {options}`."""
    return [next(iter(item)) if isinstance(item, dict) else str(item) for item in items or []]


def _text_style(responses: CommentedMap) -> type:
    """How the domain quotes response texts, so a new one looks like its neighbours."""
    for variations in responses.values():
        for variation in variations or []:
            if isinstance(variation, dict) and isinstance(variation.get("text"), str):
                return type(variation["text"])
    return DoubleQuotedScalarString


# ruamel keeps the blank lines and comments that follow an entry in the comment slot of the
# entry's deepest last scalar. Appending after that entry must move them behind the new one.

def _slot(node: Any, key: Any) -> tuple[Any, Any]:
    while isinstance(value := node[key], (CommentedMap, CommentedSeq)) and value:
        node, key = value, (next(reversed(value)) if isinstance(value, CommentedMap)
                            else len(value) - 1)
    return node, key


def _token(node: Any, key: Any) -> CommentToken | None:
    entry = node.ca.items.get(key)
    return entry[2 if isinstance(node, CommentedMap) else 0] if entry else None


def _ends_line(node: Any, key: Any) -> bool:
    """A block scalar (`|`, `>`) ends its own line; after a plain one the token ends it."""
    return getattr(node[key], "style", None) in ("|", ">")


def _follows(container: Any, key: Any) -> str:
    """The blank lines and comment lines after an entry (not a comment on its own line)."""
    node, key = _slot(container, key)
    token = _token(node, key)
    if token is None:
        return ""
    return token.value if _ends_line(node, key) else token.value.partition("\n")[2]


def _set_follows(container: Any, key: Any, follows: str) -> None:
    node, key = _slot(container, key)
    token = _token(node, key)
    if _ends_line(node, key):
        value = follows
    else:
        same_line = token.value.partition("\n")[0] if token else ""
        value = same_line + "\n" + follows if same_line or follows else ""
    if token is not None and value:
        token.value = value  # keeps the original column of a comment on the entry's line
    elif value or token is not None:
        entry = node.ca.items.setdefault(key, [None, None, None, None])
        entry[2 if isinstance(node, CommentedMap) else 0] = (
            CommentToken(value, CommentMark(0)) if value else None)


def _append(container: CommentedMap | CommentedSeq, value: Any, key: Any = None) -> None:
    """Add an entry at the end, a blank line before it if the last two entries have one."""
    keys = list(container) if isinstance(container, CommentedMap) else list(range(len(container)))
    follows = _follows(container, keys[-1]) if keys else ""
    if keys:
        spaced = len(keys) > 1 and _follows(container, keys[-2]).startswith("\n")
        _set_follows(container, keys[-1], "\n" if spaced else "")
    if isinstance(container, CommentedMap):
        container[key] = value
        key_added = key
    else:
        container.append(value)
        key_added = len(container) - 1
    _set_follows(container, key_added, follows)


class _Block:
    """One `- intent:` item of an NLU file; its examples are the `- text` lines of a `|` block."""

    def __init__(self, file: _File, item: CommentedMap) -> None:
        self.file, self.item, self.intent = file, item, str(item["intent"])
        raw = item.get("examples")
        if not isinstance(raw, str):
            raise TrainingDataError(f"In {file.rel} the examples of intent {self.intent} are "
                                    "not a `|` block of `- text` lines, which the studio edits.")
        self.lines = raw.splitlines()
        self.ends_with_newline = raw.endswith("\n") or not raw

    def texts(self) -> list[str]:
        # As Rasa reads them: lines not starting with "-" are skipped.
        return [line[1:].strip() for line in self.lines if line.startswith("-")]

    def append(self, text: str) -> None:
        self.lines.append(f"- {text}")
        self._store()

    def replace(self, index: int, text: str | None) -> None:
        """Rewrite the index-th example, or remove it when text is None."""
        at = [n for n, line in enumerate(self.lines) if line.startswith("-")][index]
        if text is None:
            del self.lines[at]
        else:
            self.lines[at] = f"- {text}"
        self._store()

    def _store(self) -> None:
        block = "\n".join(self.lines) + ("\n" if self.ends_with_newline else "")
        self.item["examples"] = LiteralScalarString(block)


class _Snapshot:
    """The project's NLU files and domain as read now, with the intents' blocks located."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.nlu = [_read(project, p.relative_to(project).as_posix())
                    for p in sorted((project / NLU_DIR).glob("*.yml"))]
        self.domain = _read(project, DOMAIN_FILE)
        self.blocks = [_Block(file, item) for file in self.nlu
                       for item in file.data.get("nlu") or []
                       if isinstance(item, CommentedMap) and "intent" in item]

    def domain_intents(self) -> list[str]:
        return _names(self.domain.data.get("intents"))

    def entities(self) -> set[str]:
        return set(_names(self.domain.data.get("entities")))

    def examples(self) -> Iterator[tuple[_Block, int, str]]:
        for block in self.blocks:
            for index, text in enumerate(block.texts()):
                yield block, index, text

    def owner(self, text: str) -> str | None:
        plain = _plain(text)
        return next((b.intent for b, _, t in self.examples() if _plain(t) == plain), None)

    def require_intent(self, name: str) -> None:
        if name not in self.domain_intents() and not any(b.intent == name for b in self.blocks):
            raise TrainingDataError(f"There is no intent {name}.")

    def require_enough_left(self, intent: str) -> None:
        if sum(b.intent == intent for b, _, _ in self.examples()) <= MIN_EXAMPLES:
            raise TrainingDataError(f"Intent {intent} needs at least {MIN_EXAMPLES} examples; "
                                    "add another before taking this one away.")

    def refuse_duplicate(self, intent: str, text: str,
                         ignore: tuple[_Block, int] | None = None) -> None:
        plain = _plain(text)
        owners = {b.intent for b, i, t in self.examples()
                  if (b, i) != ignore and _plain(t) == plain}
        if intent in owners:
            raise TrainingDataError(f'"{text}" is already an example of intent {intent}.')
        if owners:
            raise TrainingDataError(f'"{text}" already belongs to intent {min(owners)}; '
                                    "move it instead.")

    def locate(self, intent: str, text: str) -> tuple[_Block, int, str]:
        """The example of the intent written as text, else one with the same plain text."""
        wanted = text.strip()
        same = [(b, i, t) for b, i, t in self.examples()
                if b.intent == intent and _plain(t) == _plain(wanted)]
        exact = [example for example in same if example[2] == wanted]
        if not same:
            raise TrainingDataError(f'"{wanted}" is not an example of intent {intent}.')
        return (exact or same)[0]

    def check_new_intent(self, name: str, examples: list[str]) -> list[str]:
        """The new intent's examples as they will be written, or why it cannot be created."""
        if not INTENT_NAME.fullmatch(name):
            raise TrainingDataError(f'"{name}" is not a valid intent name: intent names use '
                                    "lowercase letters, digits and _ (no spaces), 2 to 64 "
                                    "characters, starting with a letter.")
        if name in RASA_INTENTS:
            raise TrainingDataError(f"{name} is an intent Rasa reserves for itself.")
        if name in self.domain_intents() or any(b.intent == name for b in self.blocks):
            raise TrainingDataError(f"The intent {name} already exists.")
        texts = [_clean_example(text, self.entities()) for text in examples]
        if len(texts) < MIN_EXAMPLES:
            raise TrainingDataError(f"A new intent needs at least {MIN_EXAMPLES} examples.")
        for index, text in enumerate(texts):
            if any(_plain(text) == _plain(earlier) for earlier in texts[:index]):
                raise TrainingDataError(f'"{text}" is in the list twice.')
            self.refuse_duplicate(name, text)
        return texts

    def block_for(self, intent: str) -> _Block:
        """The block new examples of the intent go to: its first, or a new one."""
        return next((b for b in self.blocks if b.intent == intent), None) or self.new_block(intent)

    def new_block(self, intent: str) -> _Block:
        """An empty block for the intent at the end of data/nlu/studio.yml (created if need be)."""
        file = next((f for f in self.nlu if f.rel == STUDIO_FILE), None)
        if file is None:
            data = CommentedMap([("version", DoubleQuotedScalarString("3.1")),
                                 ("nlu", CommentedSeq())])
            file = _File(self.project / STUDIO_FILE, STUDIO_FILE, "", data)
            self.nlu.append(file)
        if not isinstance(file.data.get("nlu"), CommentedSeq):
            file.data["nlu"] = CommentedSeq()
        item = CommentedMap([("intent", intent), ("examples", LiteralScalarString(""))])
        _append(file.data["nlu"], item)
        block = _Block(file, item)
        self.blocks.append(block)
        return block
