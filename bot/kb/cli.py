"""`assistant kb ...`: check articles, build the index, search it, evaluate it."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from bot.kb.articles import load_articles
from bot.settings import get_settings


def add_commands(commands: argparse._SubParsersAction) -> None:
    kb = commands.add_parser("kb", help="knowledge base: check, index, search, eval")
    sub = kb.add_subparsers(dest="kb_command", required=True)
    sub.add_parser("check", help="validate every article; exit 1 on any error").set_defaults(func=check)
    sub.add_parser("index", help="build or update the index (embeds only what changed)").set_defaults(func=index)
    search = sub.add_parser("search", help="show the ranked passages for a question")
    search.add_argument("question")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    search.set_defaults(func=search_command)
    ev = sub.add_parser("eval", help="retrieval and answer/decline quality (JSON and Markdown reports)")
    ev.add_argument("--labelled", type=Path, default=Path("data/kb_eval.yml"))
    ev.add_argument("--stackfaq", type=Path, help="folder with faq.json and queries_dev.json")
    ev.add_argument("--filler", type=int, default=0, help="filler passages added to StackFAQ")
    ev.add_argument("--out", type=Path, default=Path("reports/kb"))
    ev.set_defaults(func=evaluate)


def check(_: argparse.Namespace) -> int:
    folder = get_settings().kb_folder
    result = load_articles(folder)
    for error in result.errors:
        print(f"error: {error}")
    print(f"{len(result.articles)} articles OK, {len(result.errors)} with errors in {folder}/")
    return 1 if result.errors else 0


def index(_: argparse.Namespace) -> int:
    from bot.kb.base import knowledge_base_from_settings

    kb = knowledge_base_from_settings(get_settings())
    for error in kb.errors:
        print(f"error: {error}")
    print(f"Indexed {len(kb.articles)} articles, {len(kb.index)} passages "
          f"({len(kb.cache)} embeddings cached in {kb.index_dir}/).")
    return 1 if kb.errors else 0


def search_command(args: argparse.Namespace) -> int:
    from bot.kb.answering import answer_question
    from bot.kb.base import knowledge_base_from_settings

    settings = get_settings()
    kb = knowledge_base_from_settings(settings)
    verdict = answer_question(kb, args.question, settings.kb_answer_threshold)
    print(f"{'Would answer' if verdict.confident else 'Would decline'} "
          f"(threshold {settings.kb_answer_threshold}).\n")
    for rank, hit in enumerate(kb.search(args.question, k=args.k, mode=args.mode), start=1):
        print(f"{rank}. {hit.score:.3f}  (dense {hit.dense:.3f}, bm25 {hit.lexical:.2f})  "
              f"{hit.passage.article_id} / {hit.passage.heading}")
        print(textwrap.indent(textwrap.shorten(hit.passage.text, 220), "     "))
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from bot.kb import evaluate as ev
    from bot.kb.base import knowledge_base_from_settings
    from bot.kb.filler import generate_filler

    settings = get_settings()
    kb = knowledge_base_from_settings(settings)
    report = {"own": ev.evaluate_own(kb, args.labelled, settings.kb_answer_threshold)}
    if args.stackfaq:
        print("Evaluating StackFAQ ...", flush=True)
        report["stackfaq"] = ev.evaluate_stackfaq(kb, args.stackfaq, generate_filler(args.filler))
    kb.cache.save()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "kb_eval.json").write_text(json.dumps(report, indent=2))
    (args.out / "kb_eval.md").write_text(ev.markdown(report))
    sys.stdout.write(ev.markdown(report))
    return 0
