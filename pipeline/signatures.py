"""MinHash signatures computed for many articles at once, identical to datasketch's.

``datasketch.MinHash(num_perm, seed).update_batch(tokens)`` hashes each token with SHA-1
(32 bits) and applies ``num_perm`` hash permutations. Its default scheme since 2.0,
``affine32``, pre-mixes the hash with the MurmurHash3 finalizer and computes
``a * h + b mod 2**32``; the older ``legacy`` scheme computes ``(a * h + b) mod (2**61 - 1)``
truncated to 32 bits. Doing that per article costs one NumPy call per article; here the
tokens of a whole batch of articles go through one matrix operation and are reduced per
article with ``np.minimum.reduceat``. The permutations are taken from datasketch itself,
so the values are the same bit for bit, for either scheme.

Example:
    >>> hasher = BatchMinHasher(num_perm=4, seed=1)
    >>> sig = hasher.signatures([["a", "b"], ["b", "c"]])
    >>> sig.shape
    (2, 4)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from datasketch import MinHash
from datasketch.hashfunc import sha1_hash32

_MERSENNE_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH_32 = (1 << 32) - 1
SCHEMES = ("affine32", "legacy")
# Rows of the (tokens x permutations) matrix handled per NumPy call, to bound memory.
_CHUNK_TOKENS = 4096


class BatchMinHasher:
    """Computes datasketch-compatible MinHash signatures for batches of token sets."""

    def __init__(self, num_perm: int, seed: int, scheme: str = "affine32") -> None:
        if num_perm < 2:
            raise ValueError(f"num_perm must be at least 2, got {num_perm}")
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
        reference = MinHash(num_perm=num_perm, seed=seed, scheme=scheme)
        self.num_perm = num_perm
        self.seed = seed
        self.scheme = scheme
        self._dtype = np.uint32 if scheme == "affine32" else np.uint64
        a, b = reference.permutations
        self._a = np.asarray(a, dtype=self._dtype)
        self._b = np.asarray(b, dtype=self._dtype)

    def _permute(self, hashes: np.ndarray) -> np.ndarray:
        """(tokens, 1) raw 32-bit hashes -> (tokens, num_perm) permuted hashes."""
        if self.scheme == "legacy":
            return np.bitwise_and((hashes * self._a + self._b) % _MERSENNE_PRIME, np.uint64(_MAX_HASH_32))
        mixed = _fmix32(hashes)
        with np.errstate(over="ignore"):
            return mixed * self._a + self._b  # uint32 wraparound is the intended mod 2**32

    def signatures(self, token_sets: Sequence[Sequence[str]]) -> np.ndarray:
        """Returns a (len(token_sets), num_perm) array; empty sets get the maximum hash."""
        result = np.full((len(token_sets), self.num_perm), _MAX_HASH_32, dtype=self._dtype)
        lengths = np.fromiter((len(tokens) for tokens in token_sets), dtype=np.int64, count=len(token_sets))
        if lengths.sum() == 0:
            return result
        hashes = np.fromiter(
            (sha1_hash32(token.encode("utf-8")) for tokens in token_sets for token in tokens),
            dtype=self._dtype,
            count=int(lengths.sum()),
        )
        owners = np.repeat(np.arange(len(token_sets)), lengths)
        for start in range(0, len(hashes), _CHUNK_TOKENS):
            chunk = hashes[start : start + _CHUNK_TOKENS, None]
            permuted = self._permute(chunk)
            chunk_owners = owners[start : start + _CHUNK_TOKENS]
            # Rows are grouped by owner, so reduceat over the first row of each owner works.
            firsts = np.flatnonzero(np.r_[True, chunk_owners[1:] != chunk_owners[:-1]])
            minima = np.minimum.reduceat(permuted, firsts, axis=0)
            rows = chunk_owners[firsts]
            result[rows] = np.minimum(result[rows], minima)
        return result


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before the affine step."""
    values = values ^ (values >> np.uint32(16))
    with np.errstate(over="ignore"):
        values = values * np.uint32(0x85EBCA6B)
        values = values ^ (values >> np.uint32(13))
        values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))
