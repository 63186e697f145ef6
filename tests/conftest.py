"""Shared test helpers: an in-process Beam test pipeline and the repository's paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing import test_pipeline

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


def beam_test_pipeline() -> test_pipeline.TestPipeline:
    """A TestPipeline on the in-process runner (the default DirectRunner tries a download)."""
    return test_pipeline.TestPipeline(options=PipelineOptions(["--runner=FnApiRunner"]))


@pytest.fixture
def pipeline():
    return beam_test_pipeline()
