"""The evaluation command's engine: run the real pipeline on a labelled corpus and score it.

A labelled corpus is any normal input plus a ``story`` column (the true story label;
``columns.story`` names another column, as ``columns.*`` do for the other fields). The
pipeline runs exactly as ``storymatch run`` would; its ``articles`` and ``pairs`` tables are
compared with the labels. Beside it, on the same articles, run two reference methods
(``baselines``): verbatim MinHash LSH and all-pairs TF-IDF cosine (skipped above a size
limit, since it is quadratic).

What is reported, overall and per source (id prefix, see ``metrics.by_source``):

- clustering: pairwise precision/recall/F1, ARI, B-cubed, clusters found vs. true;
- ``lsh_candidate_recall``: share of true same-story pairs that became LSH candidates (pairs
  with an exact copy, which never reaches LSH, left out);
- ``lsh_recall_of_accepted``: share of the pairs the verifier would accept if it saw every
  pair (computed all-pairs with the same vectors, below the size limit) that LSH proposed;
- ``candidates_per_article`` and the verifier's precision (share of verified pairs that
  are truly the same story).

And, for the sentence stage (issue 4; ``pipeline.sentence_eval``):

- ``unique_sentences``: precision and recall of the run's ``unique_sentences`` table against
  a hand-labelled gold file (``unique_gold``; the seeds' is ``tests/data/seeds_unique_gold.jsonl``).
  With a gold file the inputs need no ``story`` column: unlabelled inputs (the seeds) get
  this part of the report only;
- ``msrp``: the sentence matcher as a paraphrase classifier on a sentence-pair file
  (``msrp``, e.g. ``../shared/eval/msrp_train.jsonl``) at ``sentences.match_threshold``,
  the threshold the unique-sentence decision uses.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import gzip
import json
import math
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipeline import baselines, metrics
from pipeline.align import paraphrase_score
from pipeline.analyse import analyse_article, analysis_reject, first_kept
from pipeline.config import ColumnConfig, Config, InputConfig
from pipeline.dedupe import copy_runs
from pipeline.features import detail_ids, term_buckets, term_frequencies, term_vector, weigh_terms
from pipeline.read import (
    _FILE_ERRORS,
    _delimited_rows,
    _python_values,
    _read_kind,
    parse_file,
    resolve_inputs,
)
from pipeline.records import AnalysedArticle, Article, ArticleSketch
from pipeline.sentence_eval import load_unique_gold, msrp_scores, unique_sentence_scores
from pipeline.verify import score_pairs
from pipeline.wording import noun

DEFAULT_ALL_PAIRS_LIMIT = 3000


class EvaluationError(ValueError):
    """The corpus cannot be evaluated (for example, it has no ``story`` labels)."""


def load_labels(
    files: Iterable[str],
    max_chars: int = InputConfig.max_chars,
    max_field_chars: int = InputConfig.max_field_chars,
    columns: ColumnConfig | None = None,
    min_words: int = InputConfig.min_words,
) -> dict[str, str]:
    """id -> story of the record the pipeline keeps for each id, from JSON Lines, Parquet, CSV
    or TSV (the ``columns.id`` and ``columns.story`` columns).

    As the reader: of several records with one id, the first the reader accepts (by file,
    then record) and the analysis keeps is the article, labelled or not (``kept_records``);
    a record the reader rejects (empty or too long text, an id that is not a string or an
    integer) is no article and gives no label, so a rejected record cannot label a later
    valid record of the same id.

    A label is read alike in every format (``_story_label``): an empty or blank one, or a
    null or NaN, is no label, as an empty CSV cell is.
    """
    columns = columns or ColumnConfig()
    labelled_by = (columns.id, columns.story)
    labels: dict[str, str] = {}
    kept_in: dict[str, set[int]] = defaultdict(set)
    for path, record in kept_records(files, max_chars, max_field_chars, columns, min_words).values():
        kept_in[path].add(record)
    for path in files:
        kind = _read_kind(path)  # as the reader: suffixes in any case (DEV.JSONL, x.Parquet), Hive's 000000_0
        if kind == "parquet":  # one record a row, numbered by its position
            rows: Iterable[tuple[int, Any, Any]] = _parquet_labels(path, *labelled_by)
        elif kind == "json_lines":
            rows = _json_labels(path, *labelled_by)
        elif kind in ("csv", "tsv"):
            rows = _delimited_labels(path, *labelled_by)
        else:  # text files have no label, but their articles take their ids
            continue
        kept = kept_in[path]
        for record, article_id, story in _until_unreadable(rows):
            if record in kept:
                label = _story_label(path, record, story)
                if label is not None:
                    labels[str(article_id)] = label
    return labels


def kept_records(
    files: Iterable[str],
    max_chars: int = InputConfig.max_chars,
    max_field_chars: int = InputConfig.max_field_chars,
    columns: ColumnConfig | None = None,
    min_words: int = InputConfig.min_words,
) -> dict[str, tuple[str, int]]:
    """id -> (file, record) of the record the pipeline keeps as the id's article: of the
    records the reader accepts, by file then record, the first the analysis keeps, else the
    first (``analyse.first_kept``, as ``read.ReadArticles``). The records of an id read more
    than once are read again, those ids' only."""
    files = list(files)
    first: dict[str, tuple[str, int]] = {}
    repeated: set[str] = set()
    for path in files:
        for item in parse_file(path, max_chars, max_field_chars=max_field_chars, columns=columns):
            if isinstance(item, Article):
                if item.id in first:
                    repeated.add(item.id)
                else:
                    first[item.id] = (path, item.record)
    if repeated:
        records: dict[str, list[Article]] = defaultdict(list)
        for path in files:
            for item in parse_file(path, max_chars, max_field_chars=max_field_chars, columns=columns):
                if isinstance(item, Article) and item.id in repeated:
                    records[item.id].append(item)
        for article_id, articles in records.items():
            kept = first_kept(articles, min_words)
            first[article_id] = (kept.source, kept.record)
    return first


def _story_label(path: str, record: int, story: Any) -> str | None:
    """A record's story label as text, or None for none: a string that is not blank, or a
    number (an integral float as the integer: pandas writes a column of ids with gaps as
    floats, 7.0 for 7). Anything else (a list, true) is refused: it cannot be a story id.

    Example:
        >>> [_story_label("a.jsonl", 1, value) for value in ("s1", " ", 7, 7.0, float("nan"))]
        ['s1', None, '7', '7', None]
    """
    if story is None:
        return None
    if isinstance(story, str):
        return story if story.strip() else None
    if isinstance(story, float) and math.isnan(story):
        return None
    if isinstance(story, bool) or not isinstance(story, int | float | Decimal) or not math.isfinite(story):
        shown = repr(story) if isinstance(story, float) else type(story).__name__
        raise EvaluationError(f"{path}:{record}: a story label must be a string or a number, got {shown}")
    if isinstance(story, float) and story.is_integer():
        return str(int(story))
    return str(story)


def _until_unreadable(rows: Iterable[tuple[int, Any, Any]]) -> Iterator[tuple[int, Any, Any]]:
    """The rows read before a file error: as the reader, a file cut short (a truncated gzip,
    a corrupt Parquet row group) labels the records read before the cut, and the rest is
    the reader's ``unreadable_file`` reject, not a traceback."""
    with contextlib.suppress(*_FILE_ERRORS):
        yield from rows


def _parquet_labels(path: str, id_column: str, story_column: str) -> Iterator[tuple[int, Any, Any]]:
    """(row number, id, story) of every row, numbered as the reader numbers them."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        parquet = pq.ParquetFile(handle)
        columns = [name for name in (id_column, story_column) if name in parquet.schema_arrow.names]
        number = 0
        for batch in parquet.iter_batches(columns=columns):
            # As the reader reads them: a BINARY column (Impala, Hive) as UTF-8 text.
            ids = _python_values(batch.column(id_column))
            labelled = story_column in columns
            stories = _python_values(batch.column(story_column)) if labelled else [None] * len(ids)
            for article_id, story in zip(ids, stories, strict=True):
                number += 1
                yield number, article_id, story


def _json_labels(path: str, id_column: str, story_column: str) -> Iterable[tuple[int, Any, Any]]:
    """(line number, id, story) of every JSON object line, numbered as the reader numbers them."""
    # UNCOMPRESSED: Beam would otherwise unpack a .gz itself, and gzip.open would refuse the
    # unpacked stream (the reader opens files the same way).
    raw_file = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    with raw_file as raw, gzip.open(raw) if path.lower().endswith(".gz") else raw as handle:
        for number, line in enumerate(handle, start=1):
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                yield number, row.get(id_column), row.get(story_column)


def _delimited_labels(path: str, id_column: str, story_column: str) -> Iterator[tuple[int, Any, Any]]:
    """(line, id, story) of every CSV or TSV row the reader can read, numbered as it numbers
    them; an empty cell is no story (``_story_label``)."""
    rows = _delimited_rows(path)
    header = next(rows, None)
    if header is None or header.cells is None or id_column not in header.cells:
        return
    names = header.cells
    for row in rows:
        if row.cells is not None and len(row.cells) == len(names):
            cells = dict(zip(names, row.cells, strict=True))
            yield row.line, cells[id_column], cells.get(story_column)


def read_articles(
    files: Iterable[str],
    max_chars: int,
    max_field_chars: int = InputConfig.max_field_chars,
    columns: ColumnConfig | None = None,
    date_order: str = InputConfig.date_order,
    min_words: int = InputConfig.min_words,
) -> list[Article]:
    """The valid articles of the inputs, one an id as the pipeline keeps them
    (``analyse.first_kept``), dates in ``date_order`` (``input.date_order``)."""
    records: dict[str, list[Article]] = defaultdict(list)
    for path in files:
        read = parse_file(
            path, max_chars, max_field_chars=max_field_chars, columns=columns, date_order=date_order
        )
        for record in read:
            if isinstance(record, Article):
                records[record.id].append(record)
    return [first_kept(records[key], min_words) for key in sorted(records)]


def _matched(articles: Iterable[Article], config: Config) -> tuple[list[Article], list[AnalysedArticle]]:
    """The articles that reach matching, and their analyses: not those the analysis stage
    rejects (too short, or nothing left once cleaned)."""
    kept: list[Article] = []
    analyses: list[AnalysedArticle] = []
    for article in articles:
        analysed = analyse_article(article, config.features.kinds)
        if analysis_reject(article, analysed, config.input.min_words) is None:
            kept.append(article)
            analyses.append(analysed)
    return kept, analyses


def accepted_pairs(
    articles: list[Article], config: Config, unlabelled: Iterable[Article] = ()
) -> set[tuple[str, str]]:
    """Every pair the verifier would accept, found by scoring all pairs (quadratic).

    As in the pipeline, an exact copy (identical cleaned text, within the copy runs of
    ``dedupe.copy_runs``) other than the canonical one, the smallest id, takes no part: it
    never reaches LSH, joining its canonical copy's story through an ``exact_duplicate``
    pair, so its pairs are none that LSH could have missed. ``unlabelled``: the other
    articles the pipeline read; their pairs are not returned, but they are weighed and
    scored with the labelled ones, as in the pipeline (document frequencies, near-copies),
    and a copy among them with a smaller id is the canonical copy of a labelled one.
    """
    kept, analysed = _matched([*articles, *unlabelled], config)
    by_text: dict[str, list[AnalysedArticle]] = defaultdict(list)
    for item in analysed:
        by_text[item.content_hash].append(item)
    copies: set[str] = set()
    for group in by_text.values():
        if len(group) > 1:
            for run in copy_runs(group, config.verify.max_days_apart):
                canonical = min(copy.article.id for copy in run)
                copies.update(copy.article.id for copy in run if copy.article.id != canonical)
    # As the pipeline: document frequencies over the canonical articles, labelled or not, and
    # every pair among them scored together (a pair short of details counts a group of
    # near-copies once, unlabelled ones too); then the labelled pairs are kept.
    canonical_articles = [(a, item) for a, item in zip(kept, analysed, strict=True) if a.id not in copies]
    num_buckets = config.features.df_buckets
    df_table = np.zeros(num_buckets, dtype=np.uint32)
    for _, item in canonical_articles:
        df_table[term_buckets(item.terms, num_buckets)] += 1
    no_signature = np.zeros(0, dtype=np.uint32)
    sketches = []
    for article, item in canonical_articles:
        _, ids, weights = weigh_terms(item.terms, df_table, len(canonical_articles))
        details = detail_ids(ids, df_table, config.features.detail_max_df)
        vector = term_vector(ids, weights)
        counted = term_frequencies(vector.ids, df_table)
        sketches.append(
            ArticleSketch(
                article.id,
                article.outlet,
                article.published_us,
                vector,
                no_signature,
                details=details,
                frequencies=counted,
            )
        )
    every_pair = np.array(np.triu_indices(len(sketches), 1)).T
    decisions = score_pairs(sketches, every_pair, config.verify, config.features.detail_max_df)
    scored = {article.id for article in articles}
    return {(pair.a, pair.b) for pair in decisions.verified(sketches) if {pair.a, pair.b} <= scored}


def _table(output: str, name: str, columns: str) -> list[tuple]:
    pattern = os.path.join(output, name, "**", "*.parquet")
    return duckdb.execute(f"select {columns} from read_parquet('{pattern}')").fetchall()


def _has_rows(output: str, name: str) -> bool:
    return bool(glob.glob(os.path.join(output, name, "**", "*.parquet"), recursive=True))


def rounded(value: Any) -> Any:
    """The report with its figures to 4 decimals, as ``--json`` writes it. The report itself
    keeps them exact: the table prints 3 decimals of the figure, not of its 4-decimal rounding
    (398 / 584 = 0.68151 is 0.682, where 0.6815 printed 0.681), and a gate compares the figure."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return value


def _clustering_report(truth: dict[str, str], predicted: dict[str, str], ids: list[str]) -> dict[str, Any]:
    return metrics.evaluate_clustering(metrics.subset(truth, ids), metrics.subset(predicted, ids))


@contextlib.contextmanager
def _reading(path: str, what: str) -> Iterator[None]:
    """A file that cannot be opened (absent, a folder) is the user's to fix: EvaluationError."""
    try:
        yield
    except OSError as error:
        raise EvaluationError(f"cannot read the {what} {path}: {error.strerror or error}") from None


def evaluate(
    inputs: list[str],
    config: Config,
    beam_args: list[str] | None = None,
    all_pairs_limit: int = DEFAULT_ALL_PAIRS_LIMIT,
    log: Callable[[str], None] = lambda message: None,
    output: str | None = None,
    unique_gold: str | None = None,
    msrp: str | None = None,
    gates: Iterable[str] = (),
) -> dict[str, Any]:
    """Runs the pipeline and the reference methods on a labelled corpus; returns the report.

    The pipeline's tables go to a temporary folder, or to ``output`` to keep them.
    ``unique_gold`` and ``msrp`` add the sentence measures (see the module docstring).
    ``gates``: the clustering gates asked for (``--min-ari``), which need labels before the run.
    """
    from pipeline.run import configure_file_systems, run_job  # imports the whole Beam graph

    configure_file_systems(beam_args)  # the labels are read here, on this machine
    files = resolve_inputs(inputs, config.columns)
    truth_all = load_labels(
        files, config.input.max_chars, config.input.max_field_chars, config.columns, config.input.min_words
    )
    gates = list(gates)
    if not truth_all and gates:  # found now, not after the whole run
        raise EvaluationError(
            f"{' and '.join(gates)}: a gate on the stories found needs labels, and the inputs have no "
            f"{config.columns.story!r} column (columns.story)"
        )
    if not truth_all and not unique_gold:
        raise EvaluationError(
            f"no labelled records: the inputs need a {config.columns.story!r} column (columns.story), "
            "or pass a unique-sentence gold file to score the sentence stage only"
        )
    gold = None
    if unique_gold:  # a bad gold fails before the run
        with _reading(unique_gold, "unique-sentence gold file"):
            gold = load_unique_gold(unique_gold)
    report: dict[str, Any] = {"inputs": files, "config": config.to_dict()}
    if msrp:
        log(f"scoring the sentence matcher on {msrp} ...")
        similarity = functools.partial(paraphrase_score, story_weights=config.sentences.story_weights)
        with _reading(msrp, "sentence-pair file"):
            report["msrp"] = msrp_scores(msrp, config.sentences.match_threshold, similarity)

    with tempfile.TemporaryDirectory(prefix="storymatch-eval-") as scratch:
        folder = output or scratch
        log("running the pipeline ...")
        job = run_job(files, folder, config, beam_args)
        predicted_all = dict(_table(folder, "articles", "article_id, cluster_id"))
        pair_rows = _table(folder, "pairs", "article_a, article_b, verified, found_by")
        if gold is not None:
            reported = (
                _table(folder, "unique_sentences", "article_id, sentence")
                if _has_rows(folder, "unique_sentences")
                else []
            )
            report["unique_sentences"] = {
                "gold": unique_gold,
                "threshold": config.sentences.match_threshold,
                **unique_sentence_scores(gold, reported, predicted_all),
            }
    if not truth_all:
        report["pipeline"] = {"seconds": round(job.seconds, 2)}
        return report
    ids = sorted(set(predicted_all) & set(truth_all))
    records = {
        "read": job.counters.get("read/records", 0),
        "articles": job.row_counts["articles"],
        "rejected": job.row_counts["rejects"],
        "scored": len(ids),
    }
    if not ids:
        # Every figure would be 0/0, which the metrics count as 1.0: a gate would pass.
        unscored = (
            f"none of the {len(truth_all)} labelled {noun(len(truth_all), 'record')} became an article "
            "(storymatch run on the same inputs lists them in its rejects table)"
        )
        if gates:
            raise EvaluationError(f"{' and '.join(gates)}: {unscored}")
        report["pipeline"] = {"seconds": round(job.seconds, 2), "records": records, "unscored": unscored}
        return report
    truth = {i: truth_all[i] for i in ids}
    predicted = {i: predicted_all[i] for i in ids}
    candidates = [(a, b) for a, b, _, found_by in pair_rows if found_by == "lsh"]
    # An exact copy never reaches LSH (it joins its canonical copy's story): its pairs are
    # none that LSH could have proposed, so they are left out of its recall, as they are
    # from the recall of accepted pairs below.
    copies = {b for _, b, _, found_by in pair_rows if found_by == "exact_duplicate"}
    banded_truth = {i: story for i, story in truth.items() if i not in copies}
    verified = [(a, b) for a, b, is_verified, _ in pair_rows if is_verified]

    pipeline_report: dict[str, Any] = {
        "seconds": round(job.seconds, 2),
        # What the figures are of: a malformed row or an unlabelled article is in none of them.
        "records": records,
        "lsh": {"bands": job.bands, "rows": job.rows},
        **_clustering_report(truth, predicted, ids),
        "lsh_candidate_recall": metrics.pair_recall(banded_truth, candidates),
        "candidates_per_article": len(candidates) / max(len(predicted_all), 1),
        "verifier_precision": metrics.pair_precision(truth, verified),
        "by_source": {
            source: _clustering_report(truth, predicted, members)
            for source, members in metrics.by_source(ids).items()
        },
    }
    everything = read_articles(
        files,
        config.input.max_chars,
        config.input.max_field_chars,
        config.columns,
        config.input.date_order,
        config.input.min_words,
    )
    articles = [a for a in everything if a.id in truth]
    if len(everything) <= all_pairs_limit:  # the unlabelled articles are scored with them
        log(f"scoring all {len(everything) * (len(everything) - 1) // 2} pairs to measure LSH recall ...")
        accepted = accepted_pairs(articles, config, [a for a in everything if a.id not in truth])
        found = accepted & {tuple(sorted(pair)) for pair in candidates}
        pipeline_report["lsh_recall_of_accepted"] = {
            "recall": len(found) / len(accepted) if accepted else 1.0,
            "accepted_pairs": len(accepted),
            "found": len(found),
        }
    else:
        pipeline_report["lsh_recall_of_accepted"] = f"skipped: more than {all_pairs_limit} articles"
    report["pipeline"] = pipeline_report

    texts = [(a.id, a.text) for a in articles]
    started = time.time()
    minhash = baselines.verbatim_minhash(texts)
    report["verbatim_minhash"] = {
        "seconds": round(time.time() - started, 2),
        **_clustering_report(truth, minhash.labels, ids),
        "lsh_candidate_recall": metrics.pair_recall(truth, minhash.candidates),
    }
    if len(texts) <= all_pairs_limit:
        log("running the all-pairs TF-IDF reference ...")
        started = time.time()
        labels = baselines.tfidf_all_pairs(texts, max_articles=all_pairs_limit)
        assert labels is not None
        report["tfidf_all_pairs"] = {
            "seconds": round(time.time() - started, 2),
            **_clustering_report(truth, labels, ids),
        }
        report["tfidf_all_pairs"]["by_source"] = {
            source: _clustering_report(truth, labels, members)
            for source, members in metrics.by_source(ids).items()
        }
    else:
        report["tfidf_all_pairs"] = f"skipped: quadratic, more than {all_pairs_limit} articles"
    return report


def _row(name: str, result: Any) -> str:
    if isinstance(result, str):
        return f"{name:<22} {result}"
    pairwise = result["pairwise"]
    bcubed = result["bcubed"]
    return (
        f"{name:<22} {result['ari']:>6.3f} {pairwise['precision']:>6.3f} {pairwise['recall']:>6.3f} "
        f"{pairwise['f1']:>6.3f} {bcubed['precision']:>6.3f} {bcubed['recall']:>6.3f} "
        f"{result['clusters_found']:>6}/{result['clusters_true']:<6}"
    )


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table of the report, pipeline first, references beside it, then the
    sentence measures."""
    sentences = _sentence_lines(report)
    if "ari" not in report["pipeline"]:  # unlabelled inputs: the sentence stage only
        unscored = (
            [f"no story figures: {report['pipeline']['unscored']}"]
            if "unscored" in report["pipeline"]
            else []
        )
        return "\n".join([*unscored, *sentences, f"pipeline wall time: {report['pipeline']['seconds']}s"])
    header = f"{'method':<22} {'ARI':>6} {'P':>6} {'R':>6} {'F1':>6} {'B3-P':>6} {'B3-R':>6} {'clusters':>13}"
    pipeline = report["pipeline"]
    records = pipeline["records"]
    accounted = (
        f"scored {records['scored']} labelled {noun(records['scored'], 'article')} of "
        f"{records['articles']} {noun(records['articles'], 'article')} from {records['read']} "
        f"{noun(records['read'], 'record')} read ({records['rejected']} rejected: storymatch run on the "
        "same inputs lists them in its rejects table)"
    )
    lines = [accounted, header, "-" * len(header)]
    lines.append(_row("pipeline", pipeline))
    for source, result in pipeline["by_source"].items():
        lines.append(_row(f"  pipeline/{source}", result))
    lines.append(_row("verbatim MinHash", report["verbatim_minhash"]))
    reference = report["tfidf_all_pairs"]
    lines.append(_row("all-pairs TF-IDF", reference))
    if isinstance(reference, dict):
        for source, result in reference["by_source"].items():
            lines.append(_row(f"  all-pairs/{source}", result))
    lines.append("")
    candidate = pipeline["lsh_candidate_recall"]
    bands, rows = pipeline["lsh"]["bands"], pipeline["lsh"]["rows"]
    lines.append(
        f"LSH ({bands} bands x {rows} {noun(rows, 'row')}): "
        f"{pipeline['candidates_per_article']:.3f} candidates per article; "
        f"candidate recall of true pairs {candidate['recall']:.3f} "
        f"({candidate['found']}/{candidate['true_pairs']})"
    )
    accepted = pipeline["lsh_recall_of_accepted"]
    if isinstance(accepted, dict):
        lines.append(
            f"LSH recall of pairs the verifier accepts: {accepted['recall']:.3f} "
            f"({accepted['found']}/{accepted['accepted_pairs']})"
        )
    else:
        lines.append(f"LSH recall of pairs the verifier accepts: {accepted}")
    verifier = pipeline["verifier_precision"]
    lines.append(
        f"verifier precision: {verifier['precision']:.3f} "
        f"({verifier['same_story']}/{verifier['pairs']} verified pairs)"
    )
    lines.append(f"pipeline wall time: {pipeline['seconds']}s")
    if sentences:
        lines.extend(["", *sentences])
    return "\n".join(lines)


def _sentence_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    unique = report.get("unique_sentences")
    if unique:
        lines.append(
            f"unique sentences vs {unique['gold']} (threshold {unique['threshold']}): "
            f"precision {unique['precision']:.3f} recall {unique['recall']:.3f} f1 {unique['f1']:.3f} "
            f"(tp {unique['tp']}, fp {unique['fp']}, fn {unique['fn']}; reported {unique['reported']}, "
            f"of which shared {unique['reported_shared']}, headings {unique['reported_headings']}, "
            f"boilerplate {unique['reported_boilerplate']}, unlabelled {unique['reported_unlabelled']})"
        )
        missing = unique.get("gold_articles_not_in_the_run", 0)
        if missing:
            lines.append(
                f"  over the gold's {unique['articles']} {noun(unique['articles'], 'article')} in the run; "
                f"{missing} more {noun(missing, 'is', 'are')} not among the run's articles"
            )
    msrp = report.get("msrp")
    if msrp:
        lines.append(
            f"sentence matcher on MSRP (threshold {msrp['threshold']}): accuracy {msrp['accuracy']:.4f} "
            f"F1 {msrp['f1']:.4f} precision {msrp['precision']:.3f} recall {msrp['recall']:.3f} "
            f"({msrp['pairs']} pairs)"
        )
    return lines
