"""Edit knowledge-base articles safely: the live base reloads on every save, so a save is a
publish; nothing broken, oversized or misnamed may reach the folder, and drafts wait in
`drafts/`, a subfolder the loader never reads."""

from __future__ import annotations

import builtins
import os
import re
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from bot.kb.articles import ID_RE, ArticleInvalid, load_articles, parse_article
from bot.kb.base import KnowledgeBase

MAX_ARTICLE_BYTES = 200_000
DRAFTS = "drafts"
PLACEHOLDER = "Write the answer here."
MAX_DRAFT_QUESTIONS = 10
MAX_SLUG_CHARS = 60

# html off: an article is shown to customers, so raw HTML (a <script>) must be escaped.
_markdown = MarkdownIt("commonmark", {"html": False})
# One lock for every editor in the process: two of them may serve the same folder.
_write_lock = threading.Lock()


@dataclass(frozen=True)
class LineError:
    """A problem at a 1-based line of the editor's text."""

    line: int
    message: str


class ArticleRejected(ValueError):
    """Not saved; `errors` say why, at their line."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__("; ".join(f"line {e.line}: {e.message}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class ArticleSummary:
    """One row of the editor's article list; `error` is set when the file keeps it out of the
    live base (then `id` is the file's stem and `title` is empty)."""

    id: str
    title: str
    filename: str
    draft: bool
    questions: int
    error: LineError | None


@dataclass(frozen=True)
class Checked:
    """What save would say about the text, and the body as customers would see it (empty when
    the front matter is broken)."""

    errors: list[LineError]
    html: str


@dataclass(frozen=True)
class Saved:
    """A write, with the previous text (None if the file is new) for the audit log."""

    filename: str
    draft: bool
    before: str | None
    after: str


@dataclass(frozen=True)
class TryHit:
    """A ranked article and the passage the bot would show; `heading` is None for the summary."""

    article_id: str
    title: str
    heading: str | None
    text: str
    score: float


@dataclass(frozen=True)
class TryResult:
    """What the bot would do with the question at this threshold."""

    question: str
    hits: list[TryHit]
    answers: bool
    threshold: float
    article_id: str | None


def render_preview(body_markdown: str) -> str:
    """The article body as HTML, with raw HTML escaped rather than rendered."""
    return _markdown.render(body_markdown)


def try_question(kb: KnowledgeBase, question: str, answer_threshold: float,
                 k: int = 5) -> TryResult:
    """Rank articles for a question the way the desk does, and say whether it would answer."""
    ranked = kb.rank_articles(question, k=k)
    hits = [TryHit(hit.article_id, hit.passage.title,
                   None if hit.passage.heading == hit.passage.title else hit.passage.heading,
                   hit.passage.text, round(hit.score, 3)) for hit in ranked]
    answers = bool(ranked) and ranked[0].score >= answer_threshold
    return TryResult(question, hits, answers, answer_threshold,
                     ranked[0].article_id if answers else None)


class ArticleEditor:
    """Reads and writes the articles of one knowledge-base folder and its drafts.

    (`builtins.list` in the annotations below: inside the class, `list` is the method.)"""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.drafts = folder / DRAFTS

    def list(self) -> builtins.list[ArticleSummary]:
        """Published articles then drafts, each with the error that keeps it out, if any."""
        return self._summaries(self.folder, draft=False) + self._summaries(self.drafts, draft=True)

    def read(self, filename: str, draft: bool = False) -> str:
        """The raw text of an article or draft; KeyError if there is none by that name."""
        try:
            return self._existing(filename, draft).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeyError(_missing(filename, draft)) from None

    def check(self, text: str, filename: str | None = None, draft: bool = False) -> Checked:
        """Everything save would refuse, at its line, plus a preview of the body."""
        errors, body = self._validate(_normalise(text), filename, draft)
        return Checked(errors, render_preview(body) if body is not None else "")

    def save(self, filename: str, text: str, draft: bool = False) -> Saved:
        """Write the article (or draft) atomically, or raise ArticleRejected and write nothing."""
        with _write_lock:
            return self._save(filename, _normalise(text), draft)

    def publish_draft(self, filename: str) -> Saved:
        """Move a valid draft into the live folder; refused if it would replace or shadow a
        published article."""
        with _write_lock:
            source = self._existing(filename, draft=True)
            try:
                text = source.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise KeyError(_missing(filename, draft=True)) from None
            errors, _ = self._validate(text, filename, draft=False)
            if (self.folder / filename).exists():
                errors.append(LineError(_id_line(text),
                                        f"a published article is already named {filename}"))
            if errors:
                raise ArticleRejected(errors)
            os.replace(source, self.folder / filename)
            return Saved(filename, False, None, text)

    def delete_draft(self, filename: str) -> None:
        """Remove a draft; KeyError if there is none by that name."""
        with _write_lock:
            try:
                self._existing(filename, draft=True).unlink()
            except FileNotFoundError:
                raise KeyError(_missing(filename, draft=True)) from None

    def draft_from_questions(self, questions: builtins.list[str],
                             title: str | None = None) -> Saved:
        """Start a draft for questions the bot could not answer: the customers' own words
        become its alternate questions, and the editor writes the answer."""
        unique: dict[str, str] = {}
        for question in questions:
            cleaned = " ".join(question.split())
            if cleaned:
                unique.setdefault(cleaned.casefold(), cleaned)
        kept = list(unique.values())[:MAX_DRAFT_QUESTIONS]
        if not kept:
            raise ValueError("a draft needs at least one non-empty question")
        title = " ".join((title or "").split()) or kept[0]
        with _write_lock:
            article_id = self._unused_id(_slug(title))
            meta = {"id": article_id, "title": title, "tags": ["draft"], "questions": kept}
            front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000)
            return self._save(f"{article_id}.md", f"---\n{front}---\n{PLACEHOLDER}\n", draft=True)

    def _save(self, filename: str, text: str, draft: bool) -> Saved:
        errors, _ = self._validate(text, filename, draft)
        if errors:
            raise ArticleRejected(errors)
        path = self._path(filename, draft)
        try:
            before: str | None = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            before = None
        _write_atomic(path, text)
        return Saved(filename, draft, before, text)

    def _validate(self, text: str, filename: str | None,
                  draft: bool) -> tuple[builtins.list[LineError], str | None]:
        """The errors save would raise, and the parsed body (None if it does not parse)."""
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if size > MAX_ARTICLE_BYTES:  # before parsing: YAML on megabytes is slow
            return [LineError(1, f"the article is {_size(size)}; "
                                 f"the limit is {_size(MAX_ARTICLE_BYTES)}")], None
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as bad:
            return [LineError(text.count("\n", 0, bad.start) + 1,
                              "the text contains a character that is not valid UTF-8")], None
        errors: builtins.list[LineError] = []
        try:
            article = parse_article(Path(filename or "article.md"), text)
        except ArticleInvalid as invalid:
            errors.append(LineError(invalid.error.line, invalid.error.message))
            article = None
        name_error = (_filename_error(filename, article.id if article else None)
                      if filename is not None else None)
        if name_error:
            errors.append(LineError(_id_line(text), name_error))
        if article is None:
            return errors, None
        if filename is not None and not name_error:  # a wrong name is the error to fix first
            owner = self._published_owner(article.id, filename, draft)
            if owner:
                errors.append(LineError(_id_line(text),
                                        f"the id '{article.id}' is already used by {owner}"))
        if not draft and PLACEHOLDER in article.body:
            line = next(i for i, line in enumerate(text.split("\n"), start=1)
                        if PLACEHOLDER in line)
            errors.append(LineError(line, f"replace '{PLACEHOLDER}' with the answer"))
        return errors, article.body

    def _published_owner(self, article_id: str, filename: str, draft: bool) -> str | None:
        """The published file that already has this id: for a draft, any (publishing it would
        collide); for a published save, any other file."""
        for path in sorted(self.folder.glob("*.md")):
            if path.name.lower() == "readme.md" or (path.name == filename and not draft):
                continue
            try:
                if parse_article(path).id == article_id:
                    return path.name
            except ArticleInvalid:
                continue
        return None

    def _unused_id(self, base: str) -> str:
        """`base`, or `base-2`, `base-3`... so that no published file or draft has it."""
        taken = {path.stem for folder in (self.folder, self.drafts) for path in folder.glob("*.md")}
        taken |= {a.id for a in load_articles(self.folder).articles}
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def _summaries(self, folder: Path, draft: bool) -> builtins.list[ArticleSummary]:
        if not folder.is_dir():
            return []
        loaded = load_articles(folder)
        rows = [ArticleSummary(a.id, a.title, a.path.name, draft, len(a.questions), None)
                for a in loaded.articles]
        rows += [ArticleSummary(e.path.stem, "", e.path.name, draft, 0,
                                LineError(e.line, e.message)) for e in loaded.errors]
        return sorted(rows, key=lambda row: row.filename)

    def _path(self, filename: str, draft: bool) -> Path:
        return (self.drafts if draft else self.folder) / filename

    def _existing(self, filename: str, draft: bool) -> Path:
        """The path of a named article; KeyError for a name that could not be one (a path)."""
        if _unsafe(filename):
            raise KeyError(_missing(filename, draft))
        return self._path(filename, draft)


def _normalise(text: str) -> str:
    """Editor line numbers count "\n" only, so no other line break may remain."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _unsafe(filename: str) -> bool:
    return ("/" in filename or "\\" in filename or ".." in filename or "\0" in filename
            or filename in ("", "."))


def _filename_error(filename: str, article_id: str | None) -> str | None:
    if _unsafe(filename):
        return "the file name must be a plain name such as returns-window.md, without folders"
    if filename.lower() == "readme.md":  # the loader skips it: it would never go live
        return "readme.md is the folder's notes, not an article; choose another id"
    if article_id is not None and filename != f"{article_id}.md":
        return f"the file name must be {article_id}.md"
    if article_id is None and not (filename.endswith(".md") and ID_RE.match(filename[:-3])):
        return "the file name must be <id>.md, with the id in lowercase words joined by '-'"
    return None


def _id_line(text: str) -> int:
    """The line of the `id:` field (1 if there is none), where name and id errors point."""
    return next((i for i, line in enumerate(text.split("\n"), start=1)
                 if line.startswith("id:")), 1)


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{n / 1000:.0f} KB"


def _slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > MAX_SLUG_CHARS:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug if slug and slug != "readme" else "draft"


def _missing(filename: str, draft: bool) -> str:
    return f"there is no {'draft' if draft else 'article'} named {filename!r}"


def _write_atomic(path: Path, text: str) -> None:
    """Write beside the target and rename over it, so the watcher never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise

