from pathlib import Path

import pytest

from bot.encoder import Encoder


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return Encoder(threads=2)


def write_article(folder: Path, article_id: str, title: str, body: str, extra: str = "") -> Path:
    path = folder / f"{article_id}.md"
    path.write_text(f"---\nid: {article_id}\ntitle: {title}\ntags: [test]\n{extra}---\n{body}\n")
    return path


@pytest.fixture
def kb_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir()
    write_article(folder, "returns-window", "How long do I have to return something?",
                  "You can return items within 30 days of delivery.\n\n## Unused items\n"
                  "Items must be unused and in their original packaging.",
                  extra="questions:\n  - what is your return policy\n")
    write_article(folder, "payment-methods", "Which payment methods do you accept?",
                  "We accept Visa, Mastercard, PayPal and Apple Pay.\n\n## Gift cards\n"
                  "Gift cards can be combined with one other payment method.")
    write_article(folder, "shipping-times", "How long does delivery take?",
                  "Standard delivery takes 3-5 business days; express takes 1-2.")
    return folder
