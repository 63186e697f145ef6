"""MinHash signatures computed for many articles at once, identical to datasketch's.

``datasketch.MinHash(num_perm, seed).update_batch(tokens)`` hashes each token with SHA-1
(32 bits) and applies ``num_perm`` universal hash functions ``(a * h + b) mod p``. Doing that
per article costs one NumPy call per article; here the tokens of a whole batch of articles
are hashed in one matrix operation and reduced per article with ``np.minimum.reduceat``.
The permutations are taken from datasketch itself, so the values are the same bit for bit.

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
_MAX_HASH = np.uint64((1 << 32) - 1)
# Rows of the (tokens x permutations) matrix handled per NumPy call, to bound memory.
_CHUNK_TOKENS = 4096


class BatchMinHasher:
    """Computes datasketch-compatible MinHash signatures for batches of token sets."""

    def __init__(self, num_perm: int, seed: int) -> None:
        if num_perm < 2:
            raise ValueError(f"num_perm must be at least 2, got {num_perm}")
        reference = MinHash(num_perm=num_perm, seed=seed)
        a, b = reference.permutations
        self.num_perm = num_perm
        self.seed = seed
        self._a = np.asarray(a, dtype=np.uint64)
        self._b = np.asarray(b, dtype=np.uint64)

    def signatures(self, token_sets: Sequence[Sequence[str]]) -> np.ndarray:
        """Returns a (len(token_sets), num_perm) uint64 array; empty sets get the max hash."""
        result = np.full((len(token_sets), self.num_perm), _MAX_HASH, dtype=np.uint64)
        lengths = np.fromiter((len(tokens) for tokens in token_sets), dtype=np.int64, count=len(token_sets))
        if lengths.sum() == 0:
            return result
        hashes = np.fromiter(
            (sha1_hash32(token.encode("utf-8")) for tokens in token_sets for token in tokens),
            dtype=np.uint64,
            count=int(lengths.sum()),
        )
        owners = np.repeat(np.arange(len(token_sets)), lengths)
        for start in range(0, len(hashes), _CHUNK_TOKENS):
            chunk = hashes[start : start + _CHUNK_TOKENS, None]
            permuted = np.bitwise_and((chunk * self._a + self._b) % _MERSENNE_PRIME, _MAX_HASH)
            chunk_owners = owners[start : start + _CHUNK_TOKENS]
            # Rows are grouped by owner, so reduceat over the first row of each owner works.
            firsts = np.flatnonzero(np.r_[True, chunk_owners[1:] != chunk_owners[:-1]])
            minima = np.minimum.reduceat(permuted, firsts, axis=0)
            rows = chunk_owners[firsts]
            result[rows] = np.minimum(result[rows], minima)
        return result
