"""Generated filler passages that pad the base to a given size for scale tests."""

from __future__ import annotations

import random

from bot.kb.passages import Passage

ADJECTIVES = ["hand-glazed", "organic", "recycled", "brushed", "quilted", "woven", "matte", "stonewashed",
              "insulated", "compact", "heavy", "lightweight", "vintage", "modular", "foldable", "ribbed"]
MATERIALS = ["oak", "linen", "cotton", "stoneware", "walnut", "steel", "bamboo", "wool", "ceramic",
             "glass", "copper", "jute", "velvet", "enamel", "marble", "silicone"]
PRODUCTS = ["serving bowl", "throw blanket", "desk lamp", "coffee grinder", "pillowcase", "bread knife",
            "storage basket", "wall clock", "cutting board", "tea towel", "phone stand", "cable organiser",
            "doormat", "salad spinner", "picture frame", "bath mat", "candle holder", "spice rack"]
COLOURS = ["sage", "charcoal", "ivory", "terracotta", "navy", "mustard", "dusty pink", "forest green"]
CLAUSES = ["It pairs well with the rest of the {m} collection.",
           "Each piece is finished by hand, so small variations are part of its charm.",
           "Measures about {n} cm and weighs {w} grams.",
           "The {c} shade is inspired by coastal evenings.",
           "Designed in our studio and made in small batches.",
           "Wipe clean with a damp cloth and dry straight away.",
           "Customers often buy it together with the matching {p}.",
           "Part of the autumn range, limited to {n} pieces."]


def generate_filler(n: int, seed: int = 13) -> list[Passage]:
    rng = random.Random(seed)
    passages = []
    for i in range(n):
        adjective, material, product = rng.choice(ADJECTIVES), rng.choice(MATERIALS), rng.choice(PRODUCTS)
        colour = rng.choice(COLOURS)
        title = f"{adjective.capitalize()} {material} {product} in {colour} (item {i})"
        body = " ".join(rng.choice(CLAUSES).format(m=material, n=rng.randint(5, 90), w=rng.randint(80, 4000),
                                                  c=colour, p=rng.choice(PRODUCTS))
                        for _ in range(3))
        passages.append(Passage(id=f"filler-{i}#0", article_id=f"filler-{i}", title=title,
                                heading=title, text=body))
    return passages
