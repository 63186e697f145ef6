"""Values that wait on disk between stages: written a bundle's file at a time, read back."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.features import TermVector
from pipeline.spill import Spilled, SpillReader, SpillWriter


def test_spilled_values_are_read_back_in_any_order(tmp_path):
    values = [
        TermVector(np.array([1, 5, 9], dtype=np.uint32), np.array([0.5, 0.25, 0.75], dtype=np.float32)),
        ("a tuple", 3, None),
        b"",
        "é" * 1000,
    ]
    writer = SpillWriter(str(tmp_path / "folder"), "values")
    spilled = [writer.write(value) for value in values]
    writer.close()
    assert all(isinstance(where, Spilled) for where in spilled)
    assert len({where.path for where in spilled}) == 1  # one file for the bundle
    assert [where.offset for where in spilled] == [0, *np.cumsum([where.length for where in spilled])[:-1]]
    files = list((tmp_path / "folder").glob("*.values"))
    assert [str(path) for path in files] == [spilled[0].path]
    assert files[0].stat().st_size == sum(where.length for where in spilled)
    reader = SpillReader()
    for value, where in reversed(list(zip(values, spilled, strict=True))):
        read = reader.read(where)
        if isinstance(value, TermVector):
            assert np.array_equal(read.ids, value.ids) and np.array_equal(read.weights, value.weights)
        else:
            assert read == value
    reader.close()


def test_a_writer_without_values_makes_no_file_and_a_second_bundle_a_new_one(tmp_path):
    writer = SpillWriter(str(tmp_path), "values")
    writer.close()
    assert list(tmp_path.iterdir()) == []
    first = writer.write(1)
    writer.close()
    second = writer.write(2)
    writer.close()
    assert first.path != second.path and second.offset == 0
    assert SpillReader().read(second) == 2


def test_a_spilled_value_whose_file_is_gone_fails_loudly(tmp_path):
    writer = SpillWriter(str(tmp_path), "values")
    spilled = writer.write("x")
    writer.close()
    (tmp_path / spilled.path.rsplit("/", 1)[1]).unlink()
    with pytest.raises(OSError):
        SpillReader().read(spilled)
