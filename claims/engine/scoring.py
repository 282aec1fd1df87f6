"""The stance model's scores through the database's cache (`db.stance_scores`).

    scorer = CachedScorer(db, default_model(), store=True)
    probabilities = scorer([(claim, sentence), ...])   # as StanceModel.score

Pairs already scored by this model come from the cache; only the others reach the model. `store`
keeps the new scores (linking does; a one-off `evidence check` only reads the cache).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlite_utils import Database

from claims.stance_model import LABELS, StanceModel
from db.stance_scores import cached_scores, store_scores


class CachedScorer:
    def __init__(self, db: Database, model: StanceModel, store: bool = False):
        self.db, self.model, self.store = db, model, store
        self.computed = 0  # pairs the model read (not found in the cache), for benchmarks and tests

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        pairs = list(pairs)
        found = cached_scores(self.db, self.model.version, pairs)
        missing = list(dict.fromkeys(p for p in pairs if p not in found))
        if missing:
            fresh = dict(zip(missing, map(tuple, self.model.score(missing).tolist()), strict=True))
            self.computed += len(missing)
            if self.store:
                store_scores(self.db, self.model.version, fresh.items())
            found.update(fresh)
        return np.array([found[p] for p in pairs], dtype=np.float32).reshape(len(pairs), len(LABELS))
