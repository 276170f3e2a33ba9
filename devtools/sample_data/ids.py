"""Thai tax IDs and community-enterprise codes, generated vectorised and globally unique.

Tax ID: 13 digits, check digit = (11 - sum(d_i * (13 - i), i = 0..11) mod 11) mod 10.
Juristic persons start with 0 (second digit never 0, so a lost leading zero leaves exactly
12 digits); natural persons start with 1..8.
Community-enterprise code: R-PP-AA-TT/N-NNNN (12 digits, PP = province code).
"""

from __future__ import annotations

import numpy as np
import polars as pl

WEIGHTS = np.arange(13, 1, -1, dtype=np.int64)  # 13..2
POW10 = 10 ** np.arange(12, -1, -1, dtype=np.int64)  # digit i of a 13-digit number = (x // POW10[i]) % 10


def digits(ids: np.ndarray, n: int = 13) -> np.ndarray:
    """(len, n) digit matrix of non-negative integers."""
    p = 10 ** np.arange(n - 1, -1, -1, dtype=np.int64)
    return (ids[:, None] // p[None, :]) % 10


def check_digit_of_body(body12: np.ndarray) -> np.ndarray:
    """body12: integers holding the first 12 digits; returns the check digit."""
    d = digits(body12, 12)
    s = (d * WEIGHTS[None, :]).sum(axis=1)
    return (11 - s % 11) % 10


def is_valid(ids: np.ndarray) -> np.ndarray:
    return check_digit_of_body(ids // 10) == ids % 10


class IdRegistry:
    """Hands out tax IDs and CE codes that were never handed out before (whole run).

    Tax IDs of call k carry k in the two digits before the check digit, so IDs of
    different calls can never collide and only need de-duplicating within the call."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.calls = 0
        self.used_ce: list[np.ndarray] = []

    def _next_call(self) -> int:
        k = self.calls
        self.calls += 1
        assert k < 100, "too many ID calls"
        return k

    @staticmethod
    def _unique(make, n: int) -> np.ndarray:
        out = np.empty(0, dtype=np.int64)
        while out.size < n:
            cand = np.concatenate([out, make(int((n - out.size) * 1.1) + 8)])
            _, first = np.unique(cand, return_index=True)
            out = cand[np.sort(first)][:n]
        return out

    def juristic(self, n: int, partnership: np.ndarray | None = None) -> np.ndarray:
        """0 d1 d2 T YY SSSSSS C; T = 5 company, 3 partnership; d1 in 1..9."""
        rng = self.rng
        call = self._next_call()
        partnership = np.zeros(n, dtype=bool) if partnership is None else np.asarray(partnership, dtype=bool)
        out = np.empty(n, dtype=np.int64)
        for flag in (False, True):
            idx = np.flatnonzero(partnership == flag)
            if not idx.size:
                continue
            kind = 3 if flag else 5

            def make(m, kind=kind):
                d1 = rng.integers(1, 10, m)
                d2 = rng.integers(0, 10, m)
                yy = rng.integers(35, 64, m)
                seq = rng.integers(0, 10_000, m) * 100 + call
                body = (((d1 * 10 + d2) * 10 + kind) * 100 + yy) * 1_000_000 + seq
                return body * 10 + check_digit_of_body(body)

            out[idx] = self._unique(make, idx.size)
        return out

    def personal(self, n: int) -> np.ndarray:
        rng = self.rng
        call = self._next_call()

        def make(m):
            first = np.where(rng.random(m) < 0.7, 1, 3)
            rest = rng.integers(0, 10**9, m) * 100 + call
            body = first * 10**11 + rest
            return body * 10 + check_digit_of_body(body)

        return self._unique(make, n)

    def ce_codes(self, province_code: np.ndarray, region_digit: np.ndarray) -> np.ndarray:
        """12-digit integers R PP AA TT N NNNN for the given provinces (unique)."""
        rng = self.rng
        n = province_code.size
        out = np.empty(n, dtype=np.int64)
        prior = np.concatenate(self.used_ce) if self.used_ce else np.empty(0, dtype=np.int64)
        todo = np.arange(n)
        while todo.size:
            m = todo.size
            aa = rng.integers(1, 21, m)
            tt = rng.integers(1, 16, m)
            nn = rng.integers(1, 3, m)
            seq = rng.integers(1, 10_000, m)
            code = ((((region_digit[todo] * 100 + province_code[todo]) * 100 + aa) * 100 + tt) * 10 + nn) * 10_000 + seq
            out[todo] = code
            taken = np.isin(out, prior)
            _, first = np.unique(out, return_index=True)
            dup = np.ones(n, dtype=bool)
            dup[first] = False
            bad = taken | dup
            todo = np.flatnonzero(bad)
        self.used_ce.append(out)
        return out


def ce_formatted(codes: np.ndarray) -> pl.Series:
    """R-PP-AA-TT/N-NNNN"""
    s = pl.Series(codes, dtype=pl.Int64).cast(pl.String).str.zfill(12)
    df = pl.DataFrame({"s": s})
    return df.select(
        pl.format(
            "{}-{}-{}-{}/{}-{}",
            pl.col("s").str.slice(0, 1),
            pl.col("s").str.slice(1, 2),
            pl.col("s").str.slice(3, 2),
            pl.col("s").str.slice(5, 2),
            pl.col("s").str.slice(7, 1),
            pl.col("s").str.slice(8, 4),
        )
    ).to_series()


def checksum_typo(ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Change one digit (positions 3..11) so that the check digit no longer validates."""
    out = ids.copy()
    todo = np.arange(ids.size)
    while todo.size:
        pos = rng.integers(3, 12, todo.size)
        p = POW10[pos]
        old = (ids[todo] // p) % 10
        new = (old + rng.integers(1, 10, todo.size)) % 10
        out[todo] = ids[todo] + (new - old) * p
        todo = todo[is_valid(out[todo])]
    return out
