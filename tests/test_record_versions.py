"""Which copy of a record is kept: only a newer one replaces the stored copy, in any order."""

from __future__ import annotations

from db import open_db
from db.articles import save_records, utc_now
from db.transactions import writing
from harvest.importer import import_file
from harvest.pubmed_xml import iter_pubmed

PMID = 99300001


def day(iso: str) -> str:
    year, month, day_ = iso.split("-")
    return f"<Year>{year}</Year><Month>{month}</Month><Day>{day_}</Day>"


def record(title: str, *, version: int = 1, revised: str | None = None, history: tuple[str, ...] = (),
           retracted: bool = False, abbreviation: str | None = None) -> str:
    revised_xml = f"<DateRevised>{day(revised)}</DateRevised>" if revised else ""
    types = '<PublicationType UI="D016428">Journal Article</PublicationType>'
    corrections = ""
    if retracted:
        types += '<PublicationType UI="D016441">Retracted Publication</PublicationType>'
        corrections = ('<CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn">'
                       '<RefSource>J Synth Fixt. 2025</RefSource><PMID Version="1">99300099</PMID>'
                       "</CommentsCorrections></CommentsCorrectionsList>")
    dates = "".join(f'<PubMedPubDate PubStatus="{status}">{day(d)}</PubMedPubDate>'
                    for status, d in zip(("entrez", "pubmed", "medline"), history, strict=False))
    iso = f"<ISOAbbreviation>{abbreviation}</ISOAbbreviation>" if abbreviation else ""
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
            f'<PMID Version="{version}">{PMID}</PMID>{revised_xml}<Article><Journal>'
            f"<Title>Journal of Synthetic Fixtures</Title>{iso}</Journal>"
            f"<ArticleTitle>[TEST FIXTURE] {title}</ArticleTitle>"
            f"<PublicationTypeList>{types}</PublicationTypeList></Article>{corrections}"
            f"</MedlineCitation><PubmedData><History>{dates}</History></PubmedData></PubmedArticle>")


def write(path, *records: str):
    path.write_text("<PubmedArticleSet>" + "".join(records) + "</PubmedArticleSet>")
    return path


def stored(db) -> dict:
    return dict(next(db.query("SELECT title, pmid_version, date_revised, is_retracted, iso_abbreviation "
                              "FROM articles WHERE pmid = ?", [PMID])))


def import_in_order(db, tmp_path, *records: str) -> list:
    return [import_file(db, write(tmp_path / f"{i}.xml", one)).counts for i, one in enumerate(records)]


def test_an_undated_copy_never_replaces_a_dated_one(db, tmp_path):
    counts = import_in_order(db, tmp_path, record("dated", revised="2024-05-01"), record("undated"))
    assert counts[1].skipped == 1 and stored(db)["title"] == "[TEST FIXTURE] dated"


def test_a_dated_copy_replaces_an_undated_one(db, tmp_path):
    counts = import_in_order(db, tmp_path, record("undated"), record("dated", revised="2024-05-01"))
    assert counts[1].updated == 1 and stored(db)["title"] == "[TEST FIXTURE] dated"


def test_with_equal_date_revised_the_copy_carrying_later_dates_wins_in_either_order(tmp_path):
    older = record("older export", revised="2024-05-01", history=("2024-01-02",))
    newer = record("newer export", revised="2024-05-01", history=("2024-01-02", "2024-06-01"),
                   abbreviation="J Synth Fixt")
    one, other = open_db(tmp_path / "one.db"), open_db(tmp_path / "other.db")
    import_in_order(one, tmp_path, older, newer)
    import_in_order(other, tmp_path, newer, older)
    assert stored(one) == stored(other) == {"title": "[TEST FIXTURE] newer export", "pmid_version": 1,
                                   "date_revised": "2024-05-01", "is_retracted": 0,
                                   "iso_abbreviation": "J Synth Fixt"}


def test_on_a_full_tie_an_imported_file_keeps_the_stored_copy(db, tmp_path):
    counts = import_in_order(db, tmp_path, record("first", revised="2024-05-01"),
                             record("second", revised="2024-05-01"))
    assert counts[1].skipped == 1 and stored(db)["title"] == "[TEST FIXTURE] first"


def test_on_a_full_tie_a_harvested_copy_replaces_the_stored_one(db, tmp_path):
    import_in_order(db, tmp_path, record("imported", revised="2024-05-01"))
    fetched = list(iter_pubmed(write(tmp_path / "fetched.xml", record("fetched", revised="2024-05-01"))))
    with writing(db):
        outcome = save_records(db, fetched, utc_now(), current=True)
    assert outcome.updated == [PMID] and stored(db)["title"] == "[TEST FIXTURE] fetched"


def test_the_highest_version_in_a_file_wins_wherever_it_appears(tmp_path):
    v1 = record("version one", revised="2025-01-01")
    v2 = record("version two", version=2, revised="2024-01-01")
    for batch_size in (1, 1000):  # across batches and within one
        for name, order in (("v2-first", (v2, v1)), ("v1-first", (v1, v2))):
            db = open_db(tmp_path / f"{name}-{batch_size}.db")
            import_file(db, write(tmp_path / "versions.xml", *order), batch_size=batch_size)
            assert stored(db)["pmid_version"] == 2, (name, batch_size)


def test_a_retraction_is_never_undone_by_an_older_record(db, tmp_path):
    import_in_order(db, tmp_path, record("retracted", revised="2025-03-01", retracted=True))
    counts = import_in_order(db, tmp_path, record("before", revised="2024-01-01"), record("undated"),
                             record("same date", revised="2025-03-01"))
    assert [c.skipped for c in counts] == [1, 1, 1]
    assert stored(db)["is_retracted"] == 1
    assert db.execute("SELECT ref_type FROM comments_corrections WHERE pmid = ?", [PMID]).fetchall() == [
        ("RetractionIn",)]


def snapshot(db) -> dict:
    return {t: [tuple(r) for r in db.execute(f"SELECT * FROM [{t}] ORDER BY 1, 2")]
            for t in db.table_names() if not t.startswith("articles_fts")}


def test_reimporting_the_corpus_after_a_newer_record_changes_nothing(db, shared, tmp_path):
    corpus = shared / "corpus" / "pubmed.xml"
    import_file(db, corpus)
    text = corpus.read_text()
    first = text[text.index("<PubmedArticle>"): text.index("</PubmedArticle>") + len("</PubmedArticle>")]
    corrected = (first.replace("</PMID>", f"</PMID><DateRevised>{day('2025-02-03')}</DateRevised>", 1)
                 .replace("</ArticleTitle>", " (corrected)</ArticleTitle>", 1)
                 .replace("</PublicationTypeList>", "<PublicationType>Retracted Publication</PublicationType>"
                          "</PublicationTypeList>", 1))
    assert import_file(db, write(tmp_path / "newer.xml", corrected)).counts.updated == 1
    before = snapshot(db)
    again = import_file(db, corpus).counts
    assert (again.unchanged, again.skipped, again.updated) == (25, 1, 0)
    assert snapshot(db) == before
