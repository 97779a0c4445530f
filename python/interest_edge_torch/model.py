"""DIN (Zhou et al., KDD 2018) in PyTorch, the same architecture as model-export/models/din.ts:

- behaviour embedding e = [e_item, e_category] (16 + 16), tables N(0, 0.05), row 0 = padding;
- local activation unit over [q, k, q−k, q⊙k] → h1 → h2 (sigmoid) → 1 (linear), written with the
  first layer split as in layers/targetAttention.ts: (W_q + W_d)·q + (W_k − W_d)·k + W_p·(q⊙k);
  weights NOT softmax-normalised, padding masked to 0; pooled = Σ_j a_j·e_j;
- MLP 200-80 with Dice (eq. 9) over [pooled, e_candidate], then a linear unit → logit; or, for
  the multi-task variant, the repo's shared-bottom head (click and conversion logits, ESMM loss).

Dice (layers/activations.ts): f(s) = s·(α + p·(1 − α)), p = σ((s − E[s]) / √(Var[s] + 1e-8)), no
learned scale/shift; training uses the mini-batch moments (across every DDP rank: the global
batch's, so 2 ranks × 128 compute what 1 process × 256 does) and moves the moving moments
(momentum 0.99) after each step; inference uses the moving moments.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

DICE_EPSILON = 1e-8
DICE_MOMENTUM = 0.99


def glorot_uniform(fan_in: int, fan_out: int) -> nn.Parameter:
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return nn.Parameter(torch.empty(fan_in, fan_out).uniform_(-limit, limit))


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _global_moments(x: torch.Tensor, global_n: Optional[int]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Mean and (biased) variance over dim 0 of the global batch (every rank's shard), differentiable.
    One process: two passes, as tf.moments. Several: one differentiable all-reduce of [Σx, Σx²]
    (global_n, the global batch size, is known to every rank), so a Dice layer costs one collective
    forward and one backward."""
    if not _distributed():
        mean = x.mean(0)
        return mean, ((x - mean) ** 2).mean(0)
    from torch.distributed.nn.functional import all_reduce

    if global_n is None:
        n = torch.tensor([float(x.shape[0])], device=x.device)
        dist.all_reduce(n)
        global_n = float(n.item())
    sums = all_reduce(torch.cat([x.sum(0), (x * x).sum(0)]))
    units = x.shape[1]
    mean = sums[:units] / global_n
    var = torch.clamp(sums[units:] / global_n - mean * mean, min=0.0)
    return mean, var


class Dice(nn.Module):
    def __init__(self, units: int):
        super().__init__()
        self.alpha = nn.Parameter(torch.zeros(units))
        self.register_buffer("moving_mean", torch.zeros(units))
        self.register_buffer("moving_variance", torch.ones(units))
        self.pending: Optional[Tuple[torch.Tensor, torch.Tensor]] = None
        self.global_n: Optional[int] = None  # the global batch size of the current step (DDP)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            mean, var = _global_moments(x, self.global_n)
            self.pending = (mean.detach(), var.detach())
            p = torch.sigmoid((x - mean) / torch.sqrt(var + DICE_EPSILON))
        else:
            # As the repo's exporter writes it (onnx/servingLayers.ts): σ(x·inv + shift), inv and
            # shift folded into constants, so the graph has a Mul and an Add here, no Sub or Div.
            inv = torch.rsqrt(self.moving_variance + DICE_EPSILON)
            p = torch.sigmoid(x * inv + (-self.moving_mean * inv))
        return x * (self.alpha + p * (1 - self.alpha))

    @torch.no_grad()
    def apply_pending(self, momentum: float = DICE_MOMENTUM) -> None:
        if self.pending is not None:
            mean, var = self.pending
            self.moving_mean.mul_(momentum).add_(mean, alpha=1 - momentum)
            self.moving_variance.mul_(momentum).add_(var, alpha=1 - momentum)
            self.pending = None


class PReLU(nn.Module):
    def __init__(self, units: int):
        super().__init__()
        self.alpha = nn.Parameter(torch.full((units,), 0.25))

    def forward(self, x):
        return F.relu(x) + self.alpha * torch.clamp(x, max=0)


class Mlp(nn.Module):
    def __init__(self, inputs: int, hidden: List[int], activation: str, outputs: int = 1):
        super().__init__()
        self.kernels = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.acts = nn.ModuleList()
        fan_in = inputs
        for units in hidden:
            self.kernels.append(glorot_uniform(fan_in, units))
            self.biases.append(nn.Parameter(torch.zeros(units)))
            self.acts.append(Dice(units) if activation == "dice" else PReLU(units))
            fan_in = units
        self.out_kernel = glorot_uniform(fan_in, outputs)
        self.out_bias = nn.Parameter(torch.zeros(outputs))

    def forward(self, x):
        for k, b, act in zip(self.kernels, self.biases, self.acts):
            x = act(x @ k + b)
        return x @ self.out_kernel + self.out_bias


class SharedBottomHead(nn.Module):
    """The repo's shared-bottom multi-task head (layers/multiTask.ts): one shared expert (dense +
    ReLU, 128 units), then a tower per task (ReLU hidden 64 → 1 logit); tasks: click, conversion."""

    def __init__(self, inputs: int, expert_units: int = 128, tower_hidden=(64,), tasks: int = 2):
        super().__init__()
        self.expert_kernel = glorot_uniform(inputs, expert_units)
        self.expert_bias = nn.Parameter(torch.zeros(expert_units))
        self.towers = nn.ModuleList()
        for _ in range(tasks):
            layers = []
            fan_in = expert_units
            for units in tower_hidden:
                layers += [_Dense(fan_in, units), nn.ReLU()]
                fan_in = units
            layers.append(_Dense(fan_in, 1))
            self.towers.append(nn.Sequential(*layers))

    def forward(self, x):
        h = torch.relu(x @ self.expert_kernel + self.expert_bias)
        return torch.cat([t(h) for t in self.towers], -1)  # [N, tasks] logits


class _Dense(nn.Module):
    def __init__(self, fan_in: int, fan_out: int):
        super().__init__()
        self.kernel = glorot_uniform(fan_in, fan_out)
        self.bias = nn.Parameter(torch.zeros(fan_out))

    def forward(self, x):
        return x @ self.kernel + self.bias


class Din(nn.Module):
    def __init__(self, item_count: int, category_count: int, embedding_dim: int = 16, attention_hidden=(16, 8), mlp_hidden=(200, 80), activation: str = "dice", sparse: bool = False, head: str = "mlp"):
        super().__init__()
        self.config = dict(item_count=item_count, category_count=category_count, embedding_dim=embedding_dim, attention_hidden=list(attention_hidden), mlp_hidden=list(mlp_hidden), activation=activation, head=head)
        self.head = head
        D = 2 * embedding_dim
        h1, h2 = attention_hidden
        self.item_emb = nn.Embedding(item_count, embedding_dim, sparse=sparse)
        self.cat_emb = nn.Embedding(category_count, embedding_dim, sparse=sparse)
        nn.init.normal_(self.item_emb.weight, 0.0, 0.05)
        nn.init.normal_(self.cat_emb.weight, 0.0, 0.05)
        self.att_q = glorot_uniform(D, h1)
        self.att_k = glorot_uniform(D, h1)
        self.att_d = glorot_uniform(D, h1)
        self.att_p = glorot_uniform(D, h1)
        self.att_b0 = nn.Parameter(torch.zeros(h1))
        self.att_w1 = glorot_uniform(h1, h2)
        self.att_b1 = nn.Parameter(torch.zeros(h2))
        self.att_out = glorot_uniform(h2, 1)
        self.att_out_b = nn.Parameter(torch.zeros(1))
        if head == "mlp":
            self.mlp = Mlp(2 * D, list(mlp_hidden), activation)
        elif head == "shared-bottom":
            self.mlp = SharedBottomHead(2 * D)
        else:
            raise ValueError(f"unknown head {head}")

    def embed(self, items: torch.Tensor, cats: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.item_emb(items.long()), self.cat_emb(cats.long())], -1)

    def attention(self, q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """q [N, D] and k [N, T, D] (or [1, T, D], broadcast) → masked weights [N, T] (DIN eq. 3)."""
        q_term = (q @ (self.att_q + self.att_d) + self.att_b0).unsqueeze(1)  # [N, 1, h1]
        k_term = k @ (self.att_k - self.att_d)  # [·, T, h1]
        p_term = (q.unsqueeze(1) * k) @ self.att_p  # [N, T, h1]
        a1 = torch.sigmoid(p_term + k_term + q_term)
        a2 = torch.sigmoid(a1 @ self.att_w1 + self.att_b1)
        w = (a2 @ self.att_out + self.att_out_b).squeeze(-1)  # [N, T]
        return w * mask

    def forward(self, hist_item, hist_cat, cand_item, cand_cat, with_attention: bool = False):
        """hist [B, H] and cand [B] → logits [B] ([B, 2]: click, conversion for the multi-task
        head) and, with_attention, the attention weights [B, H]."""
        k = self.embed(hist_item, hist_cat)  # [B, H, D]
        q = self.embed(cand_item, cand_cat)  # [B, D]
        mask = (hist_item != 0).to(k.dtype)
        w = self.attention(q, k, mask)
        pooled = torch.bmm(w.unsqueeze(1), k).squeeze(1)  # [B, D]
        logits = self.mlp(torch.cat([pooled, q], 1))
        logits = logits.squeeze(-1) if self.head == "mlp" else logits
        return (logits, w) if with_attention else logits

    def dice_layers(self) -> List[Dice]:
        return [m for m in self.modules() if isinstance(m, Dice)]

    def set_global_batch(self, n: int) -> None:
        for d in self.dice_layers():
            d.global_n = n

    def apply_state_updates(self) -> None:
        for d in self.dice_layers():
            d.apply_pending()


class ServingDin(nn.Module):
    """The serving signature (contract/manifest.ts, model-export/onnx/servingSignature.ts): ONE history
    hist_item/hist_cat int32 [T] (right-padded with 0) and C candidates cand_item/cand_cat int32 [C]
    → score float32 [C] (probabilities) and attention float32 [C, T] (0 on padding). The history is
    embedded once and broadcast to every candidate inside the graph."""

    def __init__(self, din: Din):
        super().__init__()
        self.din = din.eval()

    def attention(self, q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Din.attention in the factored form of model-export/onnx/exportDin.ts: the q-term once
        per candidate [C, h1], the k-term once per behaviour [T, h1], and W_p·(q⊙k) over every
        (c, t) as ONE product q · K' with K'[d, t·h1] = k[t, d]·W_p[d, ·] — no [C, T, D] tensor."""
        d = self.din
        h1 = d.att_p.shape[1]
        q_term = q @ (d.att_q + d.att_d) + d.att_b0  # [C, h1]
        k_term = k @ (d.att_k - d.att_d)  # [T, h1]
        k_p = (k.t().unsqueeze(2) * d.att_p.unsqueeze(1)).reshape(k.shape[1], -1)  # [D, T·h1]
        p_term = (q @ k_p).reshape(q.shape[0], -1, h1)  # [C, T, h1]
        a1 = torch.sigmoid(p_term + q_term.unsqueeze(1) + k_term)
        a2 = torch.sigmoid(a1 @ d.att_w1 + d.att_b1)
        return (a2 @ d.att_out + d.att_out_b).squeeze(-1) * mask  # [C, T]

    def forward(self, hist_item, hist_cat, cand_item, cand_cat):
        d = self.din
        k = d.embed(hist_item, hist_cat)  # [T, D]
        q = d.embed(cand_item, cand_cat)  # [C, D]
        mask = (hist_item != 0).to(torch.float32)  # [T]
        w = self.attention(q, k, mask)  # [C, T]
        pooled = w @ k  # [C, D]
        logits = d.mlp(torch.cat([pooled, q], 1))
        if d.head == "mlp":
            return torch.sigmoid(logits.squeeze(-1)), w
        ctr, cvr = torch.sigmoid(logits[:, 0]), torch.sigmoid(logits[:, 1])
        return ctr, w, ctr, cvr, ctr * cvr  # score = pCTR; ctr, cvr, ctcvr (ESMM)


def checkpoint_dict(model: Din, vocab_json: dict, extra: Dict) -> dict:
    return {"format": "interest-edge-torch/1", "model": "din", "config": model.config, "state_dict": model.state_dict(), "vocab": vocab_json, **extra}


def load_checkpoint(path: str) -> Tuple[Din, dict]:
    ck = torch.load(path, map_location="cpu")
    c = ck["config"]
    model = Din(c["item_count"], c["category_count"], c["embedding_dim"], tuple(c["attention_hidden"]), tuple(c["mlp_hidden"]), c["activation"], head=c.get("head", "mlp"))
    model.load_state_dict(ck["state_dict"])
    model.eval()
    return model, ck
