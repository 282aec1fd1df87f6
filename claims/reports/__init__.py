"""What the checks are turned into for people: a page's audit (`audit.py`) and its Markdown or
HTML report (`report.py`, `templates/audit.html`), suggested rewordings (`suggest.py`), and the
evidence as CSV, RIS or BibTeX (`export.py`)."""
