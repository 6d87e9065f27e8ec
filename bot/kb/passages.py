"""Split articles into passages at `##` headings: the unit that is searched and shown."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.kb.articles import Article

HEADING_RE = re.compile(r"^##\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Passage:
    """A searchable unit: a section of an article (shown to customers), or one of the
    article's alternate questions from its front matter (matched, never shown)."""

    id: str
    article_id: str
    title: str
    heading: str
    text: str
    url: str | None = None
    is_question: bool = False

    @property
    def search_text(self) -> str:
        """What is embedded and indexed: the article title gives each section its context."""
        if self.is_question:
            return self.text
        if self.heading == self.title:
            return f"{self.title}\n{self.text}"
        return f"{self.title}: {self.heading}\n{self.text}"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.search_text.encode()).hexdigest()


def split_article(article: Article) -> list[Passage]:
    """The text before the first `##` is the article's summary passage; each section follows."""
    parts = HEADING_RE.split(article.body)
    passages = []
    intro = parts[0].strip()
    if intro:
        passages.append((article.title, intro))
    passages += [(parts[i].strip(), parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)
                 if parts[i + 1].strip()]
    sections = [Passage(id=f"{article.id}#{n}", article_id=article.id, title=article.title,
                        heading=heading, text=text, url=article.url)
                for n, (heading, text) in enumerate(passages)]
    questions = [Passage(id=f"{article.id}#q{n}", article_id=article.id, title=article.title,
                         heading=article.title, text=question, url=article.url, is_question=True)
                 for n, question in enumerate(article.questions)]
    return sections + questions
