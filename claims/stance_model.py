"""The learned stance model: does a sentence support or contradict a claim, or say nothing about it?

A cross-encoder (MiniLM-L6, fine-tuned by `train/stance.py`) reads the claim and the sentence
together and answers a probability for each of `LABELS`. It runs with onnxruntime and tokenizers
only (no torch); `models/stance/MODEL_CARD.md` says what it was trained on and how well it does.

    model = StanceModel.load()            # once per process: about a second
    probs = model.score([(claim, sentence), ...])   # array (n, 3), rows sum to 1, columns LABELS
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

SUPPORTS, CONTRADICTS, NEUTRAL = "supports", "contradicts", "neutral"
LABELS = (SUPPORTS, CONTRADICTS, NEUTRAL)

MODEL_DIR = Path(__file__).resolve().parent / "models" / "stance"
MODEL_FILE = MODEL_DIR / "model.onnx"
TOKENIZER_FILE = MODEL_DIR / "tokenizer.json"
MAX_LENGTH = 128  # tokens of claim and sentence together; the longer of the two is cut first
BATCH_SIZE = 32


class StanceModel:
    def __init__(self, session, tokenizer):
        self.session = session
        self.tokenizer = tokenizer

    @classmethod
    def load(cls, model_file: Path = MODEL_FILE, tokenizer_file: Path = TOKENIZER_FILE) -> StanceModel:
        return cls(session(model_file), tokenizer(tokenizer_file))

    @classmethod
    def from_bytes(cls, model: bytes, tokenizer_file: Path = TOKENIZER_FILE) -> StanceModel:
        """A model from serialized ONNX bytes (tests load altered weights this way)."""
        return cls(session(model), tokenizer(tokenizer_file))

    def score(self, pairs: Sequence[tuple[str, str]], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Probabilities of LABELS for each (claim, sentence) pair, shape (len(pairs), 3)."""
        if not pairs:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        result = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]  # similar lengths together: less padding
            result[chunk] = self._score_batch([pairs[i] for i in chunk])
        return result

    def labels(self, pairs: Sequence[tuple[str, str]]) -> list[str]:
        """The most probable label of each pair."""
        return [LABELS[i] for i in self.score(pairs).argmax(axis=1)]

    def _score_batch(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch([(claim, sentence) for claim, sentence in pairs])
        feed = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}
        (logits,) = self.session.run(["logits"], feed)
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def session(model: Path | bytes):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    options.log_severity_level = 3
    source = model if isinstance(model, bytes) else str(model)
    return onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def tokenizer(path: Path = TOKENIZER_FILE):
    """The MiniLM WordPiece tokenizer, cutting pairs to MAX_LENGTH and padding each batch."""
    from tokenizers import Tokenizer

    result = Tokenizer.from_file(str(path))
    result.enable_truncation(max_length=MAX_LENGTH, strategy="longest_first")
    result.enable_padding(pad_id=0, pad_token="[PAD]")
    return result


@cache
def default_model() -> StanceModel:
    """The shipped model, loaded once per process."""
    return StanceModel.load()
