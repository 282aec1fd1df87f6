"""English for counts: one place that knows "1 study", "2 studies", "3 meta-analyses"."""

from __future__ import annotations


def plural(n: int, singular: str, many: str | None = None) -> str:
    """The noun for `n` things: `many` when given, else the singular with "s"."""
    return singular if n == 1 else (many or singular + "s")


def count(n: int, singular: str, many: str | None = None) -> str:
    """"1 study", "2 studies" (with `many="studies"`), "3 claims"."""
    return f"{n} {plural(n, singular, many)}"


def studies(n: int) -> str:
    return count(n, "study", "studies")
