"""Benchmark: the full pipeline against a plain MinHash LSH baseline on synthetic corpora.

For each size, on one synthetic corpus (``pipeline.synth``, labelled), in one invocation:

1. **pipeline**: ``run_job`` on Beam's local runner (FnApiRunner, one process), again
   with ``--direct_num_workers=2 --direct_running_mode=multi_processing``, and as a
   ``backfill`` (the corpus split by publication date into runs of ``--days-per-run`` days,
   each continuing the stories of the ones before, in process: memory bounded by a range);
2. **baseline**: datasketch ``MinHash(num_perm=128).update_batch`` per article over word
   5-shingles (lower-cased, punctuation removed: ``pipeline.baselines.word_shingles``), then
   ``MinHashLSH(threshold=0.5)`` insert and query; reading the JSON Lines is timed, nothing
   else is done;
3. **stage cores**: each stage's pure core run in one process over the same corpus, in
   pipeline order (``parse_file``, ``analyse_article``, document frequencies, ``weigh_terms``
   + ``salient_terms`` + ``BatchMinHasher``, ``window_keys`` + ``window_candidates`` (LSH per
   publication-time window), ``score_pairs``,
   components + ``cluster_component``, ``describe_story``). Beam does not report time per
   stage, so these are the cores' times, without Beam's overhead. ``describe_story`` stops
   after ``--stage-budget`` seconds and its time is extrapolated from a random sample.

Each run is a subprocess of its own. Reported per run: wall time of the measured work
(``run_job`` for the pipeline, read + sketch + index + query for the baseline; Python start-up
and imports excluded), CPU seconds of the process and of the processes it waited for (less
sensitive than wall time to other jobs on a shared machine), articles per second, peak
resident memory of the largest process (``os.wait4``'s ``ru_maxrss``) and the peak of the
process tree's summed RSS, sampled from ``/proc`` every 0.2 s (they differ in
multi_processing mode, where Beam starts workers). For the pipeline also: candidate pairs
per article (verifier counters) and clustering quality against the labels
(``pipeline.metrics.evaluate_clustering``: pairwise precision, recall, F1, ARI), computed
after the timed run.

A run that passes ``--timeout`` seconds or ``--memory-limit-gb`` of tree RSS is stopped
(its process group is killed) and recorded as such; the pipeline is then not tried at
larger sizes, nor at a size whose time, extrapolated linearly from the previous size, would
pass the timeout. ``--snapshot`` measures a copy of the code taken at the start, so that
edits made in the work tree during a long run change nothing.

Commands (the figures in docs/BENCHMARKS.md)::

    python benchmarks/run_benchmark.py --sizes 2000 5000 10000 --seed 1 --snapshot \\
        --timeout 3600 --stage-sizes 2000 10000
    python benchmarks/run_benchmark.py --table-from benchmarks/results/<file>.json

Quick check::

    python benchmarks/run_benchmark.py --sizes 2000 --modes in_process --skip-stages
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PIPELINE_MODES = {
    "in_process": [],
    "multi_processing": ["--direct_num_workers=2", "--direct_running_mode=multi_processing"],
    # The corpus as consecutive runs of --days-per-run days (``storymatch backfill``), in process.
    "backfill": [],
}
BASELINE_NUM_PERM = 128
BASELINE_THRESHOLD = 0.5
BASELINE_SHINGLE = 5
SKETCH_BATCH = 512
TABLE_COLUMNS = (
    "articles", "run", "status", "time (s)", "CPU (s)", "articles/s", "peak RSS (MB)", "tree RSS (MB)",
    "candidates/article", "precision", "recall", "F1", "ARI",
)  # fmt: skip  # the largest batch SketchArticles hands to BatchMinHasher


# --- Workers: each runs in its own subprocess and prints one JSON line ----------------------


def _emit(result: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(result), flush=True)


def worker_generate(args: argparse.Namespace) -> None:
    from pipeline.synth import write_jsonl

    _emit(write_jsonl(args.corpus, args.articles, args.seed))


def worker_baseline(args: argparse.Namespace) -> None:
    """datasketch MinHash + MinHashLSH over word 5-shingles; the labels only after timing."""
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    from pipeline.baselines import word_shingles

    started = time.perf_counter()
    ids, texts = [], []
    with open(args.corpus, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            ids.append(row["id"])
            texts.append(row["text"])
    read_seconds = time.perf_counter() - started
    index = MinHashLSH(threshold=BASELINE_THRESHOLD, num_perm=BASELINE_NUM_PERM)
    sketches = []
    with index.insertion_session() as session:
        for article_id, text in zip(ids, texts, strict=True):
            sketch = MinHash(num_perm=BASELINE_NUM_PERM, seed=1)
            sketch.update_batch(
                [shingle.encode("utf-8") for shingle in word_shingles(text, BASELINE_SHINGLE)]
            )
            sketch = LeanMinHash(sketch)
            session.insert(article_id, sketch)
            sketches.append(sketch)
    candidates = set()
    for article_id, sketch in zip(ids, sketches, strict=True):
        for other in index.query(sketch):
            if other != article_id:
                candidates.add((article_id, other) if article_id < other else (other, article_id))
    seconds = time.perf_counter() - started
    result = {
        "seconds": seconds,
        "read_seconds": read_seconds,
        "articles": len(ids),
        "bands": index.b,
        "rows": index.r,
        "candidate_pairs": len(candidates),
    }
    result["quality_untimed"] = _baseline_quality(args.corpus, ids, candidates)
    _emit(result)


def _baseline_quality(corpus: str, ids: list[str], candidates: set[tuple[str, str]]) -> dict[str, Any]:
    """The baseline's candidates joined by union-find, scored: context, not part of the timing."""
    from pipeline.cluster import UnionFind
    from pipeline.metrics import evaluate_clustering
    from pipeline.synth import read_labels

    sets = UnionFind()
    for first, second in candidates:
        sets.union(first, second)
    components = sets.components()
    predicted = {article_id: components.get(article_id, article_id) for article_id in ids}
    return _summary(evaluate_clustering(read_labels(corpus), predicted))


def _summary(evaluation: dict[str, Any]) -> dict[str, Any]:
    # Exact: the tables print 3 decimals of the figure, not of a 4-decimal rounding of it.
    pairwise = evaluation["pairwise"]
    return {
        "precision": pairwise["precision"],
        "recall": pairwise["recall"],
        "f1": pairwise["f1"],
        "ari": evaluation["ari"],
        "clusters_true": evaluation["clusters_true"],
        "clusters_found": evaluation["clusters_found"],
    }


def _combined(jobs: list) -> Any:
    """The row counts and counters of a backfill's runs summed, as one job."""
    from pipeline.run import JobResult

    rows: dict[str, int] = {}
    counters: dict[str, int] = {}
    for job in jobs:
        for name, value in job.row_counts.items():
            rows[name] = rows.get(name, 0) + value
        for name, value in job.counters.items():
            counters[name] = counters.get(name, 0) + value
    first = jobs[0]
    return JobResult(
        first.output,
        first.run_id,
        first.run_date,
        first.input_files,
        rows,
        counters,
        first.bands,
        first.rows,
        sum(job.seconds for job in jobs),
    )


def worker_pipeline(args: argparse.Namespace) -> None:
    import logging
    import warnings

    import pyarrow.parquet as pq

    from pipeline import config as config_module
    from pipeline.metrics import evaluate_clustering
    from pipeline.run import run_job
    from pipeline.synth import read_labels

    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    config = config_module.load(args.config, args.overrides)
    # A fresh output folder: run_job keeps state there, and a second run would be incremental.
    shutil.rmtree(args.output, ignore_errors=True)
    started = time.perf_counter()
    runs = 1
    if args.mode == "backfill":
        from pipeline.backfill import backfill

        _, jobs = backfill([args.corpus], args.output, config, [], args.days_per_run)
        job, runs = _combined(jobs), len(jobs)
    else:
        job = run_job([args.corpus], args.output, config, PIPELINE_MODES[args.mode])
    seconds = time.perf_counter() - started
    table = pq.read_table(
        os.path.join(args.output, "articles"), columns=["article_id", "cluster_id"]
    ).to_pydict()
    predicted = dict(zip(table["article_id"], table["cluster_id"], strict=True))
    truth = read_labels(args.corpus)
    scored = sum(value for name, value in job.counters.items() if name.startswith("verify/pairs_"))
    _emit(
        {
            "seconds": seconds,
            "runs": runs,
            "articles": job.row_counts["articles"],
            "bands": job.bands,
            "rows": job.rows,
            "candidate_pairs": scored,
            "candidate_pairs_per_article": round(scored / max(1, job.row_counts["articles"]), 3),
            "verified_pairs": job.counters.get("verify/pairs_verified", 0),
            "row_counts": job.row_counts,
            "counters": job.counters,
            "quality": _summary(evaluate_clustering(truth, predicted)),
        }
    )


def worker_stages(args: argparse.Namespace) -> None:
    """Each stage's pure core over the corpus, in one process, in pipeline order."""
    import numpy as np

    from pipeline import config as config_module
    from pipeline.analyse import analyse_article
    from pipeline.cluster import cluster_component, cluster_id, connected_components
    from pipeline.features import (
        detail_ids,
        found_only_here,
        salient_terms,
        term_buckets,
        term_frequencies,
        term_vector,
        weigh_terms,
    )
    from pipeline.lsh import BucketStats, band_parameters
    from pipeline.metrics import evaluate_clustering
    from pipeline.outlets import describe_story
    from pipeline.read import parse_file
    from pipeline.records import Article, ArticleSketch
    from pipeline.signatures import BatchMinHasher
    from pipeline.synth import read_labels
    from pipeline.verify import score_pairs
    from pipeline.windows import UNDATED, window_candidates, window_keys

    config = config_module.load(args.config, args.overrides)
    times: dict[str, float] = {}
    cpu_times: dict[str, float] = {}
    counts: dict[str, Any] = {}
    cpu_mark = [time.process_time()]

    def timed(name: str, started: float) -> None:
        times[name] = round(time.perf_counter() - started, 3)
        cpu_times[name] = round(time.process_time() - cpu_mark[0], 3)
        cpu_mark[0] = time.process_time()

    started = time.perf_counter()
    read = parse_file(args.corpus, config.input.max_chars, date_order=config.input.date_order)
    articles = [a for a in read if isinstance(a, Article)]
    timed("read: parse_file", started)

    started = time.perf_counter()
    analysed = [analyse_article(article, config.features.kinds) for article in articles]
    timed("analyse: analyse_article", started)

    started = time.perf_counter()
    canonical_by_hash: dict[str, Any] = {}
    for item in analysed:
        kept = canonical_by_hash.get(item.content_hash)
        if kept is None or item.article.id < kept.article.id:
            canonical_by_hash[item.content_hash] = item
    canonical = sorted(canonical_by_hash.values(), key=lambda item: item.article.id)
    canonical_of = {item.article.id: canonical_by_hash[item.content_hash].article.id for item in analysed}
    timed("dedupe: content hash", started)
    counts["exact_duplicates"] = len(analysed) - len(canonical)

    started = time.perf_counter()
    df_table = np.zeros(config.features.df_buckets, dtype=np.uint32)
    for item in canonical:
        df_table[term_buckets(item.terms, config.features.df_buckets)] += 1
    num_documents = len(canonical)
    timed("document frequencies: term_buckets", started)

    started = time.perf_counter()
    hasher = BatchMinHasher(config.lsh.num_perm, config.lsh.seed)
    sketches = []
    for low in range(0, len(canonical), SKETCH_BATCH):
        batch = canonical[low : low + SKETCH_BATCH]
        vectors, salient, details = [], [], []
        for item in batch:
            terms, ids, weights = weigh_terms(item.terms, df_table, num_documents)
            vectors.append(term_vector(ids, weights))
            details.append(detail_ids(ids, df_table, config.features.detail_max_df))
            salient.append(
                salient_terms(terms, weights, config.features.salient_terms, found_only_here(ids, df_table))
            )
        signatures = hasher.signatures(salient)
        for item, vector, rare, signature in zip(batch, vectors, details, signatures, strict=True):
            article = item.article
            sketches.append(
                ArticleSketch(
                    article.id,
                    article.outlet,
                    article.published_us,
                    vector,
                    signature,
                    details=rare,
                    frequencies=term_frequencies(vector.ids, df_table),
                )
            )
    timed("sketch: weigh_terms + salient_terms + BatchMinHasher", started)

    started = time.perf_counter()
    bands, rows = band_parameters(config.lsh.threshold, config.lsh.num_perm)
    max_days = config.verify.max_days_apart
    windows: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for sketch in sketches:
        for key, is_own in window_keys(sketch.published_us, max_days):
            windows[key][0 if is_own else 1].append(sketch)
    undated = windows[UNDATED][0] if UNDATED in windows else []
    stats = BucketStats()
    window_candidates_found = []
    for key, (own, neighbours) in windows.items():
        extra = undated if key != UNDATED else []
        window_candidates_found.append(
            window_candidates(own, neighbours + extra, bands, rows, config.lsh.bucket_cap, max_days, stats)
        )
    timed("lsh: window_keys + window_candidates", started)
    candidate_count = sum(len(pairs) for _, pairs in window_candidates_found)
    counts.update(
        candidate_pairs=candidate_count,
        candidate_pairs_per_article=round(candidate_count / max(1, len(articles)), 3),
        windows=len(windows),
        largest_window=max((len(own) + len(nb) for own, nb in windows.values()), default=0),
        shared_buckets=stats.shared,
        largest_bucket=stats.largest,
        oversized_buckets=stats.oversized,
    )

    started = time.perf_counter()
    max_df = config.features.detail_max_df
    scored = []
    reasons: Counter[str] = Counter()
    for members, pairs in window_candidates_found:
        decisions = score_pairs(members, pairs, config.verify, max_df)
        reasons.update(decisions.reason.tolist())
        scored.extend(decisions.verified(members))
    timed("verify: score_pairs", started)
    counts["verified_pairs"] = len(scored)
    counts["pairs_by_reason"] = dict(reasons)

    started = time.perf_counter()
    by_id = {sketch.id: sketch for sketch in sketches}
    edges = [(pair.a, pair.b, pair.score) for pair in scored if pair.verified]
    components = connected_components((a, b) for a, b, _ in edges)
    edges_by_component: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    for edge in edges:
        edges_by_component[components[edge[0]]].append(edge)
    # As ClusterStories: every pair inside a component of up to cluster.max_scored_component
    # articles is scored too (where the config has that setting), then average linkage.
    max_scored = getattr(config.cluster, "max_scored_component", 0)
    story_of: dict[str, str] = {}
    component_sizes = []
    component_pairs = 0
    for component_edges in edges_by_component.values():
        members = sorted({a for a, _, _ in component_edges} | {b for _, b, _ in component_edges})
        component_sizes.append(len(members))
        if len(members) <= max_scored:
            known = {(a, b) for a, b, _ in component_edges}
            unknown = [
                (i, j)
                for i in range(len(members))
                for j in range(i + 1, len(members))
                if (members[i], members[j]) not in known
            ]
            component_pairs += len(unknown)
            sketched = [by_id[article_id] for article_id in members]
            position = {article_id: index for index, article_id in enumerate(members)}
            copy_score = config.verify.copy_score
            copies = [(position[a], position[b]) for a, b, score in component_edges if score >= copy_score]
            unknown_pairs = np.array(unknown, dtype=np.int64)
            decisions = score_pairs(sketched, unknown_pairs, config.verify, max_df, np.array(copies))
            component_edges.extend((pair.a, pair.b, pair.score) for pair in decisions.verified(sketched))
        for story in cluster_component(members, component_edges, config.cluster.threshold):
            story_id = cluster_id(story)
            for article_id in story:
                story_of[article_id] = story_id
    predicted = {}
    for item in analysed:
        canonical_id = canonical_of[item.article.id]
        predicted[item.article.id] = story_of.get(canonical_id) or cluster_id([canonical_id])
    timed("cluster: components + score_pairs inside them + cluster_component", started)
    counts.update(
        components=len(component_sizes),
        largest_component=max(component_sizes, default=0),
        component_pairs_scored=component_pairs,
    )

    started = time.perf_counter()
    members_of: dict[str, list[Any]] = defaultdict(list)
    for item in analysed:
        members_of[predicted[item.article.id]].append(item)
    alignments = described = described_articles = 0
    largest_story = max((len(m) for m in members_of.values()), default=0)
    # Stories in a random (seeded) order, so that a run stopped by --stage-budget has timed a
    # fair sample and its time can be extrapolated by articles.
    order = sorted(members_of, key=lambda story_id: hashlib.sha1(story_id.encode()).hexdigest())
    deadline = time.perf_counter() + args.stage_budget
    for story_id in order:
        if described and time.perf_counter() > deadline:  # one story at least: a sample to scale
            break
        members = sorted(members_of[story_id], key=lambda item: item.article.id)
        vectors = [term_vector(*weigh_terms(m.terms, df_table, num_documents)[1:]) for m in members]
        rows_out = describe_story(story_id, members, vectors, config.sentences)
        alignments += len(rows_out.get("sentence_alignments", []))
        described += 1
        described_articles += len(members)
    timed("describe: describe_story", started)
    counts.update(
        stories=len(members_of),
        stories_described=described,
        largest_story=largest_story,
        sentence_alignment_rows=alignments,
    )
    if described < len(members_of):
        share = described_articles / len(analysed)
        counts["describe_note"] = (
            f"stopped by --stage-budget {args.stage_budget:.0f} s after {described} of "
            f"{len(members_of)} stories ({share:.1%} of the articles, a random sample); "
            "its time and rows are extrapolated"
        )
        scale = 1 / max(share, 1e-9)
        times["describe: describe_story"] = round(times["describe: describe_story"] * scale, 3)
        cpu_times["describe: describe_story"] = round(cpu_times["describe: describe_story"] * scale, 3)
        counts["sentence_alignment_rows"] = round(alignments * scale)
    _emit(
        {
            "seconds": round(sum(times.values()), 3),
            "cpu_seconds": round(sum(cpu_times.values()), 3),
            "articles": len(articles),
            # A list, so that the stages keep the pipeline's order in the JSON file.
            "stages": [
                {"stage": name, "seconds": seconds, "cpu_seconds": cpu_times[name]}
                for name, seconds in times.items()
            ],
            "counts": counts,
            "quality": _summary(evaluate_clustering(read_labels(args.corpus), predicted)),
        }
    )


WORKERS = {
    "generate": worker_generate,
    "baseline": worker_baseline,
    "pipeline": worker_pipeline,
    "stages": worker_stages,
}


# --- Measuring a subprocess ---------------------------------------------------------------


def _tree_rss_kb(root: int) -> int:
    """Summed VmRSS of ``root`` and all its descendants, from /proc (0 where unreadable)."""
    children: dict[int, list[int]] = defaultdict(list)
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm", encoding="utf-8") as handle:
                pages = int(handle.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children[int(fields[1])].append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(
    kind: str, extra: list[str], timeout: float, memory_limit_kb: int, code: Path = REPO
) -> dict[str, Any]:
    """Runs one worker in a new process group; returns its result plus wall, memory and status.

    ``code`` is the folder whose ``pipeline`` package the worker (and Beam's workers) import.
    """
    command = [sys.executable, str(code / "benchmarks" / "run_benchmark.py"), "_worker", kind, *extra]
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")])),
    }
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=code,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    peak_tree = 0
    status = "ok"
    output: dict[str, str] = {}

    def drain(name: str, stream) -> None:
        output[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=("stdout", process.stdout), daemon=True),
        threading.Thread(target=drain, args=("stderr", process.stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    while True:
        # wait4 rather than poll(): it also returns the finished worker's resource usage.
        pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak_tree = max(peak_tree, _tree_rss_kb(process.pid))
        elapsed = time.perf_counter() - started
        if status == "ok" and (elapsed > timeout or peak_tree > memory_limit_kb):
            status = "timeout" if elapsed > timeout else "memory_limit"
            os.killpg(process.pid, signal.SIGKILL)  # the worker's own group: it and Beam's workers
        time.sleep(0.2)
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    for reader in readers:
        reader.join()
    wall = time.perf_counter() - started
    result: dict[str, Any] = {}
    for line in output.get("stdout", "").splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
    if status == "ok" and process.returncode != 0:
        status = f"failed (exit {process.returncode})"
    if status != "ok":
        result["stderr_tail"] = output.get("stderr", "")[-2000:]
    result.update(
        status=status,
        process_wall_seconds=round(wall, 3),
        # CPU seconds of the worker and the processes it waited for (Beam's workers): less
        # sensitive than wall time to other jobs on a shared machine.
        process_cpu_seconds=round(usage.ru_utime + usage.ru_stime, 1),
        load_average_before_after=[round(load_before, 2), round(os.getloadavg()[0], 2)],
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
        peak_tree_rss_mb=round(peak_tree / 1024, 1),
    )
    if "seconds" in result and result.get("articles"):
        result["articles_per_second"] = round(result["articles"] / result["seconds"], 1)
    return result


# --- The benchmark --------------------------------------------------------------------------


def snapshot(workdir: Path) -> Path:
    """Copies the code a benchmark measures, so edits made while it runs change nothing."""
    target = workdir / "code"
    shutil.rmtree(target, ignore_errors=True)
    for folder in ("pipeline", "schemas", "configs", "benchmarks"):
        shutil.copytree(REPO / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _machine() -> dict[str, Any]:
    memory_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu
            )
    except OSError:
        pass
    from importlib import metadata

    versions = {}
    for package in ("apache-beam", "datasketch", "numpy", "pyarrow"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    code = {}
    try:
        code["commit"] = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--short", "pipeline", "configs"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
        code["uncommitted"] = [line.strip() for line in status if line.strip()]
    except (OSError, subprocess.CalledProcessError):
        code["commit"] = "unknown"
    return {
        "code": code,
        "cpus": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "versions": versions,
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
    }


def _last_line(text: str) -> str:
    """The last non-empty line of a worker's stderr: the exception that stopped it."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _failed(results: dict[str, Any]) -> list[str]:
    """The measurements whose worker failed (a timeout or the memory limit is a result, not a failure),
    and the corpora not written: a size without its corpus measured nothing."""
    failed = []
    for size, entry in results["sizes"].items():
        for name, run in entry.items():
            status = str(run.get("status", "")) if isinstance(run, dict) else ""
            if status.startswith("failed") or (name == "corpus" and status != "ok"):
                failed.append(f"{name} at {size}")
    return failed


def _line(label: str, run: dict[str, Any]) -> str:
    if run.get("status") != "ok":
        line = f"  {label:<28} {run.get('status')} after {run.get('process_wall_seconds', 0):.0f} s"
        # A worker stopped by --timeout or the memory limit raised nothing: its last line is a log line.
        failed = str(run.get("status")).startswith("failed")
        cause = _last_line(run.get("stderr_tail", "")) if failed else ""
        return f"{line}: {cause}" if cause else line
    text = (
        f"  {label:<28} {run['seconds']:9.1f} s (cpu {run['process_cpu_seconds']:.0f} s) "
        f"{run['articles_per_second']:9.1f} art/s "
        f"peak {run['peak_rss_mb']:8.0f} MB (tree {run['peak_tree_rss_mb']:.0f} MB)"
    )
    if run.get("runs", 1) > 1:
        text += f"  {run['runs']} runs"
    if "candidate_pairs_per_article" in run:
        text += f"  cand/art {run['candidate_pairs_per_article']}"
    quality = run.get("quality") or run.get("quality_untimed")
    if quality:
        text += (
            f"  P {quality['precision']:.3f} R {quality['recall']:.3f}"
            f" F1 {quality['f1']:.3f} ARI {quality['ari']:.3f}"
        )
    return text


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def _positive(convert, expected: str):
    """An argparse type: ``convert`` the text and refuse anything but a finite number above 0.

    A size of 0 left nothing to measure (and crashed the report), a NaN timeout never fired.
    """

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_size = _positive(int, "a whole number of articles, 1 or more")
_number = _positive(float, "a number above 0")


def _days(text: str) -> int:
    """``--days-per-run``: as ``storymatch backfill`` takes it."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 366:
        raise argparse.ArgumentTypeError(f"expected a whole number of days from 1 to 366, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Without --sizes a newcomer starts three runs of 100,000 articles (12 minutes and 5 GB each): say so.
    parser.add_argument(
        "--sizes",
        type=_size,
        nargs="+",
        default=[10_000, 100_000],
        help="corpus sizes (articles; default 10000 100000)",
    )
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument(
        "--modes",
        nargs="*",
        choices=sorted(PIPELINE_MODES),
        default=list(PIPELINE_MODES),
        help=f"pipeline runs (default: {' '.join(PIPELINE_MODES)}; none: only the baseline and the "
        "stage cores)",
    )
    parser.add_argument("--skip-stages", action="store_true", help="do not time the stage cores")
    parser.add_argument(
        "--stage-sizes",
        type=_size,
        nargs="*",
        default=None,
        help="sizes at which to time the stage cores (default: all)",
    )
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the baseline")
    parser.add_argument(
        "--workdir", default=None, help="folder for corpora and outputs (default: a temp folder)"
    )
    parser.add_argument(
        "--results",
        default=None,
        help="JSON file to write the results to (default: benchmarks/results/<UTC time>.json, git-ignored)",
    )
    parser.add_argument(
        "--timeout", type=_number, default=1500, help="seconds one run may take (default 1500)"
    )
    parser.add_argument(
        "--memory-limit-gb",
        type=_number,
        default=12,
        help="tree RSS in GB at which a run is stopped (default 12)",
    )
    parser.add_argument(
        "--stage-budget",
        type=_number,
        default=900,
        help="seconds describe_story may take in the stage cores; the rest is extrapolated (default 900)",
    )
    parser.add_argument(
        "--days-per-run",
        type=_days,
        default=7,
        help="days of articles per run in the backfill mode, 1 to 366 (default 7)",
    )
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="measure a copy of the code taken at the start (for a work tree others are editing)",
    )
    parser.add_argument(
        "--table-from", default=None, help="print the Markdown tables of a results file and stop"
    )
    parser.add_argument("--config", default=None, help="pipeline config (default configs/default.toml)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="a pipeline setting, as storymatch run --set takes it (repeatable)",
    )
    return parser


def run(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.table_from:
        try:
            print(markdown(json.loads(Path(args.table_from).read_text(encoding="utf-8"))))
        except (OSError, ValueError) as error:
            parser.error(f"--table-from {args.table_from}: {error}")
        return 0
    # A bad setting would otherwise be found by the first pipeline run, after the corpus and
    # the baseline (minutes at 100,000 articles).
    from pipeline import config as config_module

    try:
        config_module.load(args.config, args.overrides)
    except config_module.ConfigError as error:
        parser.error(str(error))

    results_name = time.strftime("%Y%m%dT%H%M%SZ.json", time.gmtime())
    if args.results is None:
        args.results = str(REPO / "benchmarks" / "results" / results_name)
    elif Path(args.results).is_dir():  # a folder, as the default is: a file of its own in it
        args.results = str(Path(args.results) / results_name)
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="storymatch-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    code = snapshot(workdir) if args.snapshot else REPO
    config_flags = (["--config", args.config] if args.config else []) + [
        flag for item in args.overrides for flag in ("--set", item)
    ]
    memory_limit_kb = int(args.memory_limit_gb * 1024 * 1024)
    results: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": _machine(),
        "baseline": {
            "method": "datasketch MinHash.update_batch over word 5-shingles + MinHashLSH insert/query",
            "num_perm": BASELINE_NUM_PERM,
            "threshold": BASELINE_THRESHOLD,
        },
        "sizes": {},
    }
    results["code_measured"] = str(code)
    print(f"machine: {results['machine']}")
    print(f"workdir: {workdir}")
    given_up: dict[str, str] = {}
    previous: dict[str, tuple[int, float]] = {}
    for size in sorted(args.sizes):
        corpus = workdir / f"synthetic-{size}-seed{args.seed}.jsonl"
        entry: dict[str, Any] = {}
        print(f"\n== {size:,} articles ==")
        generated = measure(
            "generate",
            ["--corpus", str(corpus), "--articles", str(size), "--seed", str(args.seed)],
            args.timeout,
            memory_limit_kb,
            code,
        )
        entry["corpus"] = generated
        if generated["status"] != "ok":
            # No corpus, or part of one (or an earlier run's file): nothing to measure at this size.
            print(_line("corpus", generated))
            results["sizes"][str(size)] = entry
            Path(args.results).write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
            continue
        print(
            f"  corpus: {generated.get('articles')} articles in {generated.get('stories')} stories, "
            f"generated in {generated.get('seconds')} s (peak {generated['peak_rss_mb']:.0f} MB)"
        )
        if not args.skip_baseline:
            entry["baseline"] = measure(
                "baseline", ["--corpus", str(corpus)], args.timeout, memory_limit_kb, code
            )
            print(_line("baseline (datasketch)", entry["baseline"]))
        for mode in args.modes:
            name = f"pipeline_{mode}"
            if name in given_up:
                entry[name] = {"status": given_up[name]}
                print(f"  {name:<28} {given_up[name]}")
                continue
            if name in previous:
                last_size, last_seconds = previous[name]
                projected = last_seconds * size / last_size
                if projected > args.timeout:
                    entry[name] = {"status": f"skipped: projected {projected:.0f} s > --timeout"}
                    print(f"  {name:<28} {entry[name]['status']}")
                    continue
            output = workdir / f"out-{size}-{mode}"
            entry[name] = measure(
                "pipeline",
                [
                    "--corpus",
                    str(corpus),
                    "--output",
                    str(output),
                    "--mode",
                    mode,
                    "--days-per-run",
                    str(args.days_per_run),
                    *config_flags,
                ],
                args.timeout,
                memory_limit_kb,
                code,
            )
            print(_line(name, entry[name]))
            if entry[name]["status"] == "ok":
                previous[name] = (size, entry[name]["seconds"])
            else:
                given_up[name] = f"skipped: {entry[name]['status']} at {size:,} articles"
        if not args.skip_stages and (args.stage_sizes is None or size in args.stage_sizes):
            entry["stage_cores"] = measure(
                "stages",
                ["--corpus", str(corpus), "--stage-budget", str(args.stage_budget), *config_flags],
                args.timeout,
                memory_limit_kb,
                code,
            )
            stages = entry["stage_cores"]
            print(f"  stage cores (pure functions in one process, no Beam): {stages['status']}")
            for stage in stages.get("stages", []):
                print(
                    f"    {stage['stage']:<60} {stage['seconds']:9.1f} s (cpu {stage['cpu_seconds']:.1f} s)"
                )
            if stages.get("counts"):
                print(f"    counts: {stages['counts']}")
        entry["ratios"] = _size_ratios(entry)
        print(f"  ratios: {entry['ratios']}")
        results["sizes"][str(size)] = entry
        Path(args.results).write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
    results["scaling"] = _scaling(results["sizes"])
    print(f"\nscaling: {results['scaling']}")
    Path(args.results).write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
    print(f"results: {args.results}")
    failed = _failed(results)
    if failed:
        print(f"run_benchmark: {len(failed)} measurement(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def markdown(results: dict[str, Any]) -> str:
    """The results as the Markdown tables of docs/BENCHMARKS.md."""
    lines = [
        "| " + " | ".join(TABLE_COLUMNS) + " |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    stage_rows = []
    for size, entry in sorted(results["sizes"].items(), key=lambda item: int(item[0])):
        for name in ("baseline", *(f"pipeline_{mode}" for mode in PIPELINE_MODES)):
            run_entry = entry.get(name)
            if run_entry is None:
                continue
            quality = run_entry.get("quality") or run_entry.get("quality_untimed") or {}
            ok = run_entry.get("status") == "ok"

            def cell(key: str, digits: int = 1, source: dict[str, Any] = run_entry, show: bool = ok) -> str:
                value = source.get(key)
                return "" if value is None or not show else f"{value:,.{digits}f}"

            status = str(run_entry.get("status"))
            if not ok and "process_wall_seconds" in run_entry:
                status += f" after {run_entry['process_wall_seconds']:,.0f} s"
            cells = [
                f"{int(size):,}",
                name,
                status,
                cell("seconds"),
                cell("process_cpu_seconds", 0),
                cell("articles_per_second"),
                # A stopped run's peaks are lower bounds of what it would have needed.
                cell("peak_rss_mb", 0, show=True),
                cell("peak_tree_rss_mb", 0, show=True),
                cell("candidate_pairs_per_article", 2),
                *(cell(key, 3, quality) for key in ("precision", "recall", "f1", "ari")),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        stages = entry.get("stage_cores", {})
        listed = stages.get("stages") or [  # results written before stages became a list
            {
                "stage": name,
                "seconds": seconds,
                "cpu_seconds": stages.get("stage_cpu_seconds", {}).get(name, 0.0),
            }
            for name, seconds in stages.get("stage_seconds", {}).items()
        ]
        for stage in listed:
            per_article = 1000 * stage["cpu_seconds"] / max(1, stages.get("articles", 1))
            stage_rows.append(
                f"| {int(size):,} | {stage['stage']} | {stage['seconds']:,.1f} | {stage['cpu_seconds']:,.1f} "
                f"| {per_article:.2f} |"
            )
    if stage_rows:
        lines += [
            "",
            "Stage cores (pure functions in one process, without Beam):",
            "",
            "| articles | stage | time (s) | CPU (s) | CPU ms/article |",
            "|---:|---|---:|---:|---:|",
            *stage_rows,
        ]
    return "\n".join(lines)


def _throughput(run: dict[str, Any] | None) -> float | None:
    return run.get("articles_per_second") if run and run.get("status") == "ok" else None


def _size_ratios(entry: dict[str, Any]) -> dict[str, Any]:
    baseline = _throughput(entry.get("baseline"))
    ratios = {}
    for mode in PIPELINE_MODES:
        run_entry = entry.get(f"pipeline_{mode}")
        if run_entry is not None:
            ratios[f"throughput_{mode}_over_baseline"] = _ratio(_throughput(run_entry), baseline)
    return ratios


def _scaling(sizes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """time(largest) / time(smallest) per pipeline mode, with the size ratio for reference."""
    ordered = sorted(sizes, key=int)
    if len(ordered) < 2:
        return {}
    small, large = ordered[0], ordered[-1]
    scaling: dict[str, Any] = {"sizes": [int(small), int(large)], "size_ratio": int(large) / int(small)}
    for name in [f"pipeline_{mode}" for mode in PIPELINE_MODES] + ["baseline"]:
        a, b = sizes[small].get(name, {}), sizes[large].get(name, {})
        if a.get("status") == "ok" and b.get("status") == "ok":
            scaling[f"{name}_time_ratio"] = _ratio(b["seconds"], a["seconds"])
            scaling[f"{name}_peak_tree_rss_mb_at_{large}"] = b["peak_tree_rss_mb"]
    return scaling


def _worker_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_benchmark.py _worker")
    parser.add_argument("kind", choices=sorted(WORKERS))
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--articles", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", default=None)
    parser.add_argument("--mode", choices=sorted(PIPELINE_MODES), default="in_process")
    parser.add_argument("--days-per-run", type=int, default=7)
    parser.add_argument("--stage-budget", type=float, default=900)
    parser.add_argument("--config", default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args(argv)
    WORKERS[args.kind](args)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        sys.exit(_worker_main(sys.argv[2:]))
    sys.exit(run())
