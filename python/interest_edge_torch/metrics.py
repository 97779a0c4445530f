"""AUC, user-weighted GAUC (DIN eq. 1) and logloss, as model-export/train/metrics.ts computes them."""
from __future__ import annotations

import math

import numpy as np


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability a random positive outscores a random negative, ties counting ½ (average ranks)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels) > 0.5
    n = len(scores)
    pos = int(labels.sum())
    neg = n - pos
    if pos == 0 or neg == 0:
        return math.nan
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    # average 1-based rank of each tie group
    boundaries = np.flatnonzero(np.diff(s)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [n]])
    ranks = np.empty(n)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def gauc(scores: np.ndarray, labels: np.ndarray, users: np.ndarray) -> float:
    """Σ_u n_u·AUC_u / Σ_u n_u over users whose samples hold both labels."""
    users = np.asarray(users)
    order = np.argsort(users, kind="mergesort")
    u = users[order]
    cuts = np.flatnonzero(np.diff(u)) + 1
    weighted = weight = 0.0
    for idx in np.split(order, cuts):
        a = auc(scores[idx], labels[idx])
        if math.isnan(a):
            continue
        weighted += len(idx) * a
        weight += len(idx)
    return math.nan if weight == 0 else weighted / weight


def logloss(p: np.ndarray, labels: np.ndarray) -> float:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    y = np.asarray(labels) > 0.5
    return float(-np.where(y, np.log(p), np.log(1 - p)).mean())
