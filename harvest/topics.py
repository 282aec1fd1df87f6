"""The configured PubMed searches (`harvest/topics.yml`), read and checked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

TOPICS_FILE = Path(__file__).resolve().parent / "topics.yml"
DEFAULT_OVERLAP_DAYS = 3
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class TopicsError(ValueError):
    """The topics file cannot be used; the message names the file and the entry."""


def load_topics(path: str | Path = TOPICS_FILE) -> list[dict[str, Any]]:
    """Topics as dicts with `name`, `query`, `description` and `overlap_days`."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TopicsError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise TopicsError(f"{path} is not valid YAML: {exc}") from None
    entries = data.get("topics") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise TopicsError(f"{path} needs a `topics:` list with at least one entry")
    topics, seen = [], set()
    for number, entry in enumerate(entries, 1):
        where = f"{path}, topic {number}"
        if not isinstance(entry, dict):
            raise TopicsError(f"{where}: expected a mapping with name and query")
        name = str(entry.get("name") or "").strip()
        query = " ".join(str(entry.get("query") or "").split())
        if not _NAME.match(name):
            raise TopicsError(f"{where}: name {name!r} must be lower-case letters, digits, - or _")
        if name in seen:
            raise TopicsError(f"{where}: topic {name!r} is listed twice")
        if not query:
            raise TopicsError(f"{where} ({name}): the query is empty")
        overlap = entry.get("overlap_days", DEFAULT_OVERLAP_DAYS)
        if not isinstance(overlap, int) or isinstance(overlap, bool) or overlap < 0:
            raise TopicsError(f"{where} ({name}): overlap_days must be a whole number of days ≥ 0")
        unknown = set(entry) - {"name", "query", "description", "overlap_days"}
        if unknown:
            raise TopicsError(f"{where} ({name}): unknown keys {', '.join(sorted(unknown))}")
        seen.add(name)
        topics.append({"name": name, "query": query, "overlap_days": overlap,
                       "description": " ".join(str(entry.get("description") or "").split()) or None})
    return topics
