from __future__ import annotations

import re

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
        ("input.max_field_chars=0", "input.max_field_chars: must be a positive number of characters"),
        # The orders are named, not guessed from a pattern.
        ("input.date_order=dmy", "input.date_order: must be one of unknown, month_first, day_first .*'dmy'"),
        ("input.date_order=Day_First", "input.date_order: must be one of unknown, month_first, day_first"),
        ("lsh.threshold=1.5", "lsh.threshold"),
        ("features.kinds=word,emoji", "unknown kind"),
        ("features.kinds=word,name,word", "features.kinds: names word more than once"),
        ("features.df_buckets=1000", "power of two"),
        ("sentences.representative=random", "sentences.representative"),
        ("sentences.context_window=-1", "sentences.context_window"),
        ("sentences.context_window=9", "sentences.context_window"),
        ("sentences.story_weights=maybe", "sentences.story_weights"),
        ("cluster.threshold=0.01", "at least verify.min_score"),
        ("lsh.num_perm=many", "expected int"),
        # Out of range for what uses them, not only for the meaning.
        ("lsh.seed=4294967296", "lsh.seed: must be between 0 and 4294967295"),
        ("lsh.seed=-1", "lsh.seed"),
        ("features.df_buckets=8589934592", "features.df_buckets"),
        # 2**32 buckets are 16 GiB in every worker's side input: refused, not out of memory mid-run.
        ("features.df_buckets=4294967296", "df_buckets: must be a power of two from 1024 to 67108864"),
        ("verify.copy_score=0.2", r"verify.copy_score: must be between verify.certain_score \(0.3\) and 1"),
        ("verify.copy_score=1.5", "verify.copy_score"),
        ("verify.max_days_apart=inf", "verify.max_days_apart"),
        ("verify.max_days_apart=nan", "verify.max_days_apart"),
        ("output.row_group_size=9223372036854775808", "output.row_group_size"),
        ("output.num_shards=100000", "output.num_shards"),
        ("nosuch.key=1", "unknown section"),
        ("lsh.nosuch=1", "unknown setting"),
        ("justakey", "section.key=value"),
    ],
)
def test_invalid_values_name_the_setting(override, message):
    with pytest.raises(ConfigError, match=message):
        config.load(overrides=[override])


@pytest.mark.parametrize("order", ["unknown", "month_first", "day_first"])
def test_each_date_order_is_valid(order):
    assert config.load(overrides=[f"input.date_order={order}"]).input.date_order == order


def test_the_largest_seed_is_valid():
    assert config.load(overrides=["lsh.seed=4294967295"]).lsh.seed == 2**32 - 1


def test_set_errors_name_set_and_file_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError) as error:
        config.load(overrides=["lsh.seed=-1"])
    assert str(error.value).startswith("--set: lsh.seed:")
    assert str(config.DEFAULT_CONFIG_PATH) not in str(error.value)
    with pytest.raises(ConfigError, match=r"^--set: cluster.threshold: must be at least verify.min_score"):
        config.load(overrides=["verify.min_score=0.2"])  # a cross-check the override broke
    with pytest.raises(ConfigError, match=r"^--set 'justakey': expected section.key=value"):
        config.load(overrides=["justakey"])
    with pytest.raises(ConfigError, match=r"^--set: nosuch: unknown section"):
        config.load(overrides=["nosuch.key=1"])
    bad_file = tmp_path / "bad.toml"
    bad_file.write_text("[lsh]\nseed = -1\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(bad_file))}: lsh.seed:"):
        config.load(bad_file, overrides=["cluster.threshold=0.2"])
    with pytest.raises(ConfigError, match=r"^--set: features.kinds"):
        config.load(bad_file, overrides=["features.kinds=emoji"])
    assert config.load(bad_file, overrides=["lsh.seed=3"]).lsh.seed == 3  # --set can mend a file


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"lsh = 5\n", "lsh: expected a table of settings"),
        (b'[features]\nkinds = [["word"]]\n', "features.kinds: expected a list of strings"),
        (b"[features]\nkinds = [1, 2]\n", "features.kinds: expected a list of strings"),
        (b'[sentences]\nrepresentative = "m\xe9doid"\n', "line 2: not valid UTF-8"),
        # An integer past any float, for a float setting: out of range, not an OverflowError.
        (b"[verify]\nmax_days_apart = 1" + b"0" * 400 + b"\n", "verify.max_days_apart: must be a positive"),
        (b"[lsh]\nthreshold = -1" + b"0" * 400 + b"\n", "lsh.threshold: must be strictly between"),
        # More digits than Python converts: tomllib raises a plain ValueError.
        (b"[lsh]\nnum_perm = 1" + b"0" * 5000 + b"\n", "not valid TOML"),
    ],
    ids=[
        "scalar-section",
        "nested-list",
        "list-of-numbers",
        "latin-1",
        "huge-int",
        "huge-negative",
        "too-many-digits",
    ],
)
def test_bad_files_are_config_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: {message}"):
        config.load(path, overrides=["lsh.seed=2"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[cluster]\nthreshold = "0.2"\n', "cluster.threshold: expected float, got the string '0.2'"),
        ('[lsh]\nnum_perm = "64"\n', "lsh.num_perm: expected int, got the string '64'"),
        ('[sentences]\nstory_weights = "false"\n', "sentences.story_weights: expected true or false, got"),
        ('[features]\nkinds = "word,name"\n', "features.kinds: expected a list of strings, got 'word,name'"),
        ("[lsh]\nnum_perm = 64.0\n", "lsh.num_perm: expected int, got 64.0"),
        ("[sentences]\nrepresentative = 1\n", "sentences.representative: expected str, got 1"),
    ],
    ids=["float", "int", "bool", "list", "float-for-int", "int-for-str"],
)
def test_a_file_value_of_another_type_is_refused_not_converted(tmp_path, content, message):
    """A file's values are typed by TOML: a quoted number was read as the number, so a file
    that says something else than what runs passed without a word."""
    path = tmp_path / "typed.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: {re.escape(message)}"):
        config.load(path)
    # The command line has only text: there it is read as the setting's type.
    assert config.load(overrides=["lsh.num_perm=64", "sentences.story_weights=false"]).lsh.num_perm == 64
    assert config.load(overrides=["sentences.representative=longest"]).sentences.representative == "longest"


def test_a_set_text_value_is_trimmed_as_a_number_is_and_a_refusal_repeats_it(tmp_path):
    """`--set output.compression= zstd` (a space after `=`, as shells make easy) was refused
    with "must be one of [...]", without the value given, where a number's spaces were trimmed."""
    loaded = config.load(
        overrides=["output.compression= zstd", "sentences.representative=longest ", "lsh.seed= 7"]
    )
    assert (loaded.output.compression, loaded.sentences.representative, loaded.lsh.seed) == (
        "zstd",
        "longest",
        7,
    )
    compressions = "['gzip', 'none', 'snappy', 'zstd']"
    with pytest.raises(
        ConfigError,
        match=rf"^--set: output.compression: must be one of {re.escape(compressions)}, got 'Zstd'$",
    ):
        config.load(overrides=["output.compression=Zstd"])
    # A file's value is a TOML string, spaces and all: refused, showing them.
    path = tmp_path / "spaced.toml"
    path.write_text('[sentences]\nrepresentative = " medoid"\n', encoding="utf-8")
    rules = "['earliest', 'longest', 'medoid']"
    with pytest.raises(
        ConfigError, match=re.escape(f"representative: must be one of {rules}, got ' medoid'")
    ):
        config.load(path)


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path):
    """Notepad's "UTF-8 with BOM": the file was 'not valid TOML (Invalid statement (at line 1,
    column 1))', with nothing to see there."""
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf[lsh]\nseed = 7\n")
    assert config.load(path).lsh.seed == 7
    path.write_bytes(b"\xef\xbb\xbf[lsh]\n\nseed = '\xe9'\n")
    with pytest.raises(ConfigError, match="line 3: not valid UTF-8"):
        config.load(path)


def test_a_folder_is_no_config_file(tmp_path):
    with pytest.raises(ConfigError, match=rf"^cannot read config file {re.escape(str(tmp_path))}: "):
        config.load(tmp_path)


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


def test_an_installed_package_without_the_configs_folder_uses_the_same_defaults(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "DEFAULT_CONFIG_PATH", tmp_path / "configs" / "default.toml")
    assert config.load() == Config()
    assert config.load(overrides=["lsh.seed=7"]).lsh.seed == 7
    with pytest.raises(ConfigError, match="config file not found"):
        config.load(tmp_path / "mine.toml")  # a file the user names must exist
