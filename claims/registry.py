"""The reviewed claims (`claims/registry.yml`), read, checked against their pages, and stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CLAIMS_DIR = Path(__file__).resolve().parent
REGISTRY_FILE = CLAIMS_DIR / "registry.yml"
SOURCES_DIR = CLAIMS_DIR / "sources"
REQUIRED = ("id", "source", "quote", "category", "statement", "query")


class RegistryError(ValueError):
    """The registry cannot be used; the message names the entry and the problem."""


def load_registry(path: str | Path = REGISTRY_FILE, sources_dir: str | Path = SOURCES_DIR) -> list[dict[str, Any]]:
    """Registry entries with their span (`start`, `end`) in the source text."""
    path, sources_dir = Path(path), Path(sources_dir)
    try:
        entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("claims")
    except (OSError, yaml.YAMLError) as exc:
        raise RegistryError(f"cannot read {path}: {exc}") from None
    if not isinstance(entries, list):
        raise RegistryError(f"{path} needs a `claims:` list")
    texts: dict[str, str] = {}
    seen: set[str] = set()
    claims = []
    for number, entry in enumerate(entries, 1):
        missing = [key for key in REQUIRED if not entry.get(key)]
        if missing:
            raise RegistryError(f"{path}, claim {number}: missing {', '.join(missing)}")
        if entry["id"] in seen:
            raise RegistryError(f"{path}: claim id {entry['id']!r} is listed twice")
        if "verdict" in entry or "stance" in entry:
            raise RegistryError(f"{path}, {entry['id']}: verdicts and stances are computed, never registered")
        if "asserts" in entry:
            raise RegistryError(f"{path}, {entry['id']}: what a claim asserts is read from its statement, "
                                "never registered")
        seen.add(entry["id"])
        if entry["source"] not in texts:
            source = sources_dir / entry["source"]
            if not source.exists():
                raise RegistryError(f"{path}, {entry['id']}: source {source} does not exist")
            texts[entry["source"]] = source.read_text(encoding="utf-8")
        start = texts[entry["source"]].find(entry["quote"])
        if start < 0:
            raise RegistryError(f"{path}, {entry['id']}: the quote is not in {entry['source']} "
                                "(the page changed? run `evidence claims extract`)")
        claims.append({**entry, "start": start, "end": start + len(entry["quote"])})
    return claims
