"""Samples, split and vocabulary, replicating model-export/ (train/pipeline.ts preparePositions):

- split by user: MovieLens numeric id % 5 == 0 → test (sample.ts moduloFiveSplit); the Personalize
  layout SHA-256(`user-split:<id>`)[0..4] / 2³² < 0.2 → test (hashUserSplit);
- vocabulary from the training split only: items seen ≥ minItemCount times, by count descending
  then id (numeric ids numerically), index i + 2; categories = the sorted set of those items'
  categories, index j + 2; 0 = padding, 1 = OOV (contract/featureContract.ts buildFeatureContract);
- `next` (samples/protocols.ts): every behaviour after a user's first is a positive whose history
  is the previous ≤ H behaviours; its negative is the impression's shown-but-not-clicked items
  (≤ 10) when the behaviour carries an impression, else one item the user never touched, uniform
  over the training catalogue, drawn with seedrandom(`next:<seed>:<train|test>`);
  `rating`: label = value ≥ 4;
- encoding (train/dataset.ts): a known item takes its vocabulary category; an OOV item its raw
  category as the hint, except for the half of OOV ids whose SHA-1's first byte is even, which get
  the OOV category (clients may send unknown ids without a category, so that row is trained too).
"""
from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from .data import BehaviourLog, js_number
from .seedrandom import SeedRandom

PAD_INDEX = 0
OOV_INDEX = 1
FIRST_INDEX = 2
MAX_SAFE_INTEGER = 2**53 - 1
DEFAULT_MAX_IMPRESSION_NEGATIVES = 10


def js_sorted(strings) -> List[str]:
    """JavaScript's default Array.prototype.sort on strings (UTF-16 code units)."""
    return sorted(strings, key=lambda s: s.encode("utf-16-be"))


def _safe_int(text: str) -> Optional[int]:
    n = js_number(text)
    if math.isfinite(n) and n == int(n) and abs(n) <= MAX_SAFE_INTEGER:
        return int(n)
    return None


def modulo_split(modulus: int = 5) -> Callable[[str], str]:
    def split(user: str) -> str:
        n = _safe_int(user)
        if n is None:
            raise SystemExit(f'the modulo user split needs numeric user ids, got "{user}": use --split hash')
        return "test" if n % modulus == 0 else "train"

    return split


def hash_split(test_fraction: float = 0.2) -> Callable[[str], str]:
    threshold = round(test_fraction * 2**32)

    def split(user: str) -> str:
        h = int.from_bytes(hashlib.sha256(f"user-split:{user}".encode()).digest()[:4], "big")
        return "test" if h < threshold else "train"

    return split


def item_pool(timelines: Dict[str, list]) -> List[str]:
    """negativeSampler.ts itemPool: every item of the timelines, sorted."""
    return js_sorted({b.item for tl in timelines.values() for b in tl})


def _compare_ids(a: str, b: str) -> int:
    na, nb = _safe_int(a), _safe_int(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    ka, kb = a.encode("utf-16-be"), b.encode("utf-16-be")
    return (ka > kb) - (ka < kb)


@dataclass
class Vocabulary:
    max_history: int
    min_item_count: int
    items: List[str]
    categories: List[str]
    item_categories: List[int]

    def __post_init__(self):
        self.item_index = {item: i + FIRST_INDEX for i, item in enumerate(self.items)}
        self.category_index = {c: j + FIRST_INDEX for j, c in enumerate(self.categories)}

    @property
    def item_count(self) -> int:
        return len(self.items) + FIRST_INDEX

    @property
    def category_count(self) -> int:
        return len(self.categories) + FIRST_INDEX

    @property
    def rule(self) -> str:
        return f"items seen >= {self.min_item_count} times in the training split; categories of those items"

    def to_json(self) -> dict:
        """vocab.json, the file `npm run import-model -- --vocab` reads."""
        return {
            "format": "interest-edge-vocab/1",
            "maxHistory": self.max_history,
            "items": list(self.items),
            "categories": list(self.categories),
            "itemCategories": list(self.item_categories),
            "vocabularyRule": self.rule,
        }

    @staticmethod
    def from_json(d: dict) -> "Vocabulary":
        rule = d.get("vocabularyRule", "")
        m = rule.split(">= ")[1].split(" ")[0] if ">= " in rule else "2"
        return Vocabulary(d["maxHistory"], int(m), d["items"], d["categories"], d["itemCategories"])


def build_vocabulary(train_timelines: Dict[str, list], item_category: Dict[str, str], max_history: int, min_item_count: int) -> Vocabulary:
    counts: Dict[str, int] = {}
    for tl in train_timelines.values():
        for b in tl:
            counts[b.item] = counts.get(b.item, 0) + 1
    kept = [(item, n) for item, n in counts.items() if n >= min_item_count]
    kept.sort(key=functools.cmp_to_key(lambda a, b: (b[1] - a[1]) or _compare_ids(a[0], b[0])))
    items = [item for item, _ in kept]
    categories = js_sorted({item_category[i] for i in items if i in item_category})
    cat_index = {c: j + FIRST_INDEX for j, c in enumerate(categories)}
    item_categories = [cat_index.get(item_category.get(i, ""), OOV_INDEX) for i in items]
    return Vocabulary(max_history, min_item_count, items, categories, item_categories)


class Encoder:
    """Raw id → (item index, category index) under the training hint rule (dataset.ts trainingHint)."""

    def __init__(self, vocab: Vocabulary, item_category: Dict[str, str]):
        self.vocab = vocab
        self.item_category = item_category
        self.cache: Dict[str, tuple] = {}

    def __call__(self, item: str) -> tuple:
        e = self.cache.get(item)
        if e is None:
            index = self.vocab.item_index.get(item)
            if index is not None:
                e = (index, self.vocab.item_categories[index - FIRST_INDEX])
            else:
                drop_hint = (hashlib.sha1(item.encode()).digest()[0] & 1) == 0
                hint = None if drop_hint else self.item_category.get(item)
                e = (OOV_INDEX, OOV_INDEX if hint is None else self.vocab.category_index.get(hint, OOV_INDEX))
            self.cache[item] = e
        return e


class EncodedSplit:
    """Samples of one split packed in numpy arrays (dataset.ts EncodedDataset): timelines are encoded
    once, a sample points into its user's timeline; `batch` builds right-padded [B, H] histories."""

    def __init__(self, max_history: int):
        self.H = max_history
        self._seq_items: List[int] = []
        self._seq_cats: List[int] = []
        self._seq_start: List[int] = []
        self.user_ids: List[str] = []
        self._user_number: Dict[str, int] = {}
        self._s_user: List[int] = []
        self._s_pos: List[int] = []
        self._s_item: List[int] = []
        self._s_cat: List[int] = []
        self._s_label: List[int] = []
        self._s_conv: List[int] = []

    def add(self, timelines, encode: Encoder, user: str, position: int, candidate: str, label: int, conversion: int = 0) -> None:
        u = self._user_number.get(user)
        if u is None:
            u = self._user_number[user] = len(self.user_ids)
            self.user_ids.append(user)
            self._seq_start.append(len(self._seq_items))
            for b in timelines[user]:
                i, c = encode(b.item)
                self._seq_items.append(i)
                self._seq_cats.append(c)
        i, c = encode(candidate)
        self._s_user.append(u)
        self._s_pos.append(position)
        self._s_item.append(i)
        self._s_cat.append(c)
        self._s_label.append(label)
        self._s_conv.append(conversion)

    def finish(self) -> "EncodedSplit":
        pad = np.zeros(self.H, dtype=np.int32)
        self.seq_items = np.concatenate([np.asarray(self._seq_items, dtype=np.int32), pad])
        self.seq_cats = np.concatenate([np.asarray(self._seq_cats, dtype=np.int32), pad])
        self.seq_start = np.asarray(self._seq_start, dtype=np.int64)
        self.users = np.asarray(self._s_user, dtype=np.int64)
        self.positions = np.asarray(self._s_pos, dtype=np.int64)
        self.cand_items = np.asarray(self._s_item, dtype=np.int32)
        self.cand_cats = np.asarray(self._s_cat, dtype=np.int32)
        self.labels = np.asarray(self._s_label, dtype=np.float32)
        self.conversions = np.asarray(self._s_conv, dtype=np.float32)
        self.size = len(self.labels)
        for name in ("_seq_items", "_seq_cats", "_seq_start", "_s_user", "_s_pos", "_s_item", "_s_cat", "_s_label", "_s_conv"):
            delattr(self, name)
        return self

    def batch(self, indices: np.ndarray) -> Dict[str, np.ndarray]:
        """[B, H] right-padded histories (the most recent ≤ H behaviours), [B] candidates and labels."""
        H = self.H
        u = self.users[indices]
        pos = self.positions[indices]
        length = np.minimum(pos, H)
        start = self.seq_start[u] + pos - length
        offsets = np.arange(H)
        valid = offsets[None, :] < length[:, None]
        idx = np.where(valid, start[:, None] + offsets[None, :], len(self.seq_items) - 1)  # last = padding
        return {
            "hist_item": self.seq_items[idx],
            "hist_cat": self.seq_cats[idx],
            "cand_item": self.cand_items[indices],
            "cand_cat": self.cand_cats[indices],
            "label": self.labels[indices],
            "conversion": self.conversions[indices],
            "user": u,
        }


def next_samples(timelines, pool: Sequence[str], seed: int, stream: str, max_shown: int = DEFAULT_MAX_IMPRESSION_NEGATIVES, conversion_min: Optional[float] = None, no_negative: Optional[set] = None):
    """protocols.ts nextSampleStream: (user, position, candidate, label, conversion) in the Node
    order and draws; conversion (multi-task) = the behaviour's value ≥ conversion_min for
    positives (MovieLens: rated ≥ 4), 0 for negatives and without a threshold. A user who touched
    every item of the pool has no negative to draw: their positions without impressions give no
    sample (the positive neither) and the user is added to `no_negative`."""
    rng = SeedRandom(f"next:{seed}:{stream}")
    n = len(pool)
    pool_set = set(pool)
    for user, timeline in timelines.items():
        seen = {b.item for b in timeline}
        exhausted = None  # decided at the first position that needs a drawn negative
        unseen = None
        for t in range(1, len(timeline)):
            b = timeline[t]
            if not b.shown:
                if exhausted is None:
                    # The size test first: a subset test per user would cost the pool's size.
                    exhausted = len(seen) >= n and pool_set.issubset(seen)
                if exhausted:
                    if no_negative is not None:
                        no_negative.add(user)
                    continue
            converted = 1 if conversion_min is not None and b.value is not None and b.value >= conversion_min else 0
            yield user, t, b.item, 1, converted
            if b.shown:
                yield from _impression_negatives(user, timeline, t, max_shown)
            elif 2 * len(seen) >= n:
                # negativeSampler.ts unseenSampler: past half the pool, one draw from the unseen list.
                if unseen is None:
                    unseen = [i for i in pool if i not in seen]
                yield user, t, unseen[math.floor(rng() * len(unseen))], 0, 0
            else:
                while True:
                    item = pool[math.floor(rng() * n)]
                    if item not in seen:
                        break
                yield user, t, item, 0, 0


def _impression_negatives(user, timeline, t, max_shown):
    time = timeline[t].time
    clicked = set()
    i = t
    while i >= 0 and timeline[i].time == time:
        clicked.add(timeline[i].item)
        i -= 1
    i = t + 1
    while i < len(timeline) and timeline[i].time == time:
        clicked.add(timeline[i].item)
        i += 1
    k = 0
    for item in timeline[t].shown:
        if k >= max_shown:
            return
        if item in clicked:
            continue
        clicked.add(item)
        k += 1
        yield user, t, item, 0, 0


def rating_samples(timelines, positive_rating: float = 4):
    for user, timeline in timelines.items():
        for t in range(1, len(timeline)):
            v = timeline[t].value
            if v is None:
                raise SystemExit(f"the rating protocol needs explicit values (EVENT_VALUE, a rating): user {user} has a behaviour without one")
            yield user, t, timeline[t].item, 1 if v >= positive_rating else 0, 0


@dataclass
class Prepared:
    vocab: Vocabulary
    train: EncodedSplit
    test: EncodedSplit
    train_users: int
    test_users: int
    no_negative_users: int = 0


def prepare(log: BehaviourLog, split: Callable[[str], str], protocol: str, seed: int, max_history: int, min_item_count: int, conversion_min: Optional[float] = None) -> Prepared:
    train_tl = {u: tl for u, tl in log.timelines.items() if split(u) == "train"}
    test_tl = {u: tl for u, tl in log.timelines.items() if split(u) == "test"}
    pool = item_pool(train_tl)
    if not pool:
        raise SystemExit("the training split has no behaviour: check the split and the event filters")
    vocab = build_vocabulary(train_tl, log.item_category, max_history, min_item_count)
    encode = Encoder(vocab, log.item_category)
    out = []
    no_negative: set = set()
    for timelines, stream in ((train_tl, "train"), (test_tl, "test")):
        ds = EncodedSplit(max_history)
        samples = next_samples(timelines, pool, seed, stream, conversion_min=conversion_min, no_negative=no_negative) if protocol == "next" else rating_samples(timelines)
        for user, t, cand, label, conversion in samples:
            ds.add(timelines, encode, user, t, cand, label, conversion)
        out.append(ds.finish())
    return Prepared(vocab, out[0], out[1], len(train_tl), len(test_tl), len(no_negative))
