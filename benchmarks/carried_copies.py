"""How story matching holds up when other outlets carry copies of the stories.

    python benchmarks/carried_copies.py --input ../shared/eval/basil_dev.jsonl \\
        --input ../shared/eval/multinews_dev.jsonl --copies 0 1 2

A wire story reaches a feed as the rewrites of a few outlets and as near-copies that many
more carry, each lightly cut. This gives each article of the labelled corpus (or those whose
id starts with ``--carried``, default BASIL's: three independent reports of each event)
``k`` such copies: the same story label, an outlet of its own, each paragraph kept with
probability 0.7 (seeded). A story of three reports becomes one of ``3 (k + 1)`` articles,
so the terms its reports share are in more articles than ``features.detail_max_df``.

Each corpus is scored with ``pipeline.evaluate.evaluate``, the code behind ``storymatch
eval`` (its quadratic references skipped), under the default config and any ``--set``.
Prints a Markdown table: pairwise precision, recall and ARI over the whole corpus and for
each source (the id's prefix before the first ``-``). About 10 s a row on two cores.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import tempfile
from typing import Any

from pipeline import config as config_module
from pipeline.errors import exit_on_user_error
from pipeline.evaluate import evaluate

Record = dict[str, Any]
KEPT = 0.7  # the share of a story's paragraphs a carrying outlet keeps, on average


def carried(records: list[Record], copies: int, prefix: str, seed: int) -> list[Record]:
    """``records`` with ``copies`` near-copies after each record whose id starts with ``prefix``."""
    rng = random.Random(seed)
    out: list[Record] = []
    for record in records:
        out.append(record)
        if not str(record["id"]).startswith(prefix):
            continue
        paragraphs = [line for line in record["text"].split("\n") if line.strip()]
        for copy in range(copies):
            kept = [line for line in paragraphs if rng.random() < KEPT] or paragraphs[:1]
            outlet = f"{record.get('outlet') or 'outlet'} carrier {copy + 1}"
            copy_id = f"{record['id']}~carried{copy + 1}"
            out.append(dict(record, id=copy_id, outlet=outlet, text="\n".join(kept)))
    return out


def score(records: list[Record], config: config_module.Config) -> dict[str, Any]:
    """The pipeline's report on ``records``, as ``storymatch eval`` makes it."""
    with tempfile.TemporaryDirectory(prefix="storymatch-carried-") as folder:
        path = os.path.join(folder, "corpus.jsonl")
        with open(path, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return evaluate([path], config, all_pairs_limit=0)["pipeline"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", dest="inputs", action="append", required=True)
    parser.add_argument("--copies", type=int, nargs="+", default=[0, 1, 2], help="copies per article")
    parser.add_argument(
        "--carried", default="basil-", help="copy the articles whose id starts so ('' for all)"
    )
    parser.add_argument("--seed", type=int, default=7, help="chooses the paragraphs copies keep (default 7)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    args = parser.parse_args(argv)
    if any(count < 0 for count in args.copies):
        parser.error("--copies must be 0 or more")
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    config = config_module.load(overrides=args.overrides)
    records: list[Record] = []
    for path in args.inputs:
        with open(path, encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle if line.strip())
    print("| copies | articles | P | R | ARI | clusters found / true | by source: P / R / ARI |")
    print("|---|---|---|---|---|---|---|")
    for count in args.copies:
        report = score(carried(records, count, args.carried, args.seed), config)
        pairwise = report["pairwise"]
        sources = "; ".join(
            f"{name} {figures['pairwise']['precision']:.3f} / {figures['pairwise']['recall']:.3f} / "
            f"{figures['ari']:.3f}"
            for name, figures in sorted(report["by_source"].items())
        )
        print(
            f"| {count} | {report['articles']} | {pairwise['precision']:.3f} | {pairwise['recall']:.3f} | "
            f"{report['ari']:.3f} | {report['clusters_found']} / {report['clusters_true']} | {sources} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    exit_on_user_error(main, "carried_copies.py")
