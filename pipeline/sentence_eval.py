"""How good the sentence matcher and the unique-sentence decision are: pure functions, no Beam.

- ``msrp_scores``: the sentence matcher (``align.paraphrase_score``, mutual coverage) as a
  paraphrase classifier on the Microsoft Research Paraphrase Corpus (Dolan & Brockett 2005,
  "Automatically constructing a corpus of sentential paraphrases"): a pair is predicted
  equivalent when its score reaches the threshold. Rows are JSON lines with ``a``, ``b``
  and ``label`` (1 = equivalent), as in ``../shared/eval/msrp_train.jsonl``.
- ``unique_sentence_scores``: sentence-level precision and recall of the sentences a run
  reported as unique to their outlet, against a hand-labelled gold file (JSON lines with
  ``article_id``, ``sentence`` and ``label``: ``unique``, ``shared``, ``heading`` or
  ``boilerplate``; see ``tests/data/seeds_unique_gold.jsonl``). Sentences are keyed by
  article id and text (spaces collapsed), so the gold survives changes of sentence indices.
  A gold for articles that may not be copied into the repository (``../shared/eval``) gives
  ``sentence_sha1``, the SHA-1 of that text, instead of the text
  (``tests/data/eval_unique_gold.jsonl``).

Conventions as in ``pipeline.metrics``: a precision with nothing predicted is 1.0, a
recall with nothing to find is 1.0, an F1 whose precision and recall are both 0 is 0.0.

Example:
    >>> scores = msrp_scores("../shared/eval/msrp_train.jsonl", 0.4)  # doctest: +SKIP
    >>> round(scores["accuracy"], 3)  # doctest: +SKIP
    0.724
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline.align import paraphrase_score

GOLD_LABELS = ("unique", "shared", "heading", "boilerplate")


def _ratio(numerator: float, denominator: float, empty: float) -> float:
    return numerator / denominator if denominator else empty


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _json_row(path: str | Path, number: int, line: str) -> dict[str, Any]:
    """One line of a JSON lines file as an object, or a ValueError naming the file and line."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}:{number}: not valid JSON ({error})") from None
    if not isinstance(row, dict):
        raise ValueError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
    return row


def read_pairs(path: str | Path) -> list[tuple[str, str, int]]:
    """(sentence a, sentence b, label) of every row of a sentence-pair JSON lines file."""
    pairs = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row = _json_row(path, number, line)
            try:
                a, b, label = row["a"], row["b"], row["label"]
            except KeyError as missing:
                raise ValueError(
                    f"{path}:{number}: a pair row needs 'a', 'b' and 'label'; {missing} is missing"
                ) from None
            # -1 or 2 counted as a paraphrase without a word (any non-zero label did).
            if isinstance(label, bool) or str(label).strip() not in ("0", "1"):
                raise ValueError(f"{path}:{number}: label must be 0 or 1, got {label!r}")
            pairs.append((a, b, int(str(label).strip())))
    return pairs


def classification_scores(scores: Sequence[float], labels: Sequence[int], threshold: float) -> dict[str, Any]:
    """Accuracy, precision, recall and F1 of predicting ``score >= threshold`` as label 1."""
    tp = fp = fn = tn = 0
    for score, label in zip(scores, labels, strict=True):
        predicted = score >= threshold
        if predicted and label:
            tp += 1
        elif predicted:
            fp += 1
        elif label:
            fn += 1
        else:
            tn += 1
    precision = _ratio(tp, tp + fp, 1.0)
    recall = _ratio(tp, tp + fn, 1.0)
    return {
        "threshold": threshold,
        "accuracy": _ratio(tp + tn, len(labels), 1.0),
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "pairs": len(labels),
        "positives": tp + fn,
        "predicted_positive": tp + fp,
    }


def msrp_sweep(
    path: str | Path,
    thresholds: Iterable[float],
    similarity: Callable[[str, str], float] = paraphrase_score,
) -> list[dict[str, Any]]:
    """``msrp_scores`` at several thresholds, scoring every pair once."""
    pairs = read_pairs(path)
    scores = [similarity(a, b) for a, b, _ in pairs]
    labels = [label for _, _, label in pairs]
    return [classification_scores(scores, labels, threshold) for threshold in thresholds]


def msrp_scores(
    path: str | Path,
    threshold: float,
    similarity: Callable[[str, str], float] = paraphrase_score,
) -> dict[str, Any]:
    """The matcher as a paraphrase classifier at ``threshold``.

    Returns ``accuracy``, ``f1``, ``precision``, ``recall``, ``pairs`` (rows scored),
    ``positives`` (rows labelled 1), ``predicted_positive`` and ``threshold``.
    """
    return msrp_sweep(path, [threshold], similarity)[0]


def sentence_sha1(sentence: str) -> str:
    """The key of a sentence's text in a gold file: SHA-1 of the text, spaces collapsed."""
    return hashlib.sha1(" ".join(sentence.split()).encode("utf-8")).hexdigest()


def sentence_key(article_id: str, sentence: str) -> tuple[str, str]:
    return article_id, sentence_sha1(sentence)


def load_unique_gold(path: str | Path) -> dict[tuple[str, str], str]:
    """``sentence_key`` -> gold label, from a JSON lines gold file."""
    gold: dict[tuple[str, str], str] = {}
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row = _json_row(path, number, line)
            if row.get("label") not in GOLD_LABELS:
                raise ValueError(
                    f"{path}:{number}: label must be one of {GOLD_LABELS}, got {row.get('label')!r}"
                )
            if "sentence_sha1" in row:
                gold[(row["article_id"], row["sentence_sha1"])] = row["label"]
            elif "sentence" in row:
                gold[sentence_key(row["article_id"], row["sentence"])] = row["label"]
            else:
                raise ValueError(f"{path}:{number}: a gold row needs 'sentence' or 'sentence_sha1'")
    return gold


def unique_sentence_scores(
    gold: Mapping[tuple[str, str], str],
    predicted: Iterable[tuple[str, str]],
    articles: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Precision and recall of the reported unique sentences against the gold labels.

    ``gold`` maps ``sentence_key`` to a label (``load_unique_gold``); ``predicted`` is
    the (article id, sentence) of every row of the ``unique_sentences`` table; ``articles``
    the ids of the run's articles (None: every gold article is). Only the gold's articles
    among them are scored: a gold article the run did not read has no sentence to miss. A
    reported sentence is correct when its gold label is ``unique``; reporting a ``shared``
    sentence, a heading, boilerplate or a sentence the gold does not know (a splitting
    change) is a false positive, counted by kind.
    """
    every_gold_article = {article for article, _ in gold}
    gold_articles = every_gold_article if articles is None else every_gold_article & set(articles)
    gold = {key: label for key, label in gold.items() if key[0] in gold_articles}
    reported = {sentence_key(a, s) for a, s in predicted if a in gold_articles}
    truth = {key for key, label in gold.items() if label == "unique"}
    tp = len(reported & truth)
    precision = _ratio(tp, len(reported), 1.0)
    recall = _ratio(tp, len(truth), 1.0)
    return {
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "tp": tp,
        "fp": len(reported) - tp,
        "fn": len(truth) - tp,
        "reported": len(reported),
        "gold_unique": len(truth),
        "reported_shared": sum(1 for key in reported if gold.get(key) == "shared"),
        "reported_headings": sum(1 for key in reported if gold.get(key) == "heading"),
        "reported_boilerplate": sum(1 for key in reported if gold.get(key) == "boilerplate"),
        "reported_unlabelled": sum(1 for key in reported if key not in gold),
        "articles": len(gold_articles),
        "gold_articles_not_in_the_run": len(every_gold_article - gold_articles),
    }
