"""Readers of the repo's data layouts into a behaviour log (model-export/data/behaviourLog.ts).

A log is `timelines` (user → list of Behaviour, sorted by compareBehaviours: time, then item
numerically when both ids are numbers; Python's stable sort keeps file order on exact ties, as
the Node readers do) and `item_category` (item → category name).

- MovieLens (model-export/data/movielens.ts): ratings.csv userId,movieId,rating,timestamp and
  movies.csv movieId,title,genres; category = the first genre.
- Personalize layout (model-export/data/personalize.ts): interactions.csv (or interactions.csv.gz,
  or a directory interactions/ of *.csv shards) with USER_ID, ITEM_ID, TIMESTAMP, optional
  EVENT_TYPE, EVENT_VALUE, IMPRESSION; optional items.csv with ITEM_ID + a category column (by
  default the first categorical column). Parquet (`*.parquet`) is read with pyarrow when it is
  importable, otherwise refused with a message.
"""
from __future__ import annotations

import csv
import functools
import glob
import gzip
import io
import math
import os
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

csv.field_size_limit(1 << 30)


@dataclass
class Behaviour:
    item: str
    time: float
    value: Optional[float] = None
    shown: Optional[Tuple[str, ...]] = None


@dataclass
class BehaviourLog:
    timelines: Dict[str, List[Behaviour]]
    item_category: Dict[str, str]
    source: str
    stats: dict = field(default_factory=dict)


_JS_DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$")
_JS_INFINITY = re.compile(r"^[+-]?Infinity$")


def js_number(text: str) -> float:
    """JavaScript's Number(text) for the ids and values that occur in data files (NaN when not a number)."""
    s = text.strip()
    if s == "":
        return 0.0
    low = s.lower()
    if low[:2] in ("0x", "0o", "0b") and len(s) > 2:
        try:
            return float(int(s[2:], {"x": 16, "o": 8, "b": 2}[low[1]]))
        except ValueError:
            return math.nan
    if _JS_INFINITY.match(s):
        return -math.inf if s.startswith("-") else math.inf
    if not _JS_DECIMAL.match(s):
        return math.nan
    return float(s)


def _compare_ids(a: str, b: str) -> int:
    if a == b:
        return 0
    na, nb = js_number(a), js_number(b)
    if math.isfinite(na) and math.isfinite(nb) and na != nb:
        return -1 if na < nb else 1
    return -1 if a < b else 1


def compare_behaviours(a: Behaviour, b: Behaviour) -> int:
    """behaviourLog.ts compareBehaviours: time, then item (numerically when both are numbers)."""
    if a.time != b.time:
        return -1 if a.time < b.time else 1
    return _compare_ids(a.item, b.item)


_BEHAVIOUR_KEY = functools.cmp_to_key(compare_behaviours)


def sort_timelines(timelines: Dict[str, List[Behaviour]]) -> None:
    for timeline in timelines.values():
        timeline.sort(key=_BEHAVIOUR_KEY)


def _numeric_key_possible(timelines: Dict[str, List[Behaviour]]) -> bool:
    return all(math.isfinite(js_number(b.item)) for tl in timelines.values() for b in tl)


def fast_sort_timelines(timelines: Dict[str, List[Behaviour]]) -> None:
    """The same order as sort_timelines; a plain key when every id is a distinct number (MovieLens)."""
    ids = {b.item for tl in timelines.values() for b in tl}
    numbers = {}
    for i in ids:
        n = js_number(i)
        if not math.isfinite(n):
            return sort_timelines(timelines)
        numbers[i] = n
    if len(set(numbers.values())) != len(ids):
        return sort_timelines(timelines)
    for timeline in timelines.values():
        timeline.sort(key=lambda b: (b.time, numbers[b.item]))


# ---------------------------------------------------------------- MovieLens


def read_movielens(directory: str) -> BehaviourLog:
    with open(os.path.join(directory, "movies.csv"), newline="", encoding="utf-8") as f:
        item_category = {row["movieId"]: row["genres"].split("|")[0] for row in csv.DictReader(f)}
    timelines: Dict[str, List[Behaviour]] = {}
    with open(os.path.join(directory, "ratings.csv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            user = row["userId"]
            tl = timelines.get(user)
            if tl is None:
                tl = timelines[user] = []
            tl.append(Behaviour(row["movieId"], js_number(row["timestamp"]), js_number(row["rating"])))
    fast_sort_timelines(timelines)
    return BehaviourLog(timelines, item_category, "movielens-latest-small" if "latest-small" in directory else "movielens", {"users": len(timelines)})


# ---------------------------------------------------------------- Personalize layout

MAX_SECONDS = 1e10


def _open_text(path: str) -> io.TextIOBase:
    if path.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, newline="", encoding="utf-8")


def _parquet_rows(path: str) -> Iterator[Tuple[List[str], Iterator[List[str]]]]:
    try:
        import pyarrow.parquet as pq  # type: ignore
    except ImportError as err:
        raise SystemExit(
            f"{path} is Parquet, which needs pyarrow (not importable here: {err}). "
            "Install it (pip install pyarrow, or apt install python3-pyarrow where available) or export the table as CSV."
        )
    table = pq.read_table(path)
    header = list(table.column_names)
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]

    def rows() -> Iterator[List[str]]:
        for values in zip(*columns):
            yield ["" if v is None else str(v) for v in values]

    return header, rows()


def _table(path: str):
    """(header, rows) of one CSV (plain or gzip) or Parquet file; rows are lists of strings."""
    if path.lower().endswith(".parquet"):
        return _parquet_rows(path)
    f = _open_text(path)
    reader = csv.reader(f)
    try:
        header = next(reader)
    except StopIteration:
        f.close()
        raise SystemExit(f"{path} is empty: it needs a header row")
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]

    def rows() -> Iterator[List[str]]:
        try:
            yield from reader
        finally:
            f.close()

    return header, rows()


def _natural_key(name: str):
    """Natural name order (part-2 before part-10), as personalizeLayout.ts sorts shards."""
    parts = re.split(r"(\d+)", name)
    return [(0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in parts if p != ""], name


def _find(directory: str, stem: str) -> List[str]:
    """The files of one table, in row order (model-export/data/personalizeLayout.ts): `stem`.csv,
    .csv.gz or .parquet, or a directory `stem`/ of *.parquet or *.csv(.gz) shards (names starting
    with `.` or `_` ignored: _SUCCESS, .crc), read in natural name order. Names case-insensitive."""
    names = os.listdir(directory)
    pattern = re.compile(rf"^{stem}(\.csv(\.gz)?|\.parquet)?$", re.IGNORECASE)
    forms = [n for n in names if pattern.match(n) and (n.lower() != stem or os.path.isdir(os.path.join(directory, n)))]
    if len(forms) > 1:
        raise SystemExit(f"{directory}: both {' and '.join(sorted(forms))} hold the {stem} table; keep one")
    if not forms:
        return []
    path = os.path.join(directory, forms[0])
    if not os.path.isdir(path):
        return [path]
    shards = sorted((n for n in os.listdir(path) if not n.startswith((".", "_")) and re.search(r"\.(csv(\.gz)?|parquet)$", n, re.IGNORECASE)), key=_natural_key)
    parquet = [n for n in shards if n.lower().endswith(".parquet")]
    if parquet and len(parquet) != len(shards):
        raise SystemExit(f"{path}: both Parquet ({parquet[0]}) and CSV ({next(n for n in shards if n not in parquet)}) shards; a table's shards share one format")
    if not shards:
        raise SystemExit(f"{path}: no *.parquet, *.csv or *.csv.gz shard in the {stem} directory")
    return [os.path.join(path, n) for n in shards]


class _Columns:
    def __init__(self, path: str, header: Sequence[str]):
        self.path = path
        self.index = {h.strip().upper(): i for i, h in enumerate(header)}

    def find(self, name: str) -> Optional[int]:
        return self.index.get(name.upper())

    def require(self, name: str, why: str = "") -> int:
        i = self.find(name)
        if i is None:
            raise SystemExit(f"{self.path}: no {name} column{f' ({why})' if why else ''}; header: {', '.join(self.index)}")
        return i


def _first_value(text: str) -> str:
    return text.split("|")[0].strip()


def guess_category_column(path: str) -> Optional[str]:
    """The first categorical column of items.csv (personalize.ts guessCategoryColumn)."""
    header, rows = _table(path)
    item_at = _Columns(path, header).require("ITEM_ID")
    cands = [{"name": h, "i": i, "numeric": True, "rows": 0, "distinct": set()} for i, h in enumerate(header) if i != item_at]
    for fields in rows:
        if len(fields) != len(header):
            continue
        for c in cands:
            v = _first_value(fields[c["i"]])
            if v == "":
                continue
            c["rows"] += 1
            if c["numeric"] and not math.isfinite(js_number(v)):
                c["numeric"] = False
            c["distinct"].add(v)
    for c in cands:
        if not c["numeric"] and c["rows"] > 0 and len(c["distinct"]) <= c["rows"] / 2:
            return c["name"]
    return None


def read_personalize(
    directory: str,
    event_types: Optional[Sequence[str]] = None,
    min_event_value: Optional[float] = None,
    category: Optional[str] = None,
    impressions: bool = True,
    max_malformed_fraction: float = 0.01,
) -> BehaviourLog:
    if not os.path.isdir(directory):
        raise SystemExit(f"--data {directory}: not a directory (expected one holding interactions.csv)")
    inter_files = _find(directory, "interactions")
    if not inter_files:
        raise SystemExit(f"{directory} has no interactions.csv (or interactions.csv.gz, or interactions/*.csv); the header needs USER_ID, ITEM_ID, TIMESTAMP")
    keep_types = set(event_types) if event_types else None
    timelines: Dict[str, List[Behaviour]] = {}
    total = malformed = filtered_type = filtered_value = 0
    examples: List[str] = []
    for path in inter_files:
        header, rows = _table(path)
        cols = _Columns(path, header)
        user_at, item_at, time_at = cols.require("USER_ID"), cols.require("ITEM_ID"), cols.require("TIMESTAMP")
        type_at, value_at = cols.find("EVENT_TYPE"), cols.find("EVENT_VALUE")
        shown_at = cols.find("IMPRESSION") if impressions else None
        if keep_types and type_at is None:
            cols.require("EVENT_TYPE", f"event types {', '.join(keep_types)} are kept")
        if min_event_value is not None and value_at is None:
            cols.require("EVENT_VALUE", f"minEventValue {min_event_value}")
        for line, fields in enumerate(rows, start=2):
            total += 1

            def bad(why: str) -> None:
                nonlocal malformed
                malformed += 1
                if len(examples) < 5:
                    examples.append(f"{path}:{line}: {why}")

            if len(fields) != len(header):
                bad(f"expected {len(header)} fields (the header's), got {len(fields)}")
                continue
            user, item = fields[user_at].strip(), fields[item_at].strip()
            if user == "" or item == "":
                bad("USER_ID is empty" if user == "" else "ITEM_ID is empty")
                continue
            t = js_number(fields[time_at])
            if fields[time_at].strip() == "" or not math.isfinite(t) or t < 0:
                bad(f"TIMESTAMP {fields[time_at]!r} is not Unix seconds")
                continue
            if t > MAX_SECONDS:
                bad(f"TIMESTAMP {fields[time_at]} is after the year 2286: milliseconds? The layout wants seconds")
                continue
            value = None
            if value_at is not None and fields[value_at].strip() != "":
                value = js_number(fields[value_at])
                if not math.isfinite(value):
                    bad(f"EVENT_VALUE {fields[value_at]!r} is not a number")
                    continue
            if type_at is not None and keep_types and fields[type_at].strip() not in keep_types:
                filtered_type += 1
                continue
            if min_event_value is not None and not (value is not None and value >= min_event_value):
                filtered_value += 1
                continue
            shown = None
            if shown_at is not None and fields[shown_at].strip() != "":
                s = tuple(x.strip() for x in fields[shown_at].split("|") if x.strip() != "")
                shown = s or None
            tl = timelines.get(user)
            if tl is None:
                tl = timelines[user] = []
            tl.append(Behaviour(item, t, value, shown))
    if total and malformed / total > max_malformed_fraction:
        raise SystemExit(f"{malformed} of {total} interaction rows are malformed (more than {max_malformed_fraction:.0%}): " + "; ".join(examples))
    sort_timelines(timelines)
    item_files = _find(directory, "items")
    item_category: Dict[str, str] = {}
    if category is not None and not item_files:
        raise SystemExit(f"--category {category} names an items.csv column, but {directory} has no items.csv")
    column = None
    for path in item_files:
        column = category if category is not None else (column or guess_category_column(path))
        if column is None:
            continue
        header, rows = _table(path)
        cols = _Columns(path, header)
        item_at, cat_at = cols.require("ITEM_ID"), cols.require(column, "the category column")
        for fields in rows:
            if len(fields) != len(header):
                continue
            item = fields[item_at].strip()
            if item == "" or item in item_category:
                continue  # the first row of an item wins
            c = _first_value(fields[cat_at])
            if c != "":
                item_category[item] = c
    name = re.sub(r"[^a-z0-9]+", "-", os.path.basename(os.path.abspath(directory)).lower()).strip("-") or "data"
    stats = {"interactionFiles": inter_files, "rows": total, "malformed": malformed, "filteredByType": filtered_type, "filteredByValue": filtered_value, "categoryColumn": column, "users": len(timelines)}
    return BehaviourLog(timelines, item_category, f"personalize-{name}", stats)


DEFAULT_MAX_USER_BEHAVIOURS = 100_000


def user_limits(log: BehaviourLog, min_behaviours: int = 2, max_behaviours: int = DEFAULT_MAX_USER_BEHAVIOURS) -> BehaviourLog:
    """registry.ts loadDataset's rules on sorted timelines, in its order: a timeline longer than
    `max_behaviours` keeps the behaviours strictly after its (max+1)-th most recent time
    (behaviourLog.ts recentBehaviours: never more than max, a tie at the cut goes whole); then users
    with fewer than `min_behaviours` are dropped."""
    if min_behaviours < 2:
        raise ValueError(f"--min-user-behaviours must be at least 2 (one behaviour has no history), got {min_behaviours}")
    if max_behaviours < 2:
        raise ValueError(f"--max-user-behaviours must be at least 2, got {max_behaviours}")
    kept: Dict[str, List[Behaviour]] = {}
    capped = 0
    for user, timeline in log.timelines.items():
        if len(timeline) > max_behaviours:
            cut = timeline[len(timeline) - max_behaviours - 1].time
            start = len(timeline) - max_behaviours
            while start < len(timeline) and timeline[start].time <= cut:
                start += 1
            timeline = timeline[start:]
            capped += 1
        if len(timeline) >= min_behaviours:
            kept[user] = timeline
    stats = {**log.stats, "users": len(kept), "droppedUsers": len(log.timelines) - len(kept), "cappedUsers": capped}
    return BehaviourLog(kept, log.item_category, log.source, stats)


def limit_users(log: BehaviourLog, max_users: Optional[int]) -> BehaviourLog:
    """The first `max_users` users in file order (a small slice for tests)."""
    if not max_users:
        return log
    kept = dict(list(log.timelines.items())[:max_users])
    return BehaviourLog(kept, log.item_category, log.source, {**log.stats, "users": len(kept), "slice": max_users})
