"""A port of seedrandom 3 (David Bau, MIT licence) — the ARC4 generator `seedrandom(seed)()` of
the npm package the Node pipeline uses — so the `next` protocol's negatives and the epoch shuffles
are the same draws as in model-export/ (samples/protocols.ts, train/fit.ts).

Only string seeds (what the repo passes) are supported.
"""

_WIDTH = 256
_MASK = 255
_CHUNKS = 6
_STARTDENOM = _WIDTH**_CHUNKS  # 2^48
_SIGNIFICANCE = 2**52
_OVERFLOW = 2**53


def _to_int32(x: int) -> int:
    x &= 0xFFFFFFFF
    return x - 0x100000000 if x & 0x80000000 else x


def _mixkey(seed: str, key: list) -> None:
    """seedrandom's mixkey: `smear ^= key[j] * 19` with undefined → 0, on UTF-16 code units."""
    units = seed.encode("utf-16-le")
    codes = [units[i] | (units[i + 1] << 8) for i in range(0, len(units), 2)]
    smear = 0
    for j, code in enumerate(codes):
        idx = _MASK & j
        while len(key) <= idx:
            key.append(None)
        prev = key[idx]
        smear = _to_int32(smear ^ ((prev if prev is not None else 0) * 19)) if prev is not None else _to_int32(smear ^ 0)
        key[idx] = _MASK & (smear + code)


class SeedRandom:
    """`seedrandom(seed)`: call the instance for a double in [0, 1)."""

    __slots__ = ("_s", "_i", "_j")

    def __init__(self, seed: str):
        key: list = []
        _mixkey(str(seed), key)
        key = [k if k is not None else 0 for k in key]
        keylen = len(key)
        if keylen == 0:
            key = [0]
            keylen = 1
        s = list(range(_WIDTH))
        j = 0
        for i in range(_WIDTH):
            t = s[i]
            j = _MASK & (j + key[i % keylen] + t)
            s[i] = s[j]
            s[j] = t
        self._s = s
        self._i = 0
        self._j = 0
        self._g(_WIDTH)  # RC4-drop[256]

    def _g(self, count: int) -> int:
        s = self._s
        i = self._i
        j = self._j
        r = 0
        for _ in range(count):
            i = (i + 1) & 255
            t = s[i]
            j = (j + t) & 255
            s[i] = s[j]
            s[j] = t
            r = r * 256 + s[(s[i] + t) & 255]
        self._i = i
        self._j = j
        return r

    def __call__(self) -> float:
        n = self._g(_CHUNKS)
        d = _STARTDENOM
        x = 0
        while n < _SIGNIFICANCE:
            n = (n + x) * _WIDTH
            d *= _WIDTH
            x = self._g(1)
        while n >= _OVERFLOW:
            n //= 2  # n is a multiple of 256 here: exact, as JS's n /= 2
            d //= 2
            x >>= 1
        return (n + x) / d
