"""The one frozen, validated configuration shared by every stage.

A config is loaded from a TOML file (``configs/default.toml`` by default) with the standard
library's ``tomllib``, which only parses data: no input can run code; its values must have
the setting's type (a quoted ``"0.2"`` is a string, refused where a number is expected).
Command-line flags override single values with ``--set section.key=value``, whose text is
read as the setting's type, without the spaces around it; each setting at most once. Every
value is checked when the config is built, so a bad value fails before any pipeline starts,
with a message that says what to change.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "configs" / "default.toml"


class ConfigError(ValueError):
    """A configuration value is missing, unknown or out of range.

    ``key`` is the setting (``section.key``) or section the message is about, if any.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


# input.date_order: which of a date's first two numbers is the month when both are digits
# before the year (01/05/2024): unknown (such dates are left unread), or as the inputs write it.
DATE_ORDERS = ("unknown", "month_first", "day_first")
# What a command says where it counts dates it could not read with the order unknown.
DATE_ORDER_HINT = "01/05/2024 is read with --set input.date_order=day_first or month_first"


@dataclass(frozen=True)
class InputConfig:
    max_chars: int = 1_000_000
    min_words: int = 1
    # Of an id, outlet, title or url: about the longest URL web servers take (8 KB request lines).
    max_field_chars: int = 8_192
    date_order: str = "unknown"


@dataclass(frozen=True)
class ColumnConfig:
    """Each field's name in the inputs: a JSON Lines key, a Parquet or CSV column, a .txt
    file's sidecar key (``text = "content"`` reads an export whose texts are in ``content``)."""

    id: str = "id"
    text: str = "text"
    outlet: str = "outlet"
    title: str = "title"
    published_at: str = "published_at"
    url: str = "url"
    # A labelled record's true story (``storymatch eval``).
    story: str = "story"


@dataclass(frozen=True)
class FeatureConfig:
    # Word unigrams (stemmed content words), capitalised names and adjacent content-word pairs.
    kinds: tuple[str, ...] = ("word", "name", "pair")
    salient_terms: int = 30
    df_buckets: int = 1 << 22
    # A term in at most this many articles (of the run and the runs of state.frequency_days
    # before it) is a *detail* (see verify.min_shared_details).
    detail_max_df: int = 5


@dataclass(frozen=True)
class LshConfig:
    num_perm: int = 128
    threshold: float = 0.01
    seed: int = 1
    bucket_cap: int = 500


@dataclass(frozen=True)
class VerifyConfig:
    min_score: float = 0.12
    max_days_apart: float = 7.0
    # A pair must share this many details, unless its score reaches certain_score (near-copies).
    min_shared_details: int = 2
    certain_score: float = 0.3
    # Pairs at this score or more are near-copies of one text: the detail check counts a
    # term's copies once, so a story that many outlets carry keeps its details.
    copy_score: float = 0.6


@dataclass(frozen=True)
class ClusterConfig:
    threshold: float = 0.16
    max_scored_component: int = 200
    # Articles with fewer TF-IDF terms (a headline, a one-line alert) join stories after the
    # others have formed them, and never shape them (pipeline/cluster.py).
    short_terms: int = 30


@dataclass(frozen=True)
class SentenceConfig:
    match_threshold: float = 0.35
    representative: str = "medoid"
    min_words: int = 4
    # Weigh a sentence's terms by how few of the story's texts have them (docs/sentences.md).
    story_weights: bool = True
    # Sentences before and after a counterpart that count with it (split or merged sentences).
    context_window: int = 1


@dataclass(frozen=True)
class StateConfig:
    # Days of earlier runs whose stories a run's articles can continue (their anchors).
    lookback_days: int = 7
    # Days of earlier runs whose document frequencies a run adds to its own (never fewer
    # than lookback_days): IDF weights and details as over months of news, not one day's.
    frequency_days: int = 90
    # Days before the newest run that can be run again with the same result (same story ids):
    # the state they read is kept that much longer before it is pruned.
    rerun_days: int = 7

    @property
    def frequency_horizon(self) -> int:
        return max(self.lookback_days, self.frequency_days)


@dataclass(frozen=True)
class OutputConfig:
    compression: str = "zstd"
    row_group_size: int = 100_000
    num_shards: int = 1


@dataclass(frozen=True)
class Config:
    input: InputConfig = field(default_factory=InputConfig)
    columns: ColumnConfig = field(default_factory=ColumnConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    lsh: LshConfig = field(default_factory=LshConfig)
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    sentences: SentenceConfig = field(default_factory=SentenceConfig)
    state: StateConfig = field(default_factory=StateConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def __post_init__(self) -> None:
        validate(self)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_FEATURE_KINDS = {"word", "name", "pair"}
_REPRESENTATIVE_RULES = {"medoid", "earliest", "longest"}
_COMPRESSIONS = {"zstd", "snappy", "gzip", "none"}
_MAX_SEED = 2**32 - 1  # datasketch draws its permutations from numpy.random.RandomState(seed)
# The frequency table is 4 bytes a bucket, in memory and in the side input every worker gets:
# 2**32 buckets (the 32-bit term hashes) would be 16 GiB and fail mid-run. 2**26 is 16 times
# the default, which already suits a vocabulary of millions of terms.
_MAX_DF_BUCKETS = 1 << 26


def _check(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"{key}: {message}", key)


def _check_columns(columns: ColumnConfig) -> None:
    """Each field needs a column of its own: two fields read from one would both hold its value."""
    taken: dict[str, str] = {}
    defaults = ColumnConfig()
    for name, column in dataclasses.asdict(columns).items():
        _check(bool(column.strip()), f"columns.{name}", "must name a column of the inputs (it is empty)")
        other = taken.setdefault(column, name)
        if other != name:
            # Blame the field moved onto the other's column: columns.text=id names text, not id.
            moved, kept = (name, other) if getattr(defaults, name) != column else (other, name)
            _check(
                False,
                f"columns.{moved}",
                f"{column!r} is already the column of columns.{kept}; each field needs a column of its own",
            )


def validate(config: Config) -> None:
    """Raises ConfigError naming the first value that is out of range."""
    c = config
    _check(c.input.max_chars > 0, "input.max_chars", "must be a positive number of characters")
    _check(c.input.min_words >= 1, "input.min_words", "must be at least 1")
    _check(c.input.max_field_chars > 0, "input.max_field_chars", "must be a positive number of characters")
    _check(
        c.input.date_order in DATE_ORDERS,
        "input.date_order",
        f"must be one of {', '.join(DATE_ORDERS)} (01/05/2024 is January 5 month_first, 1 May day_first, "
        f"left unread unknown), got {c.input.date_order!r}",
    )
    _check_columns(c.columns)
    kinds = set(c.features.kinds)
    _check(bool(kinds), "features.kinds", f"choose at least one of {sorted(_FEATURE_KINDS)}")
    repeated = sorted({kind for kind in c.features.kinds if c.features.kinds.count(kind) > 1})
    _check(not repeated, "features.kinds", f"names {', '.join(repeated)} more than once")
    _check(
        kinds <= _FEATURE_KINDS,
        "features.kinds",
        f"unknown kind(s) {sorted(kinds - _FEATURE_KINDS)}; choose from {sorted(_FEATURE_KINDS)}",
    )
    _check(
        1 <= c.features.salient_terms <= 10_000,
        "features.salient_terms",
        "must be between 1 and 10000",
    )
    _check(
        1024 <= c.features.df_buckets <= _MAX_DF_BUCKETS
        and c.features.df_buckets & (c.features.df_buckets - 1) == 0,
        "features.df_buckets",
        f"must be a power of two from 1024 to {_MAX_DF_BUCKETS} (a 256 MiB table, sent to every worker; "
        "default 4194304)",
    )
    _check(
        c.features.detail_max_df >= 1,
        "features.detail_max_df",
        "must be at least 1 article (details are the terms found in at most this many articles)",
    )
    _check(2 <= c.lsh.num_perm <= 1024, "lsh.num_perm", "must be between 2 and 1024")
    _check(0.0 < c.lsh.threshold < 1.0, "lsh.threshold", "must be strictly between 0 and 1")
    _check(0 <= c.lsh.seed <= _MAX_SEED, "lsh.seed", f"must be between 0 and {_MAX_SEED} (a 32-bit seed)")
    _check(c.lsh.bucket_cap >= 2, "lsh.bucket_cap", "must be at least 2 (a bucket of one makes no pair)")
    _check(0.0 <= c.verify.min_score <= 1.0, "verify.min_score", "must be between 0 and 1")
    _check(
        0 < c.verify.max_days_apart < math.inf,
        "verify.max_days_apart",
        "must be a positive, finite number of days",
    )
    _check(
        c.verify.min_shared_details >= 0,
        "verify.min_shared_details",
        "must be 0 (no detail check) or more shared details",
    )
    _check(
        c.verify.min_score <= c.verify.certain_score <= 1.0,
        "verify.certain_score",
        f"must be between verify.min_score ({c.verify.min_score}) and 1 (1 checks details on every pair)",
    )
    _check(
        c.verify.certain_score <= c.verify.copy_score <= 1.0,
        "verify.copy_score",
        f"must be between verify.certain_score ({c.verify.certain_score}) and 1 (1: only identical terms)",
    )
    _check(0.0 < c.cluster.threshold <= 1.0, "cluster.threshold", "must be in (0, 1]")
    _check(c.cluster.max_scored_component >= 0, "cluster.max_scored_component", "must be 0 or more")
    _check(0 <= c.cluster.short_terms <= 1000, "cluster.short_terms", "must be between 0 and 1000 terms")
    _check(
        c.cluster.threshold >= c.verify.min_score,
        "cluster.threshold",
        f"must be at least verify.min_score ({c.verify.min_score}); pairs below min_score are not kept",
    )
    _check(
        0.0 < c.sentences.match_threshold <= 1.0,
        "sentences.match_threshold",
        "must be in (0, 1]",
    )
    _check(
        c.sentences.representative in _REPRESENTATIVE_RULES,
        "sentences.representative",
        f"must be one of {sorted(_REPRESENTATIVE_RULES)}, got {c.sentences.representative!r}",
    )
    _check(c.sentences.min_words >= 1, "sentences.min_words", "must be at least 1")
    _check(
        0 <= c.sentences.context_window <= 5,
        "sentences.context_window",
        "must be 0 (the counterpart alone) to 5 sentences",
    )
    _check(0 <= c.state.lookback_days <= 3650, "state.lookback_days", "must be between 0 and 3650 days")
    _check(0 <= c.state.frequency_days <= 3650, "state.frequency_days", "must be between 0 and 3650 days")
    _check(0 <= c.state.rerun_days <= 3650, "state.rerun_days", "must be between 0 and 3650 days")
    _check(
        c.output.compression in _COMPRESSIONS,
        "output.compression",
        f"must be one of {sorted(_COMPRESSIONS)}, got {c.output.compression!r}",
    )
    _check(
        1 <= c.output.row_group_size < 2**63,
        "output.row_group_size",
        "must be between 1 and 2**63 - 1 (Parquet's 64-bit row counts)",
    )
    _check(
        1 <= c.output.num_shards <= 99_999,
        "output.num_shards",
        "must be between 1 and 99999 (files are numbered part-SSSSS-of-NNNNN)",
    )


_SECTIONS = {f.name: f.type for f in dataclasses.fields(Config)}


def _section_class(name: str) -> type:
    return {
        "input": InputConfig,
        "columns": ColumnConfig,
        "features": FeatureConfig,
        "lsh": LshConfig,
        "verify": VerifyConfig,
        "cluster": ClusterConfig,
        "sentences": SentenceConfig,
        "state": StateConfig,
        "output": OutputConfig,
    }[name]


class _SetValue(str):
    """A ``--set`` value: command-line text, read as the type of its setting. A file's values
    are typed by TOML itself, so a string there is only ever a string."""


def _parse_set_value(key: str, expected: type, text: str) -> Any:
    """Reads a ``--set`` value as ``expected``: ``true``/``false``, a number, or a
    comma-separated list of names (``features.kinds=word,name``)."""
    text = text.strip()
    if expected is bool:
        if text.lower() not in {"true", "false"}:
            raise ConfigError(f"{key}: expected true or false, got {text!r}", key)
        return text.lower() == "true"
    if expected is tuple:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    try:
        return expected(text)
    except ValueError:
        raise ConfigError(f"{key}: expected {expected.__name__}, got {text!r}", key) from None


def _coerce(key: str, default: Any, value: Any) -> Any:
    """Checks a TOML value (or reads a ``--set`` one) as the type of the field's default."""
    expected = type(default)
    if isinstance(value, _SetValue):
        # Spaces around a text value are trimmed, as around a number (`--set key= zstd`).
        return str(value).strip() if expected is str else _parse_set_value(key, expected, value)
    if expected is tuple:
        # The only list setting (features.kinds) is a list of names.
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{key}: expected a list of strings, got {value!r}", key)
        return tuple(value)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # past any float: out of range, as validate() then says
            return math.inf if value > 0 else -math.inf
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        got = f"the string {value!r} (write it without quotes)" if isinstance(value, str) else repr(value)
        wanted = "true or false" if expected is bool else expected.__name__
        raise ConfigError(f"{key}: expected {wanted}, got {got}", key)
    return value


def from_dict(data: dict[str, Any]) -> Config:
    """Builds a validated Config from nested dicts; unknown keys are errors, not ignored."""
    sections = {}
    for name, values in data.items():
        if name not in _SECTIONS:
            raise ConfigError(f"{name}: unknown section; known sections are {sorted(_SECTIONS)}", name)
        if not isinstance(values, dict):
            raise ConfigError(f"{name}: expected a table of settings ([{name}]), got {values!r}", name)
        cls = _section_class(name)
        defaults = cls()
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs = {}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(
                    f"{name}.{key}: unknown setting; known settings are {sorted(known)}", f"{name}.{key}"
                )
            kwargs[key] = _coerce(f"{name}.{key}", getattr(defaults, key), value)
        sections[name] = cls(**kwargs)
    return Config(**sections)


def _parse_override(item: str) -> tuple[str, str, str]:
    path, sep, value = item.partition("=")
    section, dot, key = path.strip().partition(".")
    if not sep or not section or not dot or not key:
        raise ConfigError(f"--set {item!r}: expected section.key=value, e.g. cluster.threshold=0.2")
    return section, key, value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Applies ``section.key=value`` strings on top of nested config dicts."""
    merged = {name: dict(values) if isinstance(values, dict) else values for name, values in data.items()}
    given: dict[tuple[str, str], str] = {}
    for item in overrides:
        section, key, value = _parse_override(item)
        # Which of two values is meant would be a guess (TOML refuses a key given twice too).
        if (section, key) in given:
            raise ConfigError(
                f"--set {section}.{key}: given twice ({given[section, key]!r}, then {value!r}); "
                "set each setting once",
                f"{section}.{key}",
            )
        given[section, key] = value
        values = merged.setdefault(section, {})
        if isinstance(values, dict):  # otherwise from_dict reports the file's section that is no table
            values[key] = _SetValue(value)
    return merged


def _caused_by_overrides(error: ConfigError, data: dict[str, Any], overrides: list[str]) -> bool:
    """Whether a config fails because of its ``--set`` values rather than its file."""
    if not overrides:
        return False
    targets = {f"{section}.{key}" for section, key, _ in map(_parse_override, overrides)}
    if error.key in targets or (error.key in {t.split(".")[0] for t in targets} and error.key not in data):
        return True
    try:  # e.g. a cross-check between a file value and an overridden one
        from_dict(data)
    except ConfigError:
        return False
    return True


def load(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Loads, overrides and validates a config; raises ConfigError naming the file, or ``--set``,
    that holds the bad value."""
    config_path = Path(path) if path else DEFAULT_CONFIG_PATH
    overrides = overrides or []
    try:
        raw = config_path.read_bytes()
    except FileNotFoundError:
        if path is None:
            # An installed package has no configs/ folder: the defaults are the dataclasses'
            # (tests keep them equal to configs/default.toml).
            return _with_overrides({}, overrides, "--set")
        raise ConfigError(f"config file not found: {config_path}") from None
    except OSError as error:  # a folder, no permission
        raise ConfigError(f"cannot read config file {config_path}: {error.strerror}") from None
    try:
        # A byte order mark (Windows editors) is no TOML statement: read past it.
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        raise ConfigError(
            f"{config_path}: line {line}: not valid UTF-8 (TOML files are UTF-8 text)"
        ) from None
    except ValueError as error:  # TOMLDecodeError, or a number of more digits than Python converts
        raise ConfigError(f"{config_path}: not valid TOML ({error})") from None
    return _with_overrides(data, overrides, str(config_path))


def _with_overrides(data: dict, overrides: list[str], source: str) -> Config:
    merged = apply_overrides(data, overrides)
    try:
        return from_dict(merged)
    except ConfigError as error:
        blamed = "--set" if _caused_by_overrides(error, data, overrides) else source
        raise ConfigError(f"{blamed}: {error}", error.key) from None
