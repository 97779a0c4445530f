"""Test helper for test/parity/pytorchDdp.test.ts: the PyTorch package's samples, vocabulary and
encoded batches as checksums, to compare with model-export's prepareData element for element.

    /usr/bin/python3 test/python/prepare_checksums.py checksums --data DIR --source movielens|personalize --split modulo|hash --seed N [--event-types click]
    /usr/bin/python3 test/python/prepare_checksums.py fixture DIR    # a synthetic Personalize layout

Checksum of an int sequence: s = (s·31 + x) mod 1e9+7, the same in the test.
"""
import argparse
import csv
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../python"))

import numpy as np  # noqa: E402

from interest_edge_torch.data import read_movielens, read_personalize  # noqa: E402
from interest_edge_torch.protocol import hash_split, modulo_split, prepare  # noqa: E402


def checksum(a) -> int:
    r = 0
    for x in np.asarray(a).ravel().tolist():
        r = (r * 31 + int(x)) % 1000000007
    return r


def checksums(a) -> dict:
    log = read_movielens(a.data) if a.source == "movielens" else read_personalize(a.data, event_types=a.event_types.split(",") if a.event_types else None)
    split = modulo_split(5) if a.split == "modulo" else hash_split(0.2)
    d = prepare(log, split, "next", a.seed, 50, 2)
    train = d.train.batch(np.arange(d.train.size))
    test = d.test.batch(np.arange(d.test.size))
    return {
        "items": d.vocab.items,
        "categories": d.vocab.categories,
        "itemCategories": d.vocab.item_categories,
        "train": d.train.size,
        "test": d.test.size,
        "trainCandidates": checksum(d.train.cand_items),
        "trainCandidateCategories": checksum(d.train.cand_cats),
        "trainLabels": checksum(d.train.labels),
        "trainHistories": checksum(train["hist_item"]),
        "trainHistoryCategories": checksum(train["hist_cat"]),
        "testCandidates": checksum(d.test.cand_items),
        "testCandidateCategories": checksum(d.test.cand_cats),
        "testHistories": checksum(test["hist_item"]),
    }


def fixture(directory: str) -> None:
    """String and numeric ids, timestamp ties, impressions on ~30 % of rows, two event types,
    pipe-separated multi-valued categories with a non-ASCII one, the category column guessed, and
    three crawlers (every item, all but three, half)."""
    os.makedirs(directory, exist_ok=True)
    rng = random.Random(7)
    items = [f"sku-{i}" if i % 3 else str(i) for i in range(1, 400)]
    cats = ["shoes", "bags", "hats", "Socks", "électro"]
    with open(os.path.join(directory, "interactions.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE", "IMPRESSION"])
        for u in range(300):
            user = f"user-{u}" if u % 4 else str(u * 7)
            t = 1700000000 + rng.randint(0, 10000)
            for _ in range(rng.randint(1, 40)):
                t += rng.choice([0, 0, 5, 60, 3600])
                it = rng.choice(items[: rng.randint(20, len(items))])
                imp = "|".join(rng.sample(items, 4) + [it]) if rng.random() < 0.3 else ""
                w.writerow([user, it, t, rng.choice(["click", "click", "view"]), rng.choice(["", "1", "2.5"]), imp])
        # Crawlers walking the catalogue in order (no rng: the items table stays as it was): one
        # touches every item (no negative to draw: its positions give no sample), one all but
        # three (negatives from the list of its unseen items), one half of them (the switch point).
        for user, skip in (("crawler-all", 0), ("crawler-most", 3), ("crawler-half", len(items) // 2)):
            for k, it in enumerate(items[skip:]):
                w.writerow([user, it, 1600000000 + k, "click", "", ""])
    with open(os.path.join(directory, "items.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ITEM_ID", "TITLE", "PRICE", "CATEGORY"])
        for i in items:
            w.writerow([i, f"title {i}", rng.randint(1, 99), rng.choice(cats) + ("|x" if rng.random() < 0.2 else "")])


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("checksums")
    c.add_argument("--data", required=True)
    c.add_argument("--source", choices=["movielens", "personalize"], required=True)
    c.add_argument("--split", choices=["modulo", "hash"], required=True)
    c.add_argument("--seed", type=int, required=True)
    c.add_argument("--event-types")
    f = sub.add_parser("fixture")
    f.add_argument("dir")
    a = p.parse_args()
    if a.command == "fixture":
        fixture(a.dir)
    else:
        json.dump(checksums(a), sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
