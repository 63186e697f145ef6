from __future__ import annotations

import pytest

from pipeline import config
from pipeline.config import Config, ConfigError


def test_default_file_loads_and_matches_dataclass_defaults_where_documented():
    loaded = config.load()
    assert loaded.lsh.num_perm == 128
    assert loaded.cluster.threshold >= loaded.verify.min_score
    assert loaded.to_dict()["features"]["kinds"] == ("word", "name", "pair")


def test_the_default_file_and_the_dataclass_defaults_agree():
    # A library user building Config() gets the same pipeline as the command line.
    assert config.load() == Config()


def test_overrides_are_typed():
    loaded = config.load(
        overrides=[
            "cluster.threshold=0.3",
            "features.kinds=word,name",
            "lsh.seed=7",
            "sentences.story_weights=false",
            "sentences.context_window=0",
        ]
    )
    assert loaded.sentences.story_weights is False and loaded.sentences.context_window == 0
    assert loaded.cluster.threshold == 0.3
    assert loaded.features.kinds == ("word", "name")
    assert loaded.lsh.seed == 7


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("lsh.num_perm=1", "lsh.num_perm"),
        ("lsh.threshold=1.5", "lsh.threshold"),
        ("features.kinds=word,emoji", "unknown kind"),
        ("features.df_buckets=1000", "power of two"),
        ("sentences.representative=random", "sentences.representative"),
        ("sentences.context_window=-1", "sentences.context_window"),
        ("sentences.context_window=9", "sentences.context_window"),
        ("sentences.story_weights=maybe", "sentences.story_weights"),
        ("cluster.threshold=0.01", "at least verify.min_score"),
        ("lsh.num_perm=many", "expected int"),
        ("nosuch.key=1", "unknown section"),
        ("lsh.nosuch=1", "unknown setting"),
        ("justakey", "section.key=value"),
    ],
)
def test_invalid_values_name_the_setting(override, message):
    with pytest.raises(ConfigError, match=message):
        config.load(overrides=[override])


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        config.load(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[lsh\nnum_perm = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(bad)


def test_config_is_frozen_and_validates_on_construction():
    with pytest.raises(ConfigError):
        Config(lsh=config.LshConfig(num_perm=0))
    with pytest.raises(AttributeError):
        Config().lsh.num_perm = 3  # type: ignore[misc]
