"""ONNX export in the worker's serving signature, the vocabulary file and sample requests."""
from __future__ import annotations

import json
import os
from typing import List

import numpy as np
import torch

from .model import Din, ServingDin

OPSET = 17


def export_onnx(model: Din, path: str) -> List[str]:
    """Writes model.onnx (opset 17, dynamic T and C) and returns its operator types."""
    serving = ServingDin(model).eval()  # traced with T = 3, C = 2; both axes dynamic
    args = (
        torch.tensor([5, 3, 0], dtype=torch.int32),
        torch.tensor([2, 2, 0], dtype=torch.int32),
        torch.tensor([4, 1], dtype=torch.int32),
        torch.tensor([2, 1], dtype=torch.int32),
    )
    tasks = [] if model.head == "mlp" else ["ctr", "cvr", "ctcvr"]  # multi-task: score = pCTR, as the repo's exporter
    with torch.no_grad():
        torch.onnx.export(
            serving,
            args,
            path,
            input_names=["hist_item", "hist_cat", "cand_item", "cand_cat"],
            output_names=["score", "attention", *tasks],
            dynamic_axes={"hist_item": {0: "T"}, "hist_cat": {0: "T"}, "cand_item": {0: "C"}, "cand_cat": {0: "C"}, "score": {0: "C"}, "attention": {0: "C", 1: "T"}, **{t: {0: "C"} for t in tasks}},
            opset_version=OPSET,
            do_constant_folding=True,
        )
    import onnx

    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    domains = {n.domain for n in m.graph.node} - {""}
    if domains:
        raise RuntimeError(f"the exported graph uses non-standard op domains {domains}")
    m.producer_name = "interest-edge-torch"
    onnx.save(m, path)
    return ops


def sample_requests(split, vocab, count: int = 4, candidates: int = 5, seed: int = 0) -> List[dict]:
    """Encoded requests (index arrays) from a split's timelines: a typical history, an empty one
    (one padding slot, as the worker sends), one truncated to H, and an OOV candidate among them."""
    rng = np.random.default_rng(seed)
    H = split.H
    out = []
    users = list(range(len(split.user_ids)))
    lengths = [int(split.seq_start[u + 1] if u + 1 < len(split.seq_start) else len(split.seq_items) - H) - int(split.seq_start[u]) for u in users]
    long_users = [u for u in users if lengths[u] > H]
    short_users = [u for u in users if 2 <= lengths[u] <= H]
    picks = []
    if short_users:
        picks.append(short_users[len(short_users) // 2])
    picks.append(None)  # empty history
    if long_users:
        picks.append(long_users[len(long_users) // 3])
    if short_users:
        picks.append(short_users[-1])
    for u in picks[:count]:
        if u is None:
            hist_item, hist_cat = [0], [0]
        else:
            s = int(split.seq_start[u])
            n = min(lengths[u] - 1, H)
            e = s + lengths[u] - 1
            hist_item = split.seq_items[e - n : e].tolist()
            hist_cat = split.seq_cats[e - n : e].tolist()
        cand = rng.integers(2, vocab.item_count, size=candidates).tolist()
        cand_cat = [vocab.item_categories[i - 2] for i in cand]
        cand[-1], cand_cat[-1] = 1, 2  # an OOV candidate with a known category hint
        out.append({"hist_item": hist_item, "hist_cat": hist_cat, "cand_item": cand, "cand_cat": cand_cat})
    return out


def write_json(path: str, data) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
