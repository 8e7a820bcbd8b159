"""Go's math/rand (v1) and big.Int.Rand, exactly, for calico-ipam's block choice.

Calico seeds `rand.New(rand.NewSource(fnv32(node)))` and draws `big.Int.Rand(r, numBlocks)`
(ipam_block_reader_writer.go randomBlockGenerator), so a node's first block follows from its
name. Go's source is an additive lagged Fibonacci generator (x[n] = x[n-607] + x[n-273] mod
2^64) whose seeding XORs a table, rngCooked: the generator's own state after 7.8e12 steps from
srand(1) (math/rand/gen_cooked.go). That state is computed here, not copied: the step is linear,
so 7.8e12 steps are x^N modulo the recurrence's polynomial, by squaring (0.2 s, once).
"""

from __future__ import annotations

from functools import cache

LEN, TAP = 607, 273
M64 = (1 << 64) - 1
INT32MAX = (1 << 31) - 1
COOKED_STEPS = 7_800_000_000_000
_SLOT = 140  # bits per coefficient when a polynomial is packed into one integer


def _seedrand(x: int) -> int:
    """x[n+1] = 48271 * x[n] mod (2^31 - 1), Schrage's way, as Go computes it."""
    hi, lo = divmod(x, 44488)
    x = 48271 * lo - 3399 * hi
    return x + INT32MAX if x < 0 else x


def _fill(seed: int, shift: tuple[int, int]) -> list[int]:
    x, out = seed, [0] * LEN
    for i in range(-20, LEN):
        x = _seedrand(x)
        if i >= 0:
            u = x << shift[0]
            x = _seedrand(x)
            u ^= x << shift[1]
            x = _seedrand(x)
            out[i] = (u ^ x) & M64
    return out


def _mul(a: list[int], b: list[int]) -> list[int]:
    """Polynomial product (Kronecker substitution: one big-integer multiplication)."""
    pa = sum(c << (_SLOT * i) for i, c in enumerate(a))
    pb = pa if a is b else sum(c << (_SLOT * i) for i, c in enumerate(b))
    p, mask = pa * pb, (1 << _SLOT) - 1
    return [(p >> (_SLOT * i)) & mask for i in range(len(a) + len(b) - 1)]


def _reduce(c: list[int]) -> list[int]:
    """Modulo x^607 - x^334 - 1: x^d = x^(d-273) + x^(d-607)."""
    c = c + [0] * max(0, LEN - len(c))
    for d in range(len(c) - 1, LEN - 1, -1):
        if c[d]:
            c[d - LEN] += c[d]
            c[d - TAP] += c[d]
    return [x & M64 for x in c[:LEN]]


@cache
def cooked() -> tuple[int, ...]:
    """rngCooked (as uint64): gen_cooked.go's vector after COOKED_STEPS calls."""
    vec = _fill(1, (20, 10))  # gen_cooked's srand(1)
    # the outputs y_k = y_{k-607} + y_{k-273}; y_j (j <= 0) is the slot step j would feed
    z = [vec[(LEN - TAP - j) % LEN] for j in range(-(LEN - 1), 1)]
    result, base, n = [1] + [0] * (LEN - 1), [0, 1] + [0] * (LEN - 2), COOKED_STEPS
    while n:
        if n & 1:
            result = _reduce(_mul(result, base))
        n >>= 1
        if n:
            base = _reduce(_mul(base, base))
    out = [0] * LEN
    for k in range(LEN):
        j = COOKED_STEPS - (LEN - 1) + k
        out[(LEN - TAP - j) % LEN] = sum(a * b for a, b in zip(result, z, strict=True)) & M64
        top = result.pop()  # times x, reduced
        result = [top, *result]
        result[LEN - TAP] += top
        result = [x & M64 for x in result]
    return tuple(out)


class Rand:
    """rand.New(rand.NewSource(seed)): Uint64, Int63, Uint32 as Go's rngSource gives them."""

    def __init__(self, seed: int):
        seed %= INT32MAX  # Go's % truncates; the seeds here are never negative
        if seed == 0:
            seed = 89482311
        table = cooked()
        self.vec = [v ^ c for v, c in zip(_fill(seed, (40, 20)), table, strict=True)]
        self.tap, self.feed = 0, LEN - TAP

    def uint64(self) -> int:
        self.tap = (self.tap - 1) % LEN
        self.feed = (self.feed - 1) % LEN
        x = (self.vec[self.feed] + self.vec[self.tap]) & M64
        self.vec[self.feed] = x
        return x

    def int63(self) -> int:
        return self.uint64() & ((1 << 63) - 1)

    def uint32(self) -> int:
        return self.int63() >> 31


def big_rand(r: Rand, limit: int) -> int:
    """big.Int.Rand(r, limit) on a 64-bit machine (nat.random): 64-bit words of two Uint32
    each, the top word masked to limit's bit length, drawn again until below limit."""
    if limit <= 0:
        return 0
    words = (limit.bit_length() + 63) // 64
    top_bits = limit.bit_length() % 64 or 64
    while True:
        z = 0
        for i in range(words):
            word = r.uint32() | (r.uint32() << 32)
            if i == words - 1:
                word &= (1 << top_bits) - 1
            z |= word << (64 * i)
        if z < limit:
            return z


def fnv32(text: str) -> int:
    """hash/fnv New32 (FNV-1, not 1a)."""
    h = 2166136261
    for b in text.encode():
        h = (h * 16777619) & 0xFFFFFFFF
        h ^= b
    return h
