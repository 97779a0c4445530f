"""Score encoded requests with the trained torch model (the reference the ONNX graph and the
worker are compared with).

    python3 -m interest_edge_torch.score --checkpoint out/model.pt --requests requests.json

requests.json: {"requests": [{"hist_item": [...], "hist_cat": [...], "cand_item": [...], "cand_cat": [...]}]}
(or a bare list), index arrays as the worker sends them (history right-padded, T ≥ 1).
Prints {"scores": [[...] per request], "attention": [[[...] per candidate] per request]} and, for
the multi-task head, "ctr", "cvr", "ctcvr" like "scores" ("scores" = pCTR).
The history is repeated for every candidate and scored by the training-path forward (batch
[C, T]) in inference mode — not by the serving module the ONNX export traced.
"""
from __future__ import annotations

import argparse
import json
import sys

import torch

from .model import load_checkpoint


def score_requests(model, requests):
    """Scores (pCTR for the multi-task head) and attention per request; multi-task: also ctr/cvr/ctcvr."""
    scores, attention = [], []
    tasks = {"ctr": [], "cvr": [], "ctcvr": []}
    with torch.no_grad():
        for r in requests:
            C = len(r["cand_item"])
            hist_item = torch.tensor(r["hist_item"], dtype=torch.int32).unsqueeze(0).expand(C, -1)
            hist_cat = torch.tensor(r["hist_cat"], dtype=torch.int32).unsqueeze(0).expand(C, -1)
            logits, w = model(hist_item, hist_cat, torch.tensor(r["cand_item"], dtype=torch.int32), torch.tensor(r["cand_cat"], dtype=torch.int32), with_attention=True)
            p = torch.sigmoid(logits)
            if p.ndim == 2:
                ctr, cvr = p[:, 0], p[:, 1]
                tasks["ctr"].append(ctr.tolist())
                tasks["cvr"].append(cvr.tolist())
                tasks["ctcvr"].append((ctr * cvr).tolist())
                p = ctr
            scores.append(p.tolist())
            attention.append(w.tolist())
    return scores, attention, (tasks if tasks["ctr"] else None)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m interest_edge_torch.score", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, help="model.pt written by interest_edge_torch.train")
    p.add_argument("--requests", required=True, help="JSON file of encoded requests ('-' for stdin)")
    a = p.parse_args(argv)
    text = sys.stdin.read() if a.requests == "-" else open(a.requests).read()
    data = json.loads(text)
    requests = data["requests"] if isinstance(data, dict) else data
    model, _ = load_checkpoint(a.checkpoint)
    scores, attention, tasks = score_requests(model, requests)
    json.dump({"scores": scores, "attention": attention, **(tasks or {})}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
