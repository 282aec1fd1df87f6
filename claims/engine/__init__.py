"""Judging evidence: what a claim says (`frame.py`), which articles to read
(`retrieval.py`), how strong each study is (`grade.py`), which sentences report findings
(`roles.py`), each study's stance (`judge.py`; the learned readers `general.py` and
`stance_model.py`, with `models/`), checking one claim (`check.py`) and its verdict
(`verdict.py`). Reads the database; the only thing it stores is grades (`grade.py`).
"""
