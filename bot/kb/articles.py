"""Load and validate knowledge-base articles: Markdown files with YAML front matter."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

REQUIRED = ("id", "title", "tags")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    tags: tuple[str, ...]
    body: str
    path: Path
    url: str | None = None
    audience: str | None = None
    updated: str | None = None
    questions: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        text = "\n".join([self.title, self.url or "", self.body, *self.questions])
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ArticleError:
    """A problem that keeps one file out of the base; `line` is 1-based."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    errors: list[ArticleError] = field(default_factory=list)


class ArticleInvalid(ValueError):
    def __init__(self, error: ArticleError) -> None:
        super().__init__(str(error))
        self.error = error


def parse_article(path: Path, text: str | None = None) -> Article:
    """Parse one file, raising ArticleInvalid with the file and line of the problem."""
    text = path.read_text(encoding="utf-8") if text is None else text
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ArticleInvalid(ArticleError(path, 1, "missing front matter: the file must start with '---'"))
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise ArticleInvalid(ArticleError(path, 1, "front matter is not closed with '---'")) from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 2
        raise ArticleInvalid(ArticleError(path, line, f"front matter is not valid YAML: "
                                                      f"{getattr(error, 'problem', error)}")) from None
    if not isinstance(meta, dict):
        raise ArticleInvalid(ArticleError(path, 2, "front matter must be a mapping of fields"))

    def line_of(key: str) -> int:
        return next((i + 1 for i, line in enumerate(lines[1:end], start=1)
                     if line.startswith(f"{key}:")), 2)

    missing = [key for key in REQUIRED if not meta.get(key)]
    if missing:
        raise ArticleInvalid(ArticleError(path, 2, f"missing required field(s): {', '.join(missing)}"))
    if not isinstance(meta["id"], str) or not ID_RE.match(meta["id"]):
        raise ArticleInvalid(ArticleError(path, line_of("id"),
                                          "id must be lowercase words joined by '-', e.g. returns-window"))
    tags = meta["tags"]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ArticleInvalid(ArticleError(path, line_of("tags"), "tags must be a list of words"))
    questions = meta.get("questions") or []
    if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
        raise ArticleInvalid(ArticleError(path, line_of("questions"),
                                          "questions must be a list of non-empty texts"))
    body = "\n".join(lines[end + 1:]).strip()
    if not body:
        raise ArticleInvalid(ArticleError(path, end + 2, "the article has no text"))
    updated = meta.get("updated")
    return Article(
        id=meta["id"], title=str(meta["title"]).strip(), tags=tuple(tags), body=body, path=path,
        url=meta.get("url"), audience=meta.get("audience"),
        updated=updated.isoformat() if isinstance(updated, date) else updated,
        questions=tuple(q.strip() for q in questions),
    )


def load_articles(folder: Path) -> LoadResult:
    """Load every `*.md` in the folder; a broken file is reported and skipped, not fatal."""
    result = LoadResult()
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            article = parse_article(path)
        except ArticleInvalid as invalid:
            result.errors.append(invalid.error)
            continue
        if article.id in seen:
            result.errors.append(ArticleError(path, 2, f"duplicate id '{article.id}', already used by {seen[article.id]}"))
            continue
        seen[article.id] = path
        result.articles.append(article)
    return result
