"""`evidence import`: loading files into the database, again, newer, deleted, and broken."""

from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner

from db import open_db
from evidence.cli import cli
from harvest.importer import import_file
from harvest.pubmed_xml import READER_VERSION
from tests.conftest import FIXTURES

SYNTHETIC = FIXTURES / "synthetic_records.xml"


def run(*args):
    return CliRunner().invoke(cli, ["import", *map(str, args)])


def table_rows(db, table, where="1", params=()):
    return [dict(r) for r in db.query(f"select * from {table} where {where}", params)]


def test_corpus_imports_48_articles_with_every_abstract_section(shared, tmp_path):
    path = tmp_path / "corpus.db"
    result = run("--db", path, shared / "corpus" / "pubmed.xml", shared / "corpus" / "local-ids.xml")
    assert result.exit_code == 0, result.output
    assert "48 new, 0 updated, 0 unchanged, 0 deleted, 0 skipped" in result.output
    db = open_db(path)
    assert db["articles"].count == 48
    expected_sections = 0
    for line in open(shared / "corpus" / "records.jsonl"):
        record = json.loads(line)
        expected_sections += len([s for s in record.get("abstract") or [] if s.get("text")])
    assert db["abstract_sections"].count == expected_sections
    assert db.execute("select count(*) from articles where is_local_id").fetchone()[0] == 22
    assert db.execute("select min(pmid) from articles where is_local_id").fetchone()[0] >= 98000001


def test_stored_article_row_is_whole(db):
    import_file(db, SYNTHETIC)
    row = table_rows(db, "articles", "pmid = 99000001")[0]
    stamp = row.pop("first_seen")
    assert row.pop("last_updated") == stamp
    assert len(row.pop("content_hash")) == 32
    # Importing stores what the record says; grading is the claim checker's job (`evidence link`).
    grading = ("evidence_level", "design", "grade_reason", "graded_hash")
    assert [row.pop(k) for k in grading] == [None] * len(grading)
    assert row == {
        "pmid": 99000001, "pmid_version": 1, "record_type": "article",
        "title": "[TEST FIXTURE] Variants at the TERT gene and r2 of the model.",
        "abstract": "BACKGROUND: Nothing here is real; Ptrend < 0.05 is made up.\n"
                    "RESULTS: The bold claim spans lines.",
        "journal": "Journal of Synthetic Fixtures", "iso_abbreviation": "J Synth Fixt",
        "volume": "12", "issue": "3", "pages": "101-9", "pub_year": 1998, "pub_date": "1998-12",
        "pub_date_text": "1998 Dec-1999 Jan", "article_date": "1998-11-20",
        "entrez_date": "1998-11-21", "date_revised": "2024-03-05", "latest_date": "1998-11-21",
        "doi": "10.0000/fixture.1",
        "pmc": "PMC0000001", "language": "eng", "languages": '["eng"]', "status": "MEDLINE",
        "publication_status": "ppublish", "is_local_id": 0, "is_retracted": 0, "has_abstract": 1,
        "publication_types": '["Journal Article", "Randomized Controlled Trial"]',
        "mesh_terms": '["Ketamine", "Migraine Disorders"]', "keywords": '["fixture"]',
        "vernacular_title": None, "coi_statement": None, "trial_registrations": "[]",
        "funding_agencies": "[]",
        "issn": None, "issn_type": None, "issn_linking": None, "nlm_unique_id": None, "medline_ta": None,
        "journal_country": None, "reader_version": READER_VERSION,
    }


def test_child_tables_hold_authors_mesh_types_sections_and_corrections(db):
    import_file(db, SYNTHETIC)
    authors = db.query(
        "select a.name, a.collective_name, aa.position, aa.orcid, aa.affiliations "
        "from article_authors aa join authors a on a.id = aa.author_id "
        "where aa.pmid = 99000001 order by aa.position")
    assert [dict(r) for r in authors] == [
        {"name": "Fixture AB", "collective_name": None, "position": 1,
         "orcid": "0000-0000-0000-0001",
         "affiliations": '["Department of Tests, Nowhere University.", '
                         '"Institute of Examples, Elsewhere."]'},
        {"name": "The Fixture Study Group", "collective_name": "The Fixture Study Group",
         "position": 2, "orcid": None, "affiliations": "[]"},
    ]
    assert table_rows(db, "article_mesh", "pmid = 99000001") == [
        {"pmid": 99000001, "descriptor": "Ketamine", "is_major_topic": 1, "descriptor_major": 0,
         "qualifiers": '["administration & dosage", "adverse effects"]',
         "major_qualifiers": '["administration & dosage"]'},
        {"pmid": 99000001, "descriptor": "Migraine Disorders", "is_major_topic": 1,
         "descriptor_major": 1, "qualifiers": "[]", "major_qualifiers": "[]"},
    ]
    assert table_rows(db, "mesh_terms", "name = 'Ketamine'") == [{"name": "Ketamine",
                                                                  "ui": "D007649"}]
    assert table_rows(db, "article_publication_types", "pmid = 99000002") == [
        {"pmid": 99000002, "publication_type": "Journal Article"},
        {"pmid": 99000002, "publication_type": "Retracted Publication"}]
    assert table_rows(db, "abstract_sections", "pmid = 99000001") == [
        {"pmid": 99000001, "position": 1, "label": "BACKGROUND", "nlm_category": "BACKGROUND",
         "text": "Nothing here is real; Ptrend < 0.05 is made up."},
        {"pmid": 99000001, "position": 2, "label": "RESULTS", "nlm_category": "RESULTS",
         "text": "The bold claim spans lines."}]
    assert table_rows(db, "comments_corrections") == [
        {"pmid": 99000001, "position": 1, "ref_type": "CommentIn", "ref_pmid": 99000004,
         "ref_source": "J Synth Fixt. 1999;13(1):1"},
        {"pmid": 99000002, "position": 1, "ref_type": "RetractionIn", "ref_pmid": 99000003,
         "ref_source": "J Synth Fixt. 1991;2:3"}]


def test_reimporting_the_same_file_changes_nothing(db):
    first = import_file(db, SYNTHETIC)
    before = {t: table_rows(db, t) for t in db.table_names()}
    again = import_file(db, SYNTHETIC)
    assert (first.counts.new, again.counts.new, again.counts.unchanged) == (3, 0, 3)
    assert {t: table_rows(db, t) for t in db.table_names()} == before


def test_newer_version_replaces_record_and_moves_last_updated(db, tmp_path):
    import_file(db, SYNTHETIC)
    db.execute("update articles set first_seen = '2000-01-01T00:00:00Z', "
               "last_updated = '2000-01-01T00:00:00Z'")
    db.conn.commit()
    newer = tmp_path / "newer.xml"
    newer.write_text(SYNTHETIC.read_text()
                     .replace("<Year>2024</Year><Month>03</Month><Day>05</Day>",
                              "<Year>2025</Year><Month>01</Month><Day>09</Day>")
                     .replace("<i>TERT</i> gene", "<i>TERT</i> locus")
                     .replace("<AffiliationInfo><Affiliation>Institute of Examples, Elsewhere."
                              "</Affiliation></AffiliationInfo>", ""))
    result = import_file(db, newer)
    assert (result.counts.updated, result.counts.unchanged) == (1, 2)
    row = table_rows(db, "articles", "pmid = 99000001")[0]
    assert row["title"] == "[TEST FIXTURE] Variants at the TERT locus and r2 of the model."
    assert row["date_revised"] == "2025-01-09"
    assert row["first_seen"] == "2000-01-01T00:00:00Z"
    assert row["last_updated"] > "2000-01-01T00:00:00Z"
    affiliations = db.execute("select affiliations from article_authors "
                              "where pmid = 99000001 and position = 1").fetchone()[0]
    assert json.loads(affiliations) == ["Department of Tests, Nowhere University."]
    hits = db.execute("select rowid from articles_fts where articles_fts match 'locus'").fetchall()
    assert hits == [(99000001,)]
    assert db.execute("select count(*) from articles_fts where articles_fts match 'gene'"
                      ).fetchone()[0] == 0


def test_older_version_is_skipped(db, tmp_path):
    import_file(db, SYNTHETIC)
    older = tmp_path / "older.xml"
    older.write_text(SYNTHETIC.read_text()
                     .replace("<Year>2024</Year><Month>03</Month><Day>05</Day>",
                              "<Year>2020</Year><Month>01</Month><Day>01</Day>")
                     .replace("<i>TERT</i> gene", "<i>TERT</i> region"))
    result = import_file(db, older)
    assert result.counts.skipped == 1
    assert "TERT gene" in table_rows(db, "articles", "pmid = 99000001")[0]["title"]


def test_delete_citation_removes_article_and_its_rows(db):
    import_file(db, SYNTHETIC)
    result = import_file(db, FIXTURES / "delete_citation.xml")
    assert result.error is None and result.counts.deleted == 1
    assert [r["pmid"] for r in table_rows(db, "articles")] == [99000001, 99000005]
    for table in ("article_publication_types", "comments_corrections"):
        assert table_rows(db, table, "pmid = 99000002") == []
    assert db.execute("select count(*) from articles_fts where articles_fts match 'retracted'"
                      ).fetchone()[0] == 0


def test_bad_file_keeps_earlier_batches_and_nothing_of_the_bad_one(db, tmp_path):
    whole = SYNTHETIC.read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(whole[: whole.index(b"<PubmedBookArticle>") + 40])
    result = import_file(db, cut, batch_size=1)
    assert result.error.startswith("truncated XML at line")
    assert "(the 2 records before it are saved)" in result.error
    assert [r["pmid"] for r in table_rows(db, "articles")] == [99000001, 99000002]

    db2_rows_before = table_rows(db, "articles")
    result = import_file(db, cut, batch_size=10)  # the whole file is one batch: nothing new
    assert result.counts.total == 0 and result.error
    assert table_rows(db, "articles") == db2_rows_before


def test_cli_reports_bad_file_in_one_line_and_exits_nonzero(tmp_path):
    bad = tmp_path / "page.html"
    bad.write_text("<html><body>Service unavailable</body></html>")
    result = run("--db", tmp_path / "x.db", SYNTHETIC, bad)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {bad}: not PubMed XML: the root element is <html>, expected one "
                      "of <PubmedArticleSet>, <MedlineCitationSet>, <PubmedBookArticleSet>"]
    assert "Traceback" not in result.output
    assert "3 new" in result.output


def test_cli_refuses_entity_bomb_without_traceback(tmp_path):
    from tests.test_pubmed_xml import BILLION_LAUGHS

    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(BILLION_LAUGHS)
    result = run("--db", tmp_path / "x.db", bomb)
    assert result.exit_code == 1
    assert "declares XML entities" in result.output and "Traceback" not in result.output


def test_cli_missing_file_is_a_usage_error(tmp_path):
    result = run("--db", tmp_path / "x.db", tmp_path / "nope.xml")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_db_path_comes_from_environment(tmp_path, monkeypatch):
    target = tmp_path / "from-env.db"
    monkeypatch.setenv("EVIDENCE_DB", str(target))
    result = CliRunner().invoke(cli, ["import", str(SYNTHETIC)])
    assert result.exit_code == 0, result.output
    assert target.exists()


def test_cli_says_when_the_database_file_is_not_sqlite(tmp_path):
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("these are my notes, not a database\n" * 100)
    result = run("--db", not_a_db, SYNTHETIC)
    assert result.exit_code == 1
    assert f"cannot use {not_a_db} as the evidence database" in result.output
    assert "Traceback" not in result.output
    assert not_a_db.read_text().startswith("these are my notes")


def test_cli_reports_a_database_locked_past_the_busy_timeout_without_traceback(tmp_path, monkeypatch):
    monkeypatch.setattr("db.transactions.BUSY_TIMEOUT_MS", 200)  # writers wait 2 minutes otherwise
    path = tmp_path / "busy.db"
    open_db(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run("--db", path, SYNTHETIC)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "database is locked" in result.output and "Traceback" not in result.output


def test_cli_refuses_impossible_pmids_with_a_warning_and_imports_the_rest(tmp_path):
    from tests.test_pubmed_xml import minimal_article

    odd = tmp_path / "odd.xml"
    odd.write_text("<PubmedArticleSet>" + minimal_article("1" + "0" * 30) + minimal_article("-7")
                   + minimal_article("99000030") + "</PubmedArticleSet>")
    result = run("--db", tmp_path / "x.db", odd, SYNTHETIC)
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and all(line.startswith(f"warning: {odd}: skipped") for line in warnings)
    assert "Traceback" not in result.output and result.exit_code == 1
    assert "4 new" in result.output and ", 2 refused ->" in result.output
    assert open_db(tmp_path / "x.db").execute("SELECT MIN(pmid) FROM articles").fetchone() == (99000001,)


def test_json_arrays_are_written_exactly_as_json_dumps_writes_them():
    from db.articles import _json

    tricky = ['Department of "Tests", \\ Nowhere', "naïve – 6\u00a0weeks", "line\nbreak\ttab\x01", ""]
    assert _json(tricky) == json.dumps(tricky, ensure_ascii=False)
    assert _json([]) == "[]"


def test_an_import_leaves_the_connections_pragmas_as_it_found_them(db):
    pragmas = ("synchronous", "cache_size", "wal_autocheckpoint", "foreign_keys")
    before = [db.execute(f"PRAGMA {p}").fetchone()[0] for p in pragmas]
    import_file(db, SYNTHETIC)
    assert [db.execute(f"PRAGMA {p}").fetchone()[0] for p in pragmas] == before


def test_none_is_stored_as_null(db):
    """The adapter db/ registers for None (it spares sqlite3 an exception per None) stores NULL."""
    db.execute("CREATE TABLE nulls (value)")
    db.execute("INSERT INTO nulls VALUES (?)", [None])
    assert db.execute("SELECT value IS NULL, typeof(value) FROM nulls").fetchone() == (1, "null")


def test_every_table_that_refers_to_an_article_goes_with_it():
    """An import writes without foreign-key checks (db/transactions.py `bulk_writes`): a deletion
    keeps them only because it clears every table whose rows name an article."""
    from db.schema import ARTICLE_CHILDREN, ARTICLE_PROVENANCE
    from db.tables import TABLES

    referring = {name for name, spec in TABLES.items()
                 if any(other == "articles" for _, other, _ in spec.get("foreign_keys", []))}
    assert referring == set(ARTICLE_CHILDREN) | set(ARTICLE_PROVENANCE)


def test_imports_new_newer_and_deleted_records_keep_every_foreign_key(db, tmp_path):
    import_file(db, SYNTHETIC)
    newer = tmp_path / "newer.xml"
    newer.write_text(SYNTHETIC.read_text().replace("<Year>2024</Year><Month>03</Month><Day>05</Day>",
                                                   "<Year>2025</Year><Month>01</Month><Day>09</Day>"))
    assert import_file(db, newer).counts.updated == 1
    assert import_file(db, FIXTURES / "delete_citation.xml").counts.deleted == 1
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("SELECT COUNT(*) FROM article_authors").fetchone()[0] > 0
