"""Sweep the main matching thresholds on a labelled corpus and print a Markdown table.

    python benchmarks/threshold_sweep.py --input ../shared/eval/basil_dev.jsonl \\
        --input ../shared/eval/multinews_dev.jsonl > docs/threshold_sweep.md

Each point is a full pipeline run (``pipeline.evaluate.evaluate``); the quadratic
reference methods are skipped.
"""

from __future__ import annotations

import argparse
import itertools
import logging

from pipeline import config as config_module
from pipeline.errors import exit_on_user_error
from pipeline.evaluate import evaluate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", dest="inputs", action="append", required=True)
    parser.add_argument("--cluster", type=float, nargs="+", default=[0.13, 0.15, 0.17, 0.19, 0.21])
    parser.add_argument("--min-score", type=float, nargs="+", default=[0.08, 0.12])
    args = parser.parse_args(argv)
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    print(
        "| verify.min_score | cluster.threshold | ARI | pairwise P | pairwise R | F1 | BASIL recall "
        "| multinews P | candidates/article |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for min_score, threshold in itertools.product(args.min_score, args.cluster):
        if threshold < min_score:
            continue
        config = config_module.load(
            overrides=[f"verify.min_score={min_score}", f"cluster.threshold={threshold}"]
        )
        report = evaluate(args.inputs, config, all_pairs_limit=0)["pipeline"]
        sources = report["by_source"]
        basil = sources.get("basil", {}).get("pairwise", {}).get("recall", float("nan"))
        multinews = sources.get("multinews", {}).get("pairwise", {}).get("precision", float("nan"))
        pairwise = report["pairwise"]
        print(
            f"| {min_score} | {threshold} | {report['ari']:.3f} | {pairwise['precision']:.3f} | "
            f"{pairwise['recall']:.3f} | {pairwise['f1']:.3f} | {basil:.3f} | {multinews:.3f} | "
            f"{report['candidates_per_article']:.1f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    exit_on_user_error(main, "threshold_sweep.py")
