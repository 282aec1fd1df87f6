"""A few random SIGKILLs in schema creation and in import: the short form of bench/kill_store.py."""

from __future__ import annotations

import random

from bench.kill_store import import_loop, schema_loop


def test_kills_during_schema_creation_leave_none_or_all_of_it(tmp_path):
    assert schema_loop(tmp_path, kills=3, rng=random.Random(1))


def test_kills_during_import_leave_a_consistent_database_the_next_run_completes(tmp_path, shared):
    assert import_loop(tmp_path, kills=2, records=200, rng=random.Random(2))
