"""Train DIN with DistributedDataParallel; rank 0 evaluates the test split and exports.

    torchrun --nproc_per_node 2 -m interest_edge_torch.train --data ../data/movielens-latest-small --out out/din
    python3 -m interest_edge_torch.train ...            # one process, no torchrun

Sharding: every rank prepares the same samples (deterministic), each epoch's order is the Node
trainer's (seedrandom(`shuffle:<seed>`) Fisher–Yates, train/fit.ts), and each global batch of
--batch-size samples is cut into world-size contiguous shards, one per rank. The loss is scaled so
DDP's gradient average is the global batch's mean, and Dice's moments are the global batch's:
the distributed step is the single-process step with batch --batch-size.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import socket
import sys
import time
from datetime import timedelta

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from . import __version__
from .data import DEFAULT_MAX_USER_BEHAVIOURS, limit_users, read_movielens, read_personalize, user_limits
from .export import export_onnx, sample_requests, write_json
from .metrics import auc, gauc, logloss
from .model import Din, checkpoint_dict
from .protocol import hash_split, modulo_split, prepare
from .seedrandom import SeedRandom


def _at_least_2(text: str) -> int:
    """argparse type of the user rules: an integer ≥ 2 (argparse names the flag in its message)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"an integer, got {text!r}")
    if n < 2:
        raise argparse.ArgumentTypeError(f"at least 2, got {n}")
    return n


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m interest_edge_torch.train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="MovieLens: a directory with ratings.csv + movies.csv; personalize: one with interactions.csv (or interactions/*.csv shards), optional items.csv")
    p.add_argument("--source", choices=["movielens", "personalize"], default="movielens")
    p.add_argument("--out", required=True, help="output directory: model.onnx, vocab.json, model.pt, metrics.json, requests.json")
    p.add_argument("--protocol", choices=["next", "rating"], default="next")
    p.add_argument("--split", choices=["modulo", "hash"], help="user split: modulo (numeric id %% 5 == 0 → test; MovieLens default) or hash (SHA-256, 20 %%; personalize default)")
    p.add_argument("--event-types", help="personalize: comma-separated EVENT_TYPEs kept as behaviours (default all)")
    p.add_argument("--min-event-value", type=float, help="personalize: keep rows with EVENT_VALUE >= this")
    p.add_argument("--category", help="personalize: items.csv column holding the category (default: the first categorical column)")
    p.add_argument("--min-user-behaviours", type=_at_least_2, default=2, help="users with fewer behaviours are dropped (the dataset config's minUserBehaviours)")
    p.add_argument("--max-user-behaviours", type=_at_least_2, default=DEFAULT_MAX_USER_BEHAVIOURS, help="a longer timeline keeps its most recent behaviours (maxUserBehaviours; ties at the cut kept)")
    p.add_argument("--max-users", type=int, help="keep only the first N users in file order (a small slice)")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=256, help="global batch (split across ranks)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-history", type=int, default=50)
    p.add_argument("--min-item-count", type=int, default=2)
    p.add_argument("--embedding-dim", type=int, default=16)
    p.add_argument("--head", choices=["mlp", "shared-bottom"], default="mlp", help="mlp: DIN's MLP 200-80 (single task, click); shared-bottom: the repo's multi-task head with the ESMM loss (click and conversion = rated >= 4; MovieLens next only)")
    p.add_argument("--task-weights", default="1,1", help="multi-task: w_ctr,w_ctcvr of the ESMM loss")
    p.add_argument("--attention-hidden", help="default 16,8 (the shipped DIN); 80,40 with --head shared-bottom (the repo's multi-task models)")
    p.add_argument("--mlp-hidden", default="200,80")
    p.add_argument("--activation", choices=["dice", "prelu"], default="dice")
    p.add_argument("--dense-embeddings", action="store_true", help="Adam over every embedding row each step (default: sparse rows + SparseAdam, the repo's lazy Adam; NCCL always dense)")
    p.add_argument("--backend", choices=["gloo", "nccl"], help="default: nccl when CUDA is available, else gloo")
    p.add_argument("--threads", type=int, help="torch intra-op threads per process (default: OMP_NUM_THREADS, torchrun sets 1 per process)")
    p.add_argument("--eval-every-epoch", action="store_true", help="evaluate the test split after every epoch (default: after the last)")
    p.add_argument("--no-export", action="store_true")
    return p.parse_args(argv)


def log(rank, *args):
    if rank == 0:
        print(*args, file=sys.stderr, flush=True)


def shuffled(n: int, rng: SeedRandom) -> np.ndarray:
    """train/fit.ts shuffled(): Fisher–Yates with j = floor(rng() · (i + 1))."""
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = math.floor(rng() * (i + 1))
        order[i], order[j] = order[j], order[i]
    return np.asarray(order, dtype=np.int64)


def to_tensors(b, device):
    return [torch.from_numpy(b[k]).to(device) for k in ("hist_item", "hist_cat", "cand_item", "cand_cat")]


def esmm_loss_sum(logits, clicks, conversions, weights):
    """fit.ts esmmLoss, summed over the shard: w_ctr·BCE(click, pCTR) + w_ctcvr·BCE(click ∧ conv, pCTR·pCVR)."""
    ctr = F.binary_cross_entropy_with_logits(logits[:, 0], clicks, reduction="sum")
    log_p = F.logsigmoid(logits[:, 0]) + F.logsigmoid(logits[:, 1])
    log_1mp = torch.log(torch.clamp(1 - torch.exp(log_p), min=1e-7))
    ctcvr = -(conversions * log_p + (1 - conversions) * log_1mp).sum()
    return weights[0] * ctr + weights[1] * ctcvr


@torch.no_grad()
def predict(model: Din, split, device, batch_size: int = 2048) -> np.ndarray:
    """Probabilities [N] (multi-task: [N, 2] pCTR, pCVR) in inference mode (Dice moving moments)."""
    model.eval()
    out = np.empty((split.size,) if model.head == "mlp" else (split.size, 2), dtype=np.float32)
    for start in range(0, split.size, batch_size):
        idx = np.arange(start, min(start + batch_size, split.size))
        b = split.batch(idx)
        out[idx] = torch.sigmoid(model(*to_tensors(b, device))).cpu().numpy()
    model.train()
    return out


def evaluate(model, split, device) -> dict:
    """Click metrics; multi-task models also per task as fit.ts evaluates them: ctr on every
    sample, cvr on the clicked ones, ctcvr (pCTR·pCVR against click ∧ conversion) on every sample."""
    p = predict(model, split, device)
    if p.ndim == 1:
        return {"auc": auc(p, split.labels), "gauc": gauc(p, split.labels, split.users), "logloss": logloss(p, split.labels)}
    ctr, cvr = p[:, 0], p[:, 1]
    ctcvr = ctr * cvr
    clicked = split.labels > 0.5
    tasks = {
        "ctr": {"auc": auc(ctr, split.labels), "gauc": gauc(ctr, split.labels, split.users)},
        "cvr": {"auc": auc(cvr[clicked], split.conversions[clicked]), "gauc": gauc(cvr[clicked], split.conversions[clicked], split.users[clicked])},
        "ctcvr": {"auc": auc(ctcvr, split.conversions), "gauc": gauc(ctcvr, split.conversions, split.users)},
    }
    return {**tasks["ctr"], "logloss": logloss(ctr, split.labels), "tasks": tasks}


def main(argv=None) -> int:
    a = parse_args(argv)
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    backend = a.backend or ("nccl" if torch.cuda.is_available() else "gloo")
    if distributed:
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        dist.init_process_group(backend=backend, timeout=timedelta(minutes=30))
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    device = torch.device(f"cuda:{torch.cuda.current_device()}" if backend == "nccl" else "cpu")
    if a.threads:
        torch.set_num_threads(a.threads)
    sparse = not a.dense_embeddings and backend != "nccl"
    t0 = time.perf_counter()

    # ---- data (every rank, deterministically)
    if a.source == "movielens":
        blog = read_movielens(a.data)
        split = hash_split(0.2) if a.split == "hash" else modulo_split(5)
    else:
        blog = read_personalize(a.data, a.event_types.split(",") if a.event_types else None, a.min_event_value, a.category)
        split = modulo_split(5) if a.split == "modulo" else hash_split(0.2)
    blog = limit_users(user_limits(blog, a.min_user_behaviours, a.max_user_behaviours), a.max_users)
    multi = a.head != "mlp"
    if multi and (a.source != "movielens" or a.protocol != "next"):
        raise SystemExit("--head shared-bottom needs conversion labels: MovieLens with protocol next (conversion = rated >= 4); the Personalize layout's conversion filter is not implemented here")
    data = prepare(blog, split, a.protocol, a.seed, a.max_history, a.min_item_count, conversion_min=4.0 if multi else None)
    prep_seconds = time.perf_counter() - t0
    log(rank, f"data {blog.source}: {len(blog.timelines)} users ({data.train_users} train, {data.test_users} test), protocol {a.protocol}; "
        f"{data.train.size} train / {data.test.size} test samples; vocabulary {len(data.vocab.items)} items, {len(data.vocab.categories)} categories ({prep_seconds:.1f} s)")
    dropped = [f"{blog.stats[k]} {what}" for k, what in (("droppedUsers", "users with too few behaviours"), ("cappedUsers", "users cut to their recent behaviours")) if blog.stats.get(k)]
    if data.no_negative_users:
        dropped.append(f"the samples of {data.no_negative_users} users who touched every item of the training catalogue (no negative to draw)")
    if dropped:
        log(rank, "dropped " + "; ".join(dropped))

    # ---- model
    torch.manual_seed(a.seed)
    att = tuple(int(x) for x in (a.attention_hidden or ("16,8" if not multi else "80,40")).split(","))
    task_weights = [float(x) for x in a.task_weights.split(",")]
    mlp = tuple(int(x) for x in a.mlp_hidden.split(","))
    model = Din(data.vocab.item_count, data.vocab.category_count, a.embedding_dim, att, mlp, a.activation, sparse=sparse, head=a.head).to(device)
    ddp_devices = [device.index] if device.type == "cuda" else None
    net = torch.nn.parallel.DistributedDataParallel(model, device_ids=ddp_devices, broadcast_buffers=False) if world > 1 else model
    emb_params = [model.item_emb.weight, model.cat_emb.weight]
    dense_params = [p for n, p in model.named_parameters() if not n.startswith(("item_emb", "cat_emb"))]
    if sparse:
        optimizers = [torch.optim.Adam(dense_params, lr=a.lr, eps=1e-7), torch.optim.SparseAdam(emb_params, lr=a.lr, eps=1e-7)]
    else:
        optimizers = [torch.optim.Adam(dense_params + emb_params, lr=a.lr, eps=1e-7)]

    # ---- training
    rng = SeedRandom(f"shuffle:{a.seed}")
    B = a.batch_size
    n = data.train.size
    steps = math.ceil(n / B)
    epochs = []
    local_samples = 0
    local_steps = 0
    train_seconds = 0.0
    for epoch in range(1, a.epochs + 1):
        order = shuffled(n, rng)
        if distributed:
            dist.barrier()
        started = time.perf_counter()
        loss_sum = torch.zeros(2, dtype=torch.float64)
        model.train()
        for step in range(steps):
            g = order[step * B : (step + 1) * B]
            if len(g) < world:
                continue  # a last global batch smaller than the world: every rank skips it
            mine = np.array_split(g, world)[rank]
            b = data.train.batch(mine)
            x = to_tensors(b, device)
            y = torch.from_numpy(b["label"]).to(device)
            model.set_global_batch(len(g))
            logits = net(*x)
            if multi:
                loss = esmm_loss_sum(logits, y, torch.from_numpy(b["conversion"]).to(device), task_weights) * (world / len(g))
            else:
                loss = F.binary_cross_entropy_with_logits(logits, y, reduction="sum") * (world / len(g))
            for o in optimizers:
                o.zero_grad(set_to_none=True)
            loss.backward()
            for o in optimizers:
                o.step()
            model.apply_state_updates()
            loss_sum[0] += loss.item() / world
            loss_sum[1] += 1
            local_samples += len(mine)
            local_steps += 1
        seconds = time.perf_counter() - started
        if distributed:  # collectives on `device`: NCCL reduces CUDA tensors only
            t = torch.tensor([seconds], dtype=torch.float64, device=device)
            dist.all_reduce(t, op=dist.ReduceOp.MAX)
            seconds = float(t.item())
            reduced = loss_sum.to(device)
            dist.all_reduce(reduced)
            loss_sum = reduced.cpu()
            loss_sum[1] /= world
        train_seconds += seconds
        report = {"epoch": epoch, "trainLoss": float(loss_sum[0] / loss_sum[1]), "seconds": seconds, "samplesPerSecond": n / seconds}
        if rank == 0 and (a.eval_every_epoch or epoch == a.epochs):
            report.update(evaluate(model, data.test, device))
        if distributed:
            dist.barrier()
        epochs.append(report)
        log(rank, "epoch " + json.dumps(report))

    # ---- per-rank evidence: samples, steps, a checksum of the weights (DDP keeps ranks equal)
    with torch.no_grad():
        checksum = float(sum(p.double().abs().sum().item() for p in model.state_dict().values() if p.is_floating_point()))
    me = {"rank": rank, "host": socket.gethostname(), "pid": os.getpid(), "samples": local_samples, "steps": local_steps, "weightChecksum": checksum, "threads": torch.get_num_threads()}
    ranks = [None] * world
    if distributed:
        dist.all_gather_object(ranks, me)
    else:
        ranks = [me]

    if rank == 0:
        os.makedirs(a.out, exist_ok=True)
        final = epochs[-1]
        vocab_json = data.vocab.to_json()
        metrics = {
            "format": "interest-edge-torch-metrics/1",
            "package": f"interest_edge_torch {__version__}",
            "torch": torch.__version__,
            "python": platform.python_version(),
            "model": "din" if not multi else "din-shared-bottom-esmm",
            "source": blog.source,
            "protocol": a.protocol,
            **({"tasks": final["tasks"]} if "tasks" in final else {}),
            "auc": final.get("auc"),
            "gauc": final.get("gauc"),
            "logloss": final.get("logloss"),
            "samplesPerSecond": a.epochs * n / train_seconds,
            "samplesPerSecondPerProcess": a.epochs * n / train_seconds / world,
            "trainSeconds": train_seconds,
            "prepareSeconds": prep_seconds,
            "worldSize": world,
            "backend": backend if distributed else "none",
            "device": str(device),
            "sparseEmbeddings": sparse,
            "ranks": ranks,
            "trainSamples": n,
            "testSamples": data.test.size,
            "trainUsers": data.train_users,
            "testUsers": data.test_users,
            "vocabulary": {"items": len(data.vocab.items), "categories": len(data.vocab.categories)},
            "epochs": epochs,
            "config": {k: v for k, v in vars(a).items()},
        }
        if not a.no_export:
            ckpt = checkpoint_dict(model, vocab_json, {"metrics": {k: metrics[k] for k in ("auc", "gauc", "logloss")}})
            torch.save(ckpt, os.path.join(a.out, "model.pt"))
            ops = export_onnx(model, os.path.join(a.out, "model.onnx"))
            metrics["onnx"] = {"file": "model.onnx", "opset": 17, "ops": ops, "outputs": ["score", "attention"] + (["ctr", "cvr", "ctcvr"] if multi else [])}
            write_json(os.path.join(a.out, "vocab.json"), vocab_json)
            write_json(os.path.join(a.out, "requests.json"), {"requests": sample_requests(data.test, data.vocab)})
        write_json(os.path.join(a.out, "metrics.json"), metrics)
        summary = {k: metrics[k] for k in ("auc", "gauc", "logloss", "samplesPerSecond", "worldSize", "backend")}
        print(json.dumps(summary))
    if distributed:
        dist.barrier()
        # Leave without tearing the process group down. On torch 1.13 with gloo, freeing the
        # last reference to the group (here DDP's, when main's locals go) can deadlock: the
        # destructor holds the GIL and waits for the group's mutex, while a gloo worker thread
        # holds that mutex and waits for the GIL to free a finished work item's tensor. Seen
        # about once in 20 runs on 2 busy cores, as a rank that never exits. Every output is
        # written and closed by now, so skipping the destructors loses nothing.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
