"""Parts of the reviewer's pages drawn once per data version instead of once per request.

Datasette renders its templates with Jinja's async mode, where every loop step costs an await:
a scorecard's 20 rows took most of its answer time. The parts that depend only on the data
(and on no visitor) live in `templates/fragments/` and are rendered here with plain Jinja,
then kept with the data (`evidence/cache.py`).
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from claims.engine.judge import FIGURE_TOLERANCE
from db.articles import record_label
from db.vocabulary import CONFIRM_STANCE, NEUTRAL, NOTE, OVERRIDE_VERDICT, OVERTURN_STANCE, STANCES, VERDICTS
from evidence.display import (
    STANCE_COLOURS,
    STANCE_HEADINGS,
    abstract_html,
    level_name,
    verdict_badge,
)
from evidence.serving import TEMPLATES_DIR

# What every template may use (these fragments and, through the plugin, Datasette's pages),
# from the vocabulary's one home, db/vocabulary.py.
VOCABULARY = {"stances": STANCES, "verdicts": VERDICTS, "colours": STANCE_COLOURS,
              "headings": STANCE_HEADINGS, "badge": verdict_badge, "level_name": level_name,
              "record_label": record_label, "abstract_html": abstract_html,
              "figure_tolerance": f"{FIGURE_TOLERANCE:.0%}", "NEUTRAL": NEUTRAL,
              "CONFIRM_STANCE": CONFIRM_STANCE, "OVERTURN_STANCE": OVERTURN_STANCE,
              "OVERRIDE_VERDICT": OVERRIDE_VERDICT, "NOTE": NOTE}
CSRF_TOKEN = Markup("<csrftoken/>")  # where a form's token goes; escaped text can never contain it

_ENV = Environment(loader=FileSystemLoader(TEMPLATES_DIR / "fragments"), autoescape=True,
                   undefined=StrictUndefined)
_ENV.globals.update(VOCABULARY)


def fragment(name: str, **context: Any) -> Markup:
    """`templates/fragments/NAME` rendered with `context`; `base` is the site's path prefix."""
    return Markup(_ENV.get_template(name).render(**context))


def for_request(drawn: Markup, csrftoken: str = "", marks: dict[str, Markup] | None = None) -> Markup:
    """A drawn fragment with this request's CSRF token in its forms and `marks` (e.g. a
    confirmation) where it left `<!--NAME-->`."""
    out = drawn.replace(CSRF_TOKEN, Markup.escape(csrftoken))
    for name, markup in (marks or {}).items():
        out = out.replace(Markup(f"<!--{name}-->"), markup)
    return Markup(out)
