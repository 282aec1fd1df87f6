"""The claim checker: extraction, grading, stance per kind of claim, verdicts, reviews."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from claims.engine.check import check_text
from claims.engine.frame import page_topic, scope_of, understand
from claims.engine.grade import RULES_VERSION, grade, grade_articles
from claims.engine.judge import Article, judge
from claims.engine.verdict import Counted, roll_up
from claims.pages.extract import extract
from claims.registry import SOURCES_DIR, load_registry
from claims.service import link_claim
from db.claims import add_review, registered_claims, save_claims, save_source
from evidence.cli import cli
from harvest.importer import import_file
from tests.conftest import FIXTURES

PROJECT = Path(__file__).resolve().parent.parent


def article(text: str, *, title: str = "[TEST FIXTURE] Ketamine for migraine", level: int = 4,
            design: str = "retrospective review", year: int = 2020, pmid: int = 99900001) -> Article:
    """A study whose abstract is `text`, as its RESULTS section unless the text labels its own sections:
    the checkers read findings only (see test_roles.py)."""
    labelled = any(text.startswith(f"{label}: ") for label in ("BACKGROUND", "OBJECTIVE", "METHODS", "RESULTS",
                                                                 "CONCLUSIONS", "INTRODUCTION"))
    return Article(pmid, title, text if labelled else f"RESULTS: {text}", year, level, design)


def stance(claim: str, text: str, **kwargs) -> str:
    return judge(understand(claim), article(text, **kwargs)).stance


# --- extraction --------------------------------------------------------------------------

def test_every_registry_claim_is_found_on_its_page():
    registry = load_registry()
    for source in {c["source"] for c in registry}:
        text = (SOURCES_DIR / source).read_text()
        found = extract(text)
        for claim in (c for c in registry if c["source"] == source):
            assert any(f.start < claim["end"] and claim["start"] < f.end for f in found), claim["id"]
        for f in found:
            assert text[f.start:f.end] == f.text


def test_a_bundled_sentence_yields_one_claim_per_figure():
    text = "Roughly 39 million people in the US and one billion people worldwide deal with migraines."
    parts = [f.text for f in extract(text)]
    assert parts == ["Roughly 39 million people in the US", "one billion people worldwide deal with migraines"]


def test_calls_to_action_headings_scripts_and_navigation_are_not_claims_and_a_footer_claim_is_labelled():
    page = """<html><head><style>p {color: red}</style><script>var claim = "ketamine cures all";</script></head>
    <body><nav>Home | Ketamine is proven to work | Contact</nav>
    <h1>Ketamine for migraine</h1>
    <p>Call us today to book your consultation!</p><p>We are open Monday to Friday, 9am to 5pm.</p>
    <p>Ketamine infusions relieve migraine pain in most patients &amp; work within hours.</p>
    <footer>Ketamine has no side effects. Copyright 2026</footer></body></html>"""
    from claims.text import readable_copy
    copy = readable_copy(page, "page.html")
    assert "var claim" not in copy.text and "Home |" not in copy.text
    found = [(f.text, f.region) for f in extract(copy.text, copy.regions)]
    assert found == [("Ketamine infusions relieve migraine pain in most patients & work within hours.", "main"),
                     ("Ketamine has no side effects.", "footer")]


# --- grading -----------------------------------------------------------------------------

@pytest.mark.parametrize("title, abstract, types, level, design", [
    ("[TEST FIXTURE] A trial", "This randomized, double-blind, placebo-controlled trial enrolled 40 adults.",
     ["Journal Article"], 2, "randomized controlled trial"),
    ("[TEST FIXTURE] Review", "We searched MEDLINE.", ["Journal Article", "Systematic Review"], 1, "systematic review"),
    ("[TEST FIXTURE] Chart review", "A retrospective chart review of 61 patients. Randomized trials are warranted.",
     ["Journal Article"], 4, "retrospective review"),
    ("[TEST FIXTURE] Two cases", "Two men received ketamine.", ["Case Reports"], 5, "case report"),
    ("[TEST FIXTURE] Protocol", "This randomized controlled trial will be conducted in 12 centres.",
     ["Journal Article"], 5, "trial protocol"),
    ("[TEST FIXTURE] Open label", "An open-label study of 20 patients.", [], 4,
     "open-label or single-arm trial (uncontrolled)"),
    ("[TEST FIXTURE] Pilot", "We conducted a single-arm pilot study in 18 adults.", ["Clinical Trial"], 4,
     "open-label or single-arm trial (uncontrolled)"),
    ("[TEST FIXTURE] Trial", "Adults received the drug twice weekly.", ["Clinical Trial"], 3,
     "clinical trial (control not stated)"),
    ("[TEST FIXTURE] Open randomized", "In this randomized, open-label trial 80 adults were enrolled.",
     ["Randomized Controlled Trial"], 2, "randomized controlled trial"),
    ("[TEST FIXTURE] Secondary look", "A post hoc analysis of two randomized phase 3 trials described events.",
     ["Randomized Controlled Trial"], 3, "post hoc or pooled analysis of trials"),
    ("[TEST FIXTURE] Households", "A questionnaire was mailed to 5,000 households. We assessed 4,100 adults.",
     ["Journal Article"], 3, "survey, cross-sectional or registry study"),
    ("[TEST FIXTURE] Respondents", "Among the 900 respondents, half reported the symptom.", [], 3,
     "survey, cross-sectional or registry study"),
    ("[TEST FIXTURE] Register", "We used a national registry of 20,000 patients.", [], 3,
     "survey, cross-sectional or registry study"),
])
def test_levels_come_from_publication_types_and_the_articles_own_words(title, abstract, types, level, design):
    graded = grade(title, abstract, types)
    assert (graded.level, graded.design) == (level, design)
    assert graded.reason  # a reviewer can see why


def test_the_reason_names_the_type_or_quotes_the_words_that_decided():
    assert grade("[TEST FIXTURE] T", "Text.", ["Systematic Review"]).reason == \
        'PubMed publication type "Systematic Review"'
    assert grade("[TEST FIXTURE] T", "Patients were randomly assigned to two arms.", []).reason == \
        'the abstract says "randomly assigned"'


def test_a_registered_trial_and_an_industry_funder_are_named_in_the_reason_not_the_level():
    rct = "Patients were randomly assigned to ketamine or placebo."
    plain = grade("[TEST FIXTURE] T", rct, ["Randomized Controlled Trial"])
    noted = grade("[TEST FIXTURE] T", rct, ["Randomized Controlled Trial"], ["NCT99000001"],
                  ["NIXX NIH HHS", "Synthetic Pharmaceuticals Inc"])
    assert (noted.level, noted.design) == (plain.level, plain.design) == (2, "randomized controlled trial")
    assert noted.reason == (plain.reason + "; registered trial NCT99000001; "
                            "industry-funded (Synthetic Pharmaceuticals Inc)")
    public = grade("[TEST FIXTURE] T", rct, ["Randomized Controlled Trial"], [], ["NIXX NIH HHS", "Wellcome Trust"])
    assert public == plain


def test_grading_reads_registrations_and_funders_from_the_stored_article(db):
    import_file(db, FIXTURES / "fidelity_records.xml")
    grade_articles(db)
    level, reason = db.execute("SELECT evidence_level, grade_reason FROM articles WHERE pmid = 99400001").fetchone()
    assert level == 2
    assert reason == ('PubMed publication type "Randomized Controlled Trial"; registered trial NCT99000001, '
                      "ISRCTN99000001, 2014-990001-01, ...; industry-funded (Synthetic Pharmaceuticals Inc)")


def test_grades_made_by_other_rules_are_graded_again(db):
    import_file(db, FIXTURES / "synthetic_records.xml")
    assert grade_articles(db) == db["articles"].count > 0
    assert grade_articles(db) == 0  # nothing changed
    db.execute("UPDATE articles SET graded_hash = content_hash || ':older-rules'")
    assert grade_articles(db) == db["articles"].count
    assert {row[0] for row in db.execute("SELECT graded_hash FROM articles")} == {
        row[0] + ":" + RULES_VERSION for row in db.execute("SELECT content_hash FROM articles")}


def test_evidence_link_regrades_the_articles_when_the_grading_rules_change(tmp_path, monkeypatch):
    from claims.engine import grade as grading

    path = tmp_path / "evidence.db"
    assert CliRunner().invoke(cli, ["import", "--db", str(path), "--quiet",
                                    str(FIXTURES / "synthetic_records.xml")]).exit_code == 0
    assert CliRunner().invoke(cli, ["link", "--db", str(path), "--quiet"]).exit_code == 0
    monkeypatch.setattr(grading, "RULES_VERSION", "changed-rules")
    result = CliRunner().invoke(cli, ["link", "--db", str(path)])
    assert result.exit_code == 0, result.output
    stored = sqlite3.connect(path).execute("SELECT graded_hash FROM articles").fetchall()
    assert f"graded {len(stored)} new or changed articles" in result.output
    assert stored and all(row[0].endswith(":changed-rules") for row in stored)


def test_the_grading_rules_version_is_the_same_in_every_process():
    versions = {subprocess.run([sys.executable, "-c", "from claims.engine.grade import RULES_VERSION as v; print(v)"],
                               capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": str(seed)},
                               check=True).stdout for seed in (1, 2)}
    assert versions == {RULES_VERSION + "\n"}


# --- stance: safety, with negation traps ---------------------------------------------------

NO_SIDE_EFFECTS = "Ketamine infusion therapy has no side effects."


@pytest.mark.parametrize("text, expected", [
    ("Adverse events were mild and transient.", "contradicts"),
    ("Side effects were: transient dissociation during 30 of 49 infusions.", "contradicts"),
    ("No serious adverse events occurred.", "neutral"),
    ("There was no significant difference in adverse events between ketamine and placebo.", "contradicts"),
    ("Patients were assessed daily for pain and adverse events.", "neutral"),
    ("No adverse events occurred during or after the infusions.", "supports"),
    ("Recreational ketamine users develop cystitis.", "neutral"),
    ("Metoclopramide, like any medication, causes sedation and akathisia.", "neutral"),
])
def test_absolute_safety_claims_read_negation_right(text, expected):
    assert stance(NO_SIDE_EFFECTS, text) == expected


def test_a_stance_always_comes_with_the_exact_sentences_behind_it():
    text = "Forty patients were treated. Adverse events were mild and transient."
    result = judge(understand(NO_SIDE_EFFECTS), article(text))
    assert result.rationale == ["Adverse events were mild and transient."]


# --- stance: efficacy, timing, citation, figures, mechanism --------------------------------

def test_efficacy_is_contradicted_by_a_null_randomized_trial_and_supported_by_a_positive_series():
    claim = "Ketamine for migraines has proven results."
    null = ("There was no statistically significant difference in pain score reductions between "
            "ketamine and placebo at 30 minutes.")
    assert stance(claim, null, level=2, design="randomized controlled trial") == "contradicts"
    assert stance(claim, "Pain scores were reduced from 7.1 to 3.8 after ketamine infusion.") == "supports"
    assert stance(claim, "Ketamine may be a promising treatment for migraine.", level=5,
                  design="narrative review") == "neutral"


def test_session_claims_are_judged_by_the_numbers_studies_report():
    claim = "Relief from ketamine infusions for migraine usually comes before the third session."
    assert stance(claim, "Maximum improvement occurred 4.5 days into ketamine infusion treatment.") == "contradicts"
    single = ("Ketamine was infused over 90-120 minutes. Headache pain was reduced from 7 to 2 "
              "after treatment with ketamine.")
    assert stance(claim, single) == "supports"


def test_citation_claims_need_the_year_and_the_quantifier():
    claim = "A 2016 study showed ketamine infusions relieved migraine in all patients."
    series = "Treatment with ketamine was associated with improvement in pain severity in 6 of 6 patients."
    assert stance(claim, series, year=2016) == "supports"
    assert stance(claim, series, year=2018) == "neutral"
    assert stance(claim, "Pain was reduced in 10 of 29 patients treated with ketamine.", year=2016) == "neutral"


@pytest.mark.parametrize("text, expected", [
    ("Migraine affected 1.04 billion people worldwide in 2016.", "supports"),
    ("Migraine affected 600 million people worldwide in 2016.", "contradicts"),
    ("Migraine affected 40 million people in the United States.", "neutral"),  # another scope
    ("There were 2 million emergency visits for migraine worldwide.", "neutral"),  # not people
])
def test_figure_claims_are_judged_by_the_figures_with_a_stated_tolerance(text, expected):
    assert stance("One billion people worldwide have migraine.", text,
                  title="[TEST FIXTURE] Global burden") == expected


@pytest.mark.parametrize("text, expected", [
    ("Most patients feel better before their third infusion.", {"kind": "timing", "sessions": 2}),
    ("Around a billion people globally suffer from migraines.",
     {"kind": "figure", "figure": {"value": 1e9, "unit": "count", "scope": "world", "subject": "headache",
                                   "measure": "prevalence"}}),
    ("Research from 2016 found ketamine worked for every migraine patient.",
     {"kind": "citation", "year": 2016, "quantifier": "all"}),
])
def test_claims_worded_differently_are_understood_the_same(text, expected):
    spec = understand(text).to_dict()
    assert {key: spec.get(key) for key in expected} == expected


def test_mechanism_claims_need_the_targets_role_in_pain():
    claim = "Ketamine targets the NMDA receptor, which modulates pain."
    text = ("NMDA receptors play an important role in migraine pain. Blocking NMDA receptors reduced "
            "pain transmission in the trigeminal system.")
    assert stance(claim, text, title="[TEST FIXTURE] Glutamate and pain") == "supports"
    assert stance(claim, "Ketamine was given to 20 patients.", title="[TEST FIXTURE] Ketamine") == "neutral"


# --- verdicts ----------------------------------------------------------------------------

def c(stance_: str, level: int, retracted: bool = False) -> Counted:
    return Counted(99900000 + level, stance_, level, "Fixture 2020", retracted)


@pytest.mark.parametrize("evidence, absolute, verdict", [
    ([], False, "insufficient_evidence"),
    ([c("supports", 2)], False, "supported"),
    ([c("supports", 4)], False, "weakly_supported"),
    ([c("contradicts", 4)], False, "contradicted"),
    ([c("supports", 4), c("contradicts", 4)], False, "mixed"),
    ([c("supports", 4), c("contradicts", 2)], False, "contradicted"),
    ([c("supports", 1), c("contradicts", 4)], True, "contradicted"),
    ([c("supports", 2, retracted=True)], False, "insufficient_evidence"),
])
def test_verdict_rules(evidence, absolute, verdict):
    assert roll_up(evidence, absolute)[0] == verdict


def test_the_explanation_names_the_studies_and_their_designs():
    verdict, explanation = roll_up([c("contradicts", 2), c("contradicts", 4)], absolute=True)
    assert verdict == "contradicted"
    assert explanation.startswith("Contradicted: 2 studies (1 randomized trial, 1 case series or retrospective review)")


# --- the database: link, check, reviews ----------------------------------------------------

@pytest.fixture
def linked(db, shared):
    import_file(db, shared / "corpus" / "pubmed.xml")
    import_file(db, shared / "corpus" / "local-ids.xml")
    result = CliRunner().invoke(cli, ["link", "--db", str(db.conn.execute("PRAGMA database_list").fetchone()[2]),
                                      "--quiet"])
    assert result.exit_code == 0, result.output
    return db


def test_link_fills_evidence_and_verdicts_for_every_registry_claim(linked):
    claims = registered_claims(linked)
    assert len(claims) == len(load_registry())
    verdicts = dict(linked.execute("SELECT claim_id, verdict FROM claim_verdicts").fetchall())
    assert set(verdicts) == {c["id"] for c in claims}
    assert verdicts["no_side_effects"] == "contradicted"
    for row in linked.query("SELECT * FROM claim_evidence WHERE stance != 'neutral'"):
        for sentence in json.loads(row["rationale"]):
            found = linked.execute("SELECT title, abstract FROM articles WHERE pmid = ?", [row["pmid"]]).fetchone()
            assert sentence in found[0] or sentence in found[1]


def test_a_reviewers_decision_wins_and_survives_relinking_and_reharvest(linked, shared):
    before = linked.execute("SELECT pmid, stance FROM claim_evidence WHERE claim_id = 'us_39_million' "
                            "AND stance = 'supports'").fetchone()
    review = add_review(linked, "us_39_million", "overturn_stance", "alice", pmid=before[0],
                        stance="neutral", note="the figure counts children and adults")
    claim = next(c for c in registered_claims(linked) if c["id"] == "us_39_million")
    link_claim(linked, claim)
    row = linked.execute("SELECT stance, auto_stance, review_id FROM claim_evidence "
                         "WHERE claim_id = 'us_39_million' AND pmid = ?", [before[0]]).fetchone()
    assert row == ("neutral", "supports", review)
    assert linked["claim_verdicts"].get("us_39_million")["verdict"] == "insufficient_evidence"
    linked.execute("UPDATE articles SET content_hash = 'changed' WHERE pmid = ?", [before[0]])
    link_claim(linked, claim)
    flagged = linked.execute("SELECT stance, needs_rereview FROM claim_evidence WHERE claim_id = 'us_39_million' "
                             "AND pmid = ?", [before[0]]).fetchone()
    assert flagged == ("neutral", 1)
    add_review(linked, "us_39_million", "override_verdict", "bob", verdict="weakly_supported", note="ok")
    link_claim(linked, claim)
    verdict = linked["claim_verdicts"].get("us_39_million")
    assert (verdict["verdict"], verdict["auto_verdict"]) == ("weakly_supported", "insufficient_evidence")


@pytest.fixture
def one_claim(db):
    save_source(db, "page.html", "Ketamine has no side effects.")
    save_claims(db, [{"id": "no_side_effects", "source_id": "page.html", "quote": "Ketamine has no side effects.",
                      "start": 0, "end": 29, "in_registry": 1}])
    return db


def test_reviews_are_append_only(one_claim):
    review = add_review(one_claim, "no_side_effects", "note", "alice", note="first")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        one_claim.execute("UPDATE reviews SET note = 'changed' WHERE id = ?", [review])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        one_claim.execute("DELETE FROM reviews")


@pytest.mark.parametrize("claim_id, action, actor, fields, refusal", [
    ("nope", "note", "alice", {"note": "x"}, "unknown claim"),
    ("no_side_effects", "delete_everything", "alice", {}, "the action must be"),
    ("no_side_effects", "note", " ", {"note": "x"}, "must name the reviewer"),
    ("no_side_effects", "overturn_stance", "alice", {"pmid": 99000001, "stance": "supports"}, "PMID of an article"),
    ("no_side_effects", "override_verdict", "alice", {"verdict": "true"}, "the verdict must be"),
    ("no_side_effects", "note", "alice", {"note": ""}, "a note cannot be empty"),
])
def test_bad_reviews_are_refused_with_a_clear_reason(one_claim, claim_id, action, actor, fields, refusal):
    with pytest.raises(sqlite3.IntegrityError, match=refusal):
        add_review(one_claim, claim_id, action, actor, **fields)
    assert one_claim["reviews"].count == 0


def test_retracted_articles_are_shown_but_never_counted(linked):
    pmid = linked.execute("SELECT pmid FROM claim_evidence WHERE claim_id = 'one_billion_worldwide' "
                          "AND stance = 'supports'").fetchone()[0]
    linked.execute("UPDATE articles SET is_retracted = 1 WHERE pmid = ?", [pmid])
    result = check_text(linked, "One billion people worldwide deal with migraines.", load_registry())
    assert result.verdict == "insufficient_evidence"
    assert [e["is_retracted"] for e in result.as_json()["evidence"]] == [True]
    assert "retracted" in result.explanation


def test_free_text_that_restates_a_registry_claim_is_checked_as_it():
    registry = load_registry()
    from claims.engine.check import match_registry
    assert match_registry("Ketamine infusion therapy for migraine has no side effects at all.",
                          registry)["id"] == "no_side_effects"
    assert match_registry("Acupuncture cures asthma.", registry) is None


# Floors the engine must hold on the development labels (issue 12): stance F1 on the claims as worded
# on the pages, and on three rewordings of each (bench/paraphrases.jsonl); never an unsafe "supported".
DEV_FLOOR, PARAPHRASE_FLOOR = 0.90, 0.85


def _score(shared: Path, folder: Path, gold: Path) -> dict:
    db_path = folder / "eval.db"
    if not db_path.exists():
        from db import open_db
        db = open_db(db_path)
        import_file(db, shared / "corpus" / "pubmed.xml")
        import_file(db, shared / "corpus" / "local-ids.xml")
        db.close()
    command = f"{shlex.quote(sys.executable)} -c 'from evidence.cli import main; main()'"
    out = subprocess.run([sys.executable, str(shared / "tools" / "score_claims.py"), "--gold", str(gold),
                          "--db", str(db_path), "--cmd", command, "--json"],
                         capture_output=True, text=True, cwd=PROJECT, env=os.environ, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_dev_claims_score_above_the_floor_and_never_unsafe(tmp_path, shared):
    score = _score(shared, tmp_path, shared / "gold" / "dev.jsonl")
    assert score["unsafe_supported"] == 0, score["per_claim"]
    assert score["f1"] >= DEV_FLOOR, score["per_claim"]


def test_reworded_dev_claims_score_above_the_floor_and_never_unsafe(tmp_path, shared):
    gold = {g["id"]: g for g in map(json.loads, (shared / "gold" / "dev.jsonl").read_text().splitlines())}
    reworded = [dict(gold[p["id"]], id=f"{p['id']}~{n}", claim=p["claim"]) for n, p in
                enumerate(map(json.loads, (PROJECT / "bench" / "paraphrases.jsonl").read_text().splitlines()))]
    assert len(reworded) >= 3 * len(gold)
    path = tmp_path / "reworded.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in reworded))
    score = _score(shared, tmp_path, path)
    assert score["unsafe_supported"] == 0, score["per_claim"]
    assert score["f1"] >= PARAPHRASE_FLOOR, score["per_claim"]


def test_a_claim_about_something_the_checkers_do_not_know_abstains(linked):
    for claim in ("Aspirin reduces the risk of colorectal cancer.", "10% of adults have high blood pressure."):
        result = check_text(linked, claim, load_registry())
        assert result.as_json()["evidence"] == [] and result.verdict == "insufficient_evidence"


def test_claims_outside_the_checkers_domain_go_to_the_general_model_capped_below_supported(synthetic_linked_db):
    from claims.engine.check import GENERAL_METHOD
    from db import open_db

    db = open_db(synthetic_linked_db)
    result = check_text(db, "Placebo infusions reduced migraine pain intensity in adults.", load_registry())
    assert result.spec.intervention is None and result.registry_id is None
    assert [(e["pmid"], e["stance"], e["method"]) for e in result.as_json()["evidence"]] == [
        (99100001, "supports", GENERAL_METHOD)]
    assert result.evidence[0]["rationale"]  # the sentences behind the stance
    assert result.verdict == "weakly_supported"  # a randomized trial, but the general model never says "supported"
    assert "a reviewer must confirm them" in result.explanation
    assert "None is a randomized trial" not in result.explanation


def test_the_general_model_loads_from_the_package_and_abstains_on_unrelated_abstracts():
    from claims.engine import general

    model = general.load(general.MODEL_FILE)
    stance, _, rationale = model.judge_all(
        "Vitamin D supplementation prevents hip fractures in older women.",
        [("[TEST FIXTURE] Ketamine for migraine", ["Ketamine reduced migraine pain."], 1.0)])[0]
    assert (stance, rationale) == ("neutral", [])


@pytest.mark.parametrize("text, measure", [
    ("Migraine affects about one billion people worldwide.", "prevalence"),
    ("Roughly 39 million Americans live with migraine.", "prevalence"),
    ("70% of the trial's patients responded to ketamine.", "response"),
    ("Side effects occurred in 30% of infusions.", "adverse events"),
    ("Migraine is the second leading cause of disability.", "rank"),
])
def test_a_figure_knows_what_it_measures(text, measure):
    assert understand(text).figure["measure"] == measure


def test_a_response_rate_is_never_compared_with_a_prevalence():
    prevalence = "About 12% of adults have migraine."
    assert stance(prevalence, "Of the 40 patients, 70% responded to ketamine.", level=2) == "neutral"
    assert stance(prevalence, "The prevalence of migraine among adults was 11.7%.", level=3) == "supports"
    assert stance(prevalence, "The one-year prevalence of migraine among adults was 35%.", level=3) == "contradicts"


@pytest.mark.parametrize("claim, events", [
    ("Ketamine infusions can cause nausea and dissociation.", ["dissociation (feeling detached or unreal)",
                                                               "nausea or vomiting"]),
    ("Side effects of ketamine may include a faster heart rate.", ["a faster heart rate"]),
    ("Common side effects of ketamine are temporary.", []),
])
def test_a_claim_that_warns_of_harm_is_a_disclosure_not_a_promise_of_safety(claim, events):
    spec = understand(claim)
    assert (spec.kind, spec.discloses, spec.events) == ("safety", True, events)
    assert not understand("Ketamine infusion therapy has no side effects.").discloses


@pytest.mark.parametrize("claim", [
    "Migraine medicines often produce unwanted side effects, but ketamine infusion therapy has none.",
    "Unlike opioids, which can cause nausea, ketamine is safe.",
])
def test_harm_another_treatment_causes_is_not_a_disclosure_about_this_one(claim):
    assert not understand(claim).discloses


def test_a_disclosure_is_supported_by_the_harm_it_names_and_never_refuted_by_its_absence():
    warns = "Ketamine infusions can cause nausea."
    assert stance(warns, "Nausea occurred in 6 of 20 patients.") == "supports"
    assert stance(warns, "Dizziness occurred in 6 of 20 patients.") == "neutral"  # not the harm it names
    assert stance(warns, "No adverse events occurred.") == "neutral"
    assert stance("Ketamine infusions have no side effects.", "Nausea occurred in 6 of 20 patients.") == "contradicts"


def test_a_depression_rating_scale_is_about_depression():
    assert understand("Ketamine lowered HDRS scores within hours.").conditions == ["depression"]
    assert understand("Ketamine blocks cortical spreading depression in migraine with aura.").conditions == ["headache"]


@pytest.mark.parametrize("field", ["verdict", "stance", "asserts"])
def test_the_registry_holds_reviewed_claims_never_answers(tmp_path, field):
    from claims.registry import RegistryError

    source = tmp_path / "page.txt"
    source.write_text("Ketamine helps migraine.")
    entry = {"id": "x", "source": "page.txt", "quote": "Ketamine helps migraine.", "category": "efficacy",
             "statement": "Ketamine relieves migraine.", "query": "ketamine", field: "supported"}
    registry = tmp_path / "registry.yml"
    registry.write_text(yaml.safe_dump({"claims": [entry]}))
    with pytest.raises(RegistryError, match="never registered"):
        load_registry(registry, tmp_path)


def test_registry_claims_are_read_by_the_engine_like_any_text():
    for claim in load_registry():
        assert understand(claim["statement"]).kind != "other", claim["id"]


@pytest.mark.parametrize("claim, absolute", [
    ("Ketamine cures migraine.", True),
    ("Ketamine is not a cure for migraine, but it may help some patients.", False),
    ("There is no guarantee that ketamine will work for you.", False),
    ("Ketamine infusion therapy has no side effects.", True),
])
def test_an_absolute_that_is_itself_denied_asserts_nothing_absolute(claim, absolute):
    assert understand(claim).absolute is absolute


def test_a_claim_that_denies_a_benefit_is_supported_by_null_results():
    denial = "Ketamine is no better than placebo for migraine."
    assert understand(denial).denies
    null = "Ketamine did not reduce pain scores compared with placebo."
    assert stance(denial, null, level=2, design="randomized controlled trial") == "supports"
    assert stance("Ketamine relieves migraine.", null, level=2, design="randomized controlled trial") == "contradicts"


@pytest.mark.parametrize("text, scope", [
    ("The American Migraine Foundation says one billion people worldwide have migraine.", "world"),
    ("About 39 million Americans have migraine.", "us"),
    ("The US Headache Consortium reviewed global prevalence.", "world"),
])
def test_a_national_word_in_a_name_is_not_a_scope(text, scope):
    assert scope_of(text) == scope


def test_it_on_a_ketamine_page_is_ketamine():
    page = "Ketamine infusions for migraine. Ketamine is given by IV. It has no side effects."
    assert understand("It has no side effects.", page_topic(page)).intervention == "ketamine"
    assert understand("It has no side effects.").intervention is None
    assert page_topic("Our clinic is open on Mondays.") is None


def test_a_footnote_marker_after_a_full_stop_ends_the_sentence():
    from claims.text import sentences

    text = "Ketamine blocks NMDA receptors.3 A 2016 study showed it works.12,13 The dose was 0.5 mg/kg."
    assert [s.text for s in sentences(text)] == [
        "Ketamine blocks NMDA receptors.", "A 2016 study showed it works.", "The dose was 0.5 mg/kg."]
    assert all(text[s.start:s.end] == s.text for s in sentences(text))


@pytest.mark.parametrize("claim, modality", [
    ("Ketamine relieves migraine.", "plain"),
    ("Ketamine may relieve depression within hours.", "hedged"),
    ("Ketamine cures migraine.", "absolute"),
    ("Ketamine is not a cure for migraine, but it may help some patients.", "negated absolute"),
])
def test_a_claim_says_how_strongly_it_asserts(claim, modality):
    assert understand(claim).modality == modality


@pytest.mark.parametrize("copy", [
    "We use cookies to improve your experience on our website.",
    "This information is not intended to diagnose or treat any disease.",
    "Individual results may vary and are not guaranteed.",
    "The staff were so friendly and parking was easy, and the infusion helped my migraines.",
    "In fact, migraine may be more common than you might think.",
])
def test_banners_disclaimers_praise_and_filler_are_never_claims(copy):
    assert extract(copy) == []


def test_a_claim_beside_that_copy_is_still_found():
    page = "We use cookies on this site.\n\nKetamine infusions relieve migraine pain within an hour."
    assert [c.text for c in extract(page)] == ["Ketamine infusions relieve migraine pain within an hour."]
