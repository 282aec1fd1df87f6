"""The learned stance model: does a sentence support or contradict a claim, or say nothing about it?

A cross-encoder (MiniLM-L6, fine-tuned by `train/stance.py`) reads the claim and the sentence
together and answers a probability for each of `LABELS`. It runs with onnxruntime and tokenizers
only (no torch); `models/stance/MODEL_CARD.md` says what it was trained on and how well it does.

    model = StanceModel.load()            # once per process
    probs = model.score([(claim, sentence), ...])   # array (n, 3), rows sum to 1, columns LABELS
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from db.vocabulary import CONTRADICTS, NEUTRAL, SUPPORTS

LABELS = (SUPPORTS, CONTRADICTS, NEUTRAL)  # the model's outputs, in this order

MODEL_DIR = Path(__file__).resolve().parent / "models" / "stance"
MODEL_FILE = MODEL_DIR / "model.onnx"
TOKENIZER_FILE = MODEL_DIR / "tokenizer.json"
MAX_LENGTH = 128  # tokens of claim and sentence together; the longer of the two is cut first


class StanceModel:
    def __init__(self, model: bytes, tokenizer):
        self.session = session(model)
        self.tokenizer = tokenizer

    @classmethod
    def load(cls, model_file: Path = MODEL_FILE, tokenizer_file: Path = TOKENIZER_FILE) -> StanceModel:
        return cls(Path(model_file).read_bytes(), tokenizer(tokenizer_file))

    @classmethod
    def from_bytes(cls, model: bytes, tokenizer_file: Path = TOKENIZER_FILE) -> StanceModel:
        """A model from serialized ONNX bytes (tests load altered weights this way)."""
        return cls(model, tokenizer(tokenizer_file))

    def score(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Probabilities of LABELS for each (claim, sentence) pair, shape (len(pairs), 3).

        The pairs are tokenized together but run one at a time: the int8 graph scales its activations
        per run, so a batch would make a pair's score depend on the pairs beside it and their padding,
        and a score could not be cached. On the CPU this costs nothing: 200 Check-COVID dev pairs took
        1.9 s one at a time, 2.0 s in batches of 32."""
        result = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        encodings = self.tokenizer.encode_batch([(claim, sentence) for claim, sentence in pairs])
        for row, encoding in enumerate(encodings):
            feed = {"input_ids": np.array([encoding.ids], dtype=np.int64),
                    "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
                    "token_type_ids": np.array([encoding.type_ids], dtype=np.int64)}
            (logits,) = self.session.run(["logits"], feed)
            exp = np.exp(logits[0] - logits[0].max())
            result[row] = exp / exp.sum()
        return result

    def labels(self, pairs: Sequence[tuple[str, str]]) -> list[str]:
        """The most probable label of each pair."""
        return [LABELS[i] for i in self.score(pairs).argmax(axis=1)]


def session(model: bytes):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def tokenizer(path: Path = TOKENIZER_FILE, padding: bool = False):
    """The MiniLM WordPiece tokenizer, cutting pairs to MAX_LENGTH; `padding` pads each batch (training)."""
    from tokenizers import Tokenizer

    result = Tokenizer.from_file(str(path))
    result.enable_truncation(max_length=MAX_LENGTH, strategy="longest_first")
    if padding:
        result.enable_padding(pad_id=0, pad_token="[PAD]")
    else:
        result.no_padding()
    return result


@cache
def default_model() -> StanceModel:
    """The shipped model, loaded once per process."""
    return StanceModel.load()
