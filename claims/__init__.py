"""Claims: website copy, the claims it makes, and how well the literature backs them.

A map for a newcomer, by where a change goes:

- `service.py`: the operations everyone calls (the `evidence` command, the Datasette plugin's
  background re-linking, scheduled runs): extract the claims of pages, check a text, link the
  registry, re-link the claims after a review, audit a page, export, refresh grades. Each does
  the whole job; callers only parse arguments and show results. Start here.
- `engine/`: judging evidence. What a claim says (`frame.py`), which articles to read
  (`retrieval.py`), how strong each study is (`grade.py`), which sentences report findings
  (`roles.py`), whether a study supports or contradicts the claim (`judge.py`; the learned
  readers `general.py` and `stance_model.py`, with `models/`), checking one claim
  (`check.py`) and the verdict it adds up to (`verdict.py`).
- `pages/`: reading website copy, from a file or URL (`read.py`), and finding its checkable
  claims (`extract.py`).
- `reports/`: what checks become for people: a page's audit (`audit.py`) and its report
  (`report.py`, `templates/`), suggested rewordings (`suggest.py`), exports (`export.py`).
- At the root, what more than one room reads, so that no room reaches into another for it:
  the lexicon (`lexicon.yml`, `lexicon.py`: interventions, conditions, adverse events...),
  sentences and words (`text.py`: the pages' extraction and the engine's sentence roles split
  text the same way), citations (`cite.py`: the engine names studies in its explanations, the
  reports and web pages cite them) and counted words (`wording.py`), and the reviewed claims
  (`registry.yml`, `registry.py`, `sources/`).

The names of stances, verdicts, evidence levels and review actions live in `db/vocabulary.py`,
because the database's own checks need them too. `claims/` never imports `harvest/`; both
write through `db/`.
"""
