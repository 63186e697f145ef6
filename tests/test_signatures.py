from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash

from pipeline.signatures import BatchMinHasher

TOKEN_SETS = [["trump", "ukrain", "troop"], [], ["single"], [f"t{i}" for i in range(5000)], ["troop", "nato"]]


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_batch_signatures_equal_datasketch(scheme):
    hasher = BatchMinHasher(num_perm=128, seed=3, scheme=scheme)
    signatures = hasher.signatures(TOKEN_SETS)
    for tokens, signature in zip(TOKEN_SETS, signatures, strict=True):
        reference = MinHash(num_perm=128, seed=3, scheme=scheme)
        reference.update_batch([token.encode("utf-8") for token in tokens])
        np.testing.assert_array_equal(signature, reference.hashvalues)


def test_default_matches_datasketch_default_scheme():
    reference = MinHash(num_perm=16, seed=1)
    reference.update_batch([b"a", b"b"])
    np.testing.assert_array_equal(BatchMinHasher(16, 1).signatures([["a", "b"]])[0], reference.hashvalues)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="num_perm"):
        BatchMinHasher(1, 1)
    with pytest.raises(ValueError, match="scheme"):
        BatchMinHasher(8, 1, scheme="affine64")
