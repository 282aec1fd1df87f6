"""The evidence engine's vocabulary and coverage: one lexicon, and saying what the database does not cover."""

from __future__ import annotations

import re

from claims.engine.retrieval import not_covered
from db import open_db


def test_a_claim_about_what_no_study_mentions_says_the_database_does_not_cover_it(synthetic_linked_db):
    db = open_db(synthetic_linked_db)
    note = not_covered(db, "Ketamine cures tinnitus.")
    assert note and "holds no studies that mention" in note
    assert "'tinnitus'" in note and "'ketamine'" not in note
    assert not_covered(db, "Ketamine relieves migraine.") is None


def test_a_new_intervention_and_adverse_event_are_one_data_edit(tmp_path, monkeypatch):
    """Adding lidocaine and 'tinnitus' to lexicon.yml reaches claim reading, retrieval, judgement and
    suggestions, with no module edited."""
    import yaml

    from claims import lexicon as lexicon_module
    from claims.engine.frame import understand
    from claims.engine.judge import Article, judge
    from claims.engine.retrieval import fts_query
    from claims.pages.extract import extract
    from claims.reports.suggest import adverse_events

    data = yaml.safe_load(lexicon_module.LEXICON_FILE.read_text())
    data["interventions"]["lidocaine"] = {"match": r"lidocaine\b", "search": "lidocaine"}
    data["adverse_events"].append(
        {"match": r"tinnitus", "search": "tinnitus", "patient": "ringing in the ears"}
    )
    edited = tmp_path / "lexicon.yml"
    edited.write_text(yaml.safe_dump(data))
    monkeypatch.setattr(lexicon_module, "LEXICON_FILE", edited)
    lexicon_module.lexicon.cache_clear()
    try:
        assert [f.text for f in extract("Lidocaine can cause tinnitus.")] == ["Lidocaine can cause tinnitus."]
        assert understand("Lidocaine can cause tinnitus.").kinds == ["disclosure"]
        spec = understand("Lidocaine infusions for migraine have no side effects.")
        assert (spec.intervention, spec.kind, spec.absolute) == ("lidocaine", "safety", True)
        assert "lidocaine" in fts_query(spec) and "tinnitus" in fts_query(spec)
        study = Article(
            99000001,
            "[TEST FIXTURE] Lidocaine infusions for migraine",
            "RESULTS: Tinnitus occurred in 5 of 30 patients.",
            2021,
            4,
            "case series",
        )
        assert judge(spec, study).stance == "contradicts"
        assert adverse_events(["Tinnitus occurred in 5 of 30 patients."]) == ["ringing in the ears"]
    finally:
        lexicon_module.lexicon.cache_clear()


def test_mesh_indexing_widens_retrieval_to_articles_that_name_the_condition_otherwise(tmp_path):
    """An article indexed under 'Migraine Disorders' whose text says 'hemicranial attacks' is a candidate
    for a migraine claim, after the articles the text search finds."""
    from claims.engine.frame import understand
    from claims.engine.retrieval import candidates, mesh_descriptors
    from harvest.importer import import_file

    record = """<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>
      <Article><Journal><JournalIssue><PubDate><Year>2020</Year></PubDate></JournalIssue>
      <Title>J</Title></Journal><ArticleTitle>[TEST FIXTURE] {title}</ArticleTitle>
      <Abstract><AbstractText>{abstract}</AbstractText></Abstract>
      <Language>eng</Language></Article>
      <MeshHeadingList>{mesh}</MeshHeadingList></MedlineCitation></PubmedArticle>"""
    mesh = "".join(f'<MeshHeading><DescriptorName UI="D{i}">{name}</DescriptorName></MeshHeading>'
                   for i, name in enumerate(["Ketamine", "Migraine Disorders"]))
    xml = tmp_path / "records.xml"
    xml.write_text("<PubmedArticleSet>" + "".join([
        record.format(pmid=99700001, title="Ketamine for migraine", abstract="Ketamine eased migraine.",
                      mesh=mesh),
        record.format(pmid=99700002, title="Ketamine for hemicranial attacks",
                      abstract="Ketamine eased the attacks in 20 patients.", mesh=mesh),
        record.format(pmid=99700003, title="Ketamine for back pain", abstract="Ketamine eased back pain.",
                      mesh=""),
    ]) + "</PubmedArticleSet>")
    db = open_db(tmp_path / "evidence.db")
    import_file(db, xml)
    spec = understand("Ketamine relieves migraine.")
    assert mesh_descriptors(db, re.compile("migrain", re.I)) == ["Migraine Disorders"]
    assert [a.pmid for a in candidates(db, spec)] == [99700001, 99700002]
