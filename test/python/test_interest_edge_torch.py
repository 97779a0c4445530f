"""Unit tests of python/interest_edge_torch that need no torch run:
    /usr/bin/python3 -m unittest discover -s test/python -v
"""
import csv
import math
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../python"))

import numpy as np  # noqa: E402

from interest_edge_torch.data import compare_behaviours, Behaviour, BehaviourLog, js_number, read_personalize, user_limits  # noqa: E402
from interest_edge_torch.metrics import auc, gauc, logloss  # noqa: E402
from interest_edge_torch.protocol import build_vocabulary, hash_split, modulo_split, next_samples  # noqa: E402
from interest_edge_torch.seedrandom import SeedRandom  # noqa: E402


class SeedRandomTest(unittest.TestCase):
    def test_matches_the_npm_package(self):
        # node -e "const s=require('seedrandom'); console.log(s('hello.')(), s('next:1:train')())"
        self.assertEqual(SeedRandom("hello.")(), 0.9282578795792454)
        r = SeedRandom("next:1:train")
        self.assertEqual([r() for _ in range(3)], [0.20430168372495125, 0.31358917979645107, 0.5241447032092291])


class MetricsTest(unittest.TestCase):
    def test_auc_counts_ties_half(self):
        self.assertEqual(auc(np.array([0.1, 0.4, 0.4, 0.8]), np.array([0, 0, 1, 1])), 0.875)
        self.assertTrue(math.isnan(auc(np.array([0.1, 0.2]), np.array([1, 1]))))

    def test_gauc_weights_users_by_samples_and_skips_one_label_users(self):
        s = np.array([0.1, 0.9, 0.8, 0.2, 0.3, 0.5])
        y = np.array([0, 1, 0, 1, 1, 1])
        u = np.array([1, 1, 2, 2, 3, 3])
        self.assertAlmostEqual(gauc(s, y, u), (2 * 1.0 + 2 * 0.0) / 4)

    def test_logloss_clips(self):
        self.assertAlmostEqual(logloss(np.array([1.0]), np.array([0])), -math.log(1e-7), places=5)


class ContractTest(unittest.TestCase):
    def test_behaviour_order_time_then_numeric_item(self):
        a, b, c = Behaviour("10", 5), Behaviour("9", 5), Behaviour("x", 5)
        self.assertGreater(compare_behaviours(a, b), 0)
        self.assertLess(compare_behaviours(b, c), 0)  # "9" < "x" as strings
        self.assertEqual(js_number(" 0x1A "), 26)
        self.assertTrue(math.isnan(js_number("12abc")))

    def test_splits(self):
        self.assertEqual(modulo_split()("10"), "test")
        self.assertEqual(modulo_split()("11"), "train")
        share = sum(hash_split(0.2)(f"u{i}") == "test" for i in range(5000)) / 5000
        self.assertAlmostEqual(share, 0.2, delta=0.02)

    def test_user_limits_drop_short_and_cut_long_timelines_as_load_dataset(self):
        log = BehaviourLog({
            "one": [Behaviour("a", 1)],
            "long": [Behaviour(str(i), t) for i, t in enumerate([1, 2, 3, 3, 4, 5])],
            "tied": [Behaviour(str(i), 7) for i in range(5)],  # one timestamp: the cut takes all
            "short": [Behaviour("a", 1), Behaviour("b", 2)],
        }, {}, "test")
        out = user_limits(log, 2, 3)
        self.assertEqual(sorted(out.timelines), ["long", "short"])
        self.assertEqual([b.time for b in out.timelines["long"]], [4, 5])  # the tie at the cut goes whole
        self.assertEqual((out.stats["droppedUsers"], out.stats["cappedUsers"]), (2, 2))
        for bad in ((2, 1), (2, 0), (1, 5)):
            with self.assertRaisesRegex(ValueError, "user-behaviours must be at least 2"):
                user_limits(log, *bad)

    def test_next_skips_a_user_who_touched_the_whole_pool(self):
        pool = ["1", "2", "3"]
        timelines = {
            "power": [Behaviour("1", 1), Behaviour("2", 2), Behaviour("3", 3), Behaviour("1", 4, shown=("1", "9"))],
            "casual": [Behaviour("1", 1), Behaviour("2", 2)],
        }
        no_negative = set()
        samples = list(next_samples(timelines, pool, 1, "train", no_negative=no_negative))
        self.assertEqual(no_negative, {"power"})
        self.assertEqual([s for s in samples if s[0] == "power"], [("power", 3, "1", 1, 0), ("power", 3, "9", 0, 0)])
        self.assertEqual([s[3] for s in samples if s[0] == "casual"], [1, 0])

    def test_vocabulary_by_count_then_id(self):
        tl = {"u": [Behaviour(i, t) for t, i in enumerate(["10", "9", "9", "10", "a", "a", "a", "b"])]}
        v = build_vocabulary(tl, {"10": "x", "9": "y", "a": "x"}, 50, 2)
        self.assertEqual(v.items, ["a", "9", "10"])
        self.assertEqual(v.categories, ["x", "y"])
        self.assertEqual(v.item_categories, [2, 3, 2])
        self.assertEqual(v.to_json()["format"], "interest-edge-vocab/1")


class PersonalizeTest(unittest.TestCase):
    def write(self, path, rows):
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows(rows)

    def test_reads_a_directory_of_shards_like_one_file(self):
        rows = [["u1", "i1", "100"], ["u1", "i2", "50"], ["u2", "i1", "70"], ["u2", "i3", "70"]]
        with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as many:
            self.write(os.path.join(one, "interactions.csv"), [["USER_ID", "ITEM_ID", "TIMESTAMP"], *rows])
            os.mkdir(os.path.join(many, "interactions"))
            self.write(os.path.join(many, "interactions", "part-2.csv"), [["USER_ID", "ITEM_ID", "TIMESTAMP"], *rows[:2]])
            self.write(os.path.join(many, "interactions", "part-10.csv"), [["user_id", "item_id", "timestamp"], *rows[2:]])
            self.write(os.path.join(many, "interactions", "_SUCCESS.csv"), [["garbage"]])
            a, b = read_personalize(one), read_personalize(many)
            as_tuples = lambda log: {u: [(x.item, x.time) for x in tl] for u, tl in log.timelines.items()}
            self.assertEqual(as_tuples(a), as_tuples(b))
            self.assertEqual([x.item for x in a.timelines["u1"]], ["i2", "i1"])
            self.assertEqual(list(b.timelines), ["u1", "u2"])  # part-2 before part-10 (natural order)
            self.assertEqual(b.stats["interactionFiles"][0].rsplit("/", 1)[1], "part-2.csv")

    def test_two_forms_of_a_table_are_refused(self):
        with tempfile.TemporaryDirectory() as d:
            self.write(os.path.join(d, "interactions.csv"), [["USER_ID", "ITEM_ID", "TIMESTAMP"], ["u", "i", "1"]])
            os.mkdir(os.path.join(d, "interactions"))
            with self.assertRaises(SystemExit) as e:
                read_personalize(d)
            self.assertIn("keep one", str(e.exception))

    def test_parquet_without_pyarrow_is_refused_with_a_message(self):
        try:
            import pyarrow  # noqa: F401

            self.skipTest("pyarrow is installed")
        except ImportError:
            pass
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "interactions.parquet"), "wb").close()
            with self.assertRaises(SystemExit) as e:
                read_personalize(d)
            self.assertIn("pyarrow", str(e.exception))


if __name__ == "__main__":
    unittest.main()
