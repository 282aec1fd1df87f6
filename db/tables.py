"""The database's tables, declared once as data: each one's columns, primary key and foreign
keys. `db/schema.py` applies them with the rest of the shape (indexes, triggers, views, the
full-text index)."""

from __future__ import annotations

from typing import Any

# table -> {"columns": {name: type}, "pk": column or tuple, "foreign_keys": [(column, table, column)]}
TABLES: dict[str, dict[str, Any]] = {
    "articles": {
        "columns": {
            "pmid": int,
            "pmid_version": int,
            "record_type": str,  # article | book
            "title": str,
            "abstract": str,  # plain text; sections as "LABEL: text", one per line
            "journal": str,
            "iso_abbreviation": str,
            "volume": str,
            "issue": str,
            "pages": str,
            "pub_year": int,
            "pub_date": str,  # ISO, as precise as the record allows: 2013, 2013-02, 2013-02-12
            "pub_date_text": str,  # as printed: "1998 Dec-1999 Jan", "1990 Spring"
            "article_date": str,  # electronic publication date
            "entrez_date": str,
            "date_revised": str,
            "latest_date": str,  # latest History date, DateCompleted or DateCreated: breaks DateRevised ties
            "doi": str,
            "pmc": str,
            "language": str,  # the first listed
            "languages": str,  # JSON array: every <Language>, in order
            "vernacular_title": str,  # the title in its original language, when the record has one
            "coi_statement": str,  # the authors' conflict-of-interest statement (CoiStatement)
            "trial_registrations": str,  # JSON array: trial registry accession numbers (NCT..., ISRCTN...)
            "funding_agencies": str,  # JSON array: each grant agency once, in the order listed
            "issn": str,
            "issn_type": str,  # Print | Electronic
            "issn_linking": str,
            "nlm_unique_id": str,
            "medline_ta": str,
            "journal_country": str,
            "status": str,
            "publication_status": str,
            "is_local_id": int,  # 1: the pmid is a local identifier, not a PubMed ID
            "is_retracted": int,
            "has_abstract": int,
            "publication_types": str,  # JSON array, for Datasette array facets
            "mesh_terms": str,  # JSON array of descriptor names
            "keywords": str,  # JSON array
            "evidence_level": int,  # 1 systematic review .. 5 case report, review, other (engine/grade.py)
            "design": str,  # e.g. "randomized controlled trial", "retrospective chart review"
            "grade_reason": str,  # why this level: the publication type or the words that named the design
            "graded_hash": str,  # "content_hash:rules version" it was graded from; stale when either differs
            "content_hash": str,  # of the parsed record: tells a new version from a re-import
            "reader_version": int,  # the version of the reader that read it (harvest/pubmed_xml.py)
            "first_seen": str,
            "last_updated": str,
        },
        "pk": "pmid",
    },
    "authors": {
        "columns": {
            "id": int,  # stable hash of the name fields
            "name": str,
            "last_name": str,
            "fore_name": str,
            "initials": str,
            "suffix": str,
            "collective_name": str,
        },
        "pk": "id",
    },
    "article_authors": {
        "columns": {
            "pmid": int,
            "position": int,
            "author_id": int,
            "orcid": str,
            "affiliations": str,  # JSON array: every affiliation given for this author here
        },
        "pk": ("pmid", "position"),
        "foreign_keys": [("pmid", "articles", "pmid"), ("author_id", "authors", "id")],
    },
    "mesh_terms": {
        "columns": {"name": str, "ui": str},
        "pk": "name",
    },
    "article_mesh": {
        "columns": {
            "pmid": int,
            "descriptor": str,
            "is_major_topic": int,  # the descriptor or any of its qualifiers is a major topic
            "descriptor_major": int,
            "qualifiers": str,  # JSON array of qualifier names
            "major_qualifiers": str,  # JSON array of the qualifiers marked major
        },
        "pk": ("pmid", "descriptor"),
        "foreign_keys": [("pmid", "articles", "pmid"), ("descriptor", "mesh_terms", "name")],
    },
    "publication_types": {
        "columns": {"name": str, "ui": str},
        "pk": "name",
    },
    "article_publication_types": {
        "columns": {"pmid": int, "publication_type": str},
        "pk": ("pmid", "publication_type"),
        "foreign_keys": [("pmid", "articles", "pmid"),
                         ("publication_type", "publication_types", "name")],
    },
    "abstract_sections": {
        "columns": {"pmid": int, "position": int, "label": str, "nlm_category": str, "text": str},
        "pk": ("pmid", "position"),
        "foreign_keys": [("pmid", "articles", "pmid")],
    },
    "comments_corrections": {
        "columns": {"pmid": int, "position": int, "ref_type": str, "ref_pmid": int,
                    "ref_source": str},
        "pk": ("pmid", "position"),
        "foreign_keys": [("pmid", "articles", "pmid")],
    },
    "article_databanks": {  # DataBankList: trial registrations and data deposits, one row per accession
        "columns": {"pmid": int, "position": int, "databank": str, "accession": str},
        "pk": ("pmid", "position"),
        "foreign_keys": [("pmid", "articles", "pmid")],
    },
    "article_grants": {
        "columns": {"pmid": int, "position": int, "grant_id": str, "acronym": str, "agency": str,
                    "country": str},
        "pk": ("pmid", "position"),
        "foreign_keys": [("pmid", "articles", "pmid")],
    },
    "article_chemicals": {
        "columns": {"pmid": int, "position": int, "name": str, "ui": str, "registry_number": str},
        "pk": ("pmid", "position"),
        "foreign_keys": [("pmid", "articles", "pmid")],
    },
    "article_supplementary_concepts": {  # SupplMeshList: supplementary MeSH concepts
        "columns": {"pmid": int, "position": int, "name": str, "ui": str, "type": str},
        "pk": ("pmid", "position"),
        "foreign_keys": [("pmid", "articles", "pmid")],
    },
    "article_ids": {  # ArticleIdList (pubmed, doi, pii, pmc, mid, ...) and OtherID ("OtherID NLM", ...)
        "columns": {"pmid": int, "position": int, "id_type": str, "value": str},
        "pk": ("pmid", "position"),
        "foreign_keys": [("pmid", "articles", "pmid")],
    },
    "article_history": {  # PubMedPubDate: received, accepted, entrez, pubmed, medline, ...
        "columns": {"pmid": int, "position": int, "status": str, "date": str},
        "pk": ("pmid", "position"),
        "foreign_keys": [("pmid", "articles", "pmid")],
    },
    "article_other_abstracts": {  # OtherAbstract: other languages or sources, as plain text
        "columns": {"pmid": int, "position": int, "type": str, "language": str, "text": str},
        "pk": ("pmid", "position"),
        "foreign_keys": [("pmid", "articles", "pmid")],
    },
    "article_references": {  # ReferenceList: what the article cites
        "columns": {"pmid": int, "position": int, "citation": str, "ref_pmid": int, "ref_doi": str,
                    "ref_pmc": str},
        "pk": ("pmid", "position"),
        "foreign_keys": [("pmid", "articles", "pmid")],
    },
    "article_investigators": {  # InvestigatorList: a group's members, who are not authors
        "columns": {"pmid": int, "position": int, "name": str, "last_name": str, "fore_name": str,
                    "initials": str, "suffix": str, "orcid": str, "affiliations": str},
        "pk": ("pmid", "position"),
        "foreign_keys": [("pmid", "articles", "pmid")],
    },
    "topics": {
        "columns": {
            "name": str,
            "query": str,  # PubMed search term
            "description": str,
            "origin": str,  # file: harvest/topics.yml (or --topics); other writers name themselves
            "active": int,  # 0: no longer configured; kept for its runs and cursor history
            "overlap_days": int,  # incremental runs look back this far before the cursor
            "cursor": str,  # YYYY/MM/DD: the day the last successful run started (UTC)
            "cursor_query": str,  # the query the cursor belongs to: a new query starts afresh
            "last_run_id": int,
        },
        "pk": "name",
    },
    "harvest_runs": {
        "columns": {
            "id": int,
            "topic": str,
            "query": str,
            "query_translation": str,
            "full": int,  # 1: everything the query matches; 0: only the incremental window
            "mindate": str,  # window on Entrez date or modification date; empty on full runs
            "maxdate": str,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running | ok | failed
            "found": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "deleted": int,
            "requests": int,
            "retries": int,
            "warnings": str,  # JSON array: WarningList, ErrorList and client notes
            "error": str,
            "pid": int,
        },
        "pk": "id",
        "foreign_keys": [("topic", "topics", "name")],
    },
    "run_articles": {
        "columns": {"pmid": int, "first_run_id": int, "last_run_id": int},
        "pk": "pmid",
        "foreign_keys": [("pmid", "articles", "pmid"), ("first_run_id", "harvest_runs", "id"),
                         ("last_run_id", "harvest_runs", "id")],
    },
    "article_topics": {
        "columns": {"pmid": int, "topic": str},
        "pk": ("pmid", "topic"),
        "foreign_keys": [("pmid", "articles", "pmid"), ("topic", "topics", "name")],
    },
    "sources": {
        "columns": {
            "id": str,  # file name under claims/sources/, a path, or a URL
            "title": str,
            "text": str,  # the readable copy claims' offsets refer to
            "content_hash": str,
            "loaded_at": str,
        },
        "pk": "id",
    },
    "claims": {
        "columns": {
            "id": str,
            "source_id": str,
            "quote": str,  # exact text on the page: source text[start:end]
            "start": int,
            "end": int,
            "category": str,  # safety | efficacy | timing | citation | prevalence | mechanism | ...
            "kind": str,  # the checker that judges it
            "statement": str,  # normalized, self-contained
            "asserts": str,  # JSON: what it asserts in checkable form
            "query": str,  # PubMed query that gathers its evidence
            "in_registry": int,  # 1: reviewed, from claims/registry.yml
            "updated_at": str,
        },
        "pk": "id",
        "foreign_keys": [("source_id", "sources", "id")],
    },
    "claim_evidence": {
        "columns": {
            "claim_id": str,
            "pmid": int,
            "stance": str,  # effective: the latest review wins over automation
            "auto_stance": str,  # what the checker decided
            "score": float,
            "level": int,
            "design": str,
            "rationale": str,  # JSON array of sentences copied from the title or abstract
            "method": str,  # which checker and rule decided
            "is_retracted": int,  # retracted articles are shown but never counted
            "review_id": int,  # the review that set the stance, if any
            "needs_rereview": int,  # 1: the article changed after it was reviewed
            "article_hash": str,  # the article's content_hash when linked
            "linked_at": str,
        },
        "pk": ("claim_id", "pmid"),
        "foreign_keys": [("claim_id", "claims", "id"), ("pmid", "articles", "pmid")],
    },
    "claim_verdicts": {
        "columns": {
            "claim_id": str,
            "verdict": str,  # effective: a reviewer's override wins
            "auto_verdict": str,
            "explanation": str,
            "supports": int,
            "supports_strong": int,  # of which systematic reviews, meta-analyses or randomized trials
            "contradicts": int,
            "contradicts_strong": int,
            "retracted": int,
            "candidates": int,  # articles judged
            "review_id": int,
            "reviews_seen": int,  # the newest review id this verdict took into account
            "articles_seen": int,  # article_changes.seq when this verdict read the articles
            "linked_at": str,
        },
        "pk": "claim_id",
        "foreign_keys": [("claim_id", "claims", "id")],
    },
    "article_changes": {  # one row (id 1): seq counts every article added, changed or deleted
        "columns": {"id": int, "seq": int},
        "pk": "id",
    },
    "reviews": {  # append-only: triggers refuse UPDATE and DELETE
        "columns": {
            "id": int,
            "claim_id": str,
            "pmid": int,  # empty for verdict overrides and claim notes
            "action": str,  # confirm_stance | overturn_stance | override_verdict | note
            "stance": str,
            "verdict": str,
            "note": str,
            "actor": str,
            "created_at": str,
            "article_hash": str,  # the article as the reviewer saw it
        },
        "pk": "id",
    },
    "audits": {
        "columns": {
            "id": int,
            "source": str,  # the file, "-" for standard input, or the URL audited
            "audited_at": str,
            "audited_by": str,  # who or what ran it: user@host, or the CI job
            "claims": int,
            "summary": str,  # JSON: claims per verdict
            "fail_on": str,  # the --fail-on verdict, if any
            "failed": int,  # 1: a claim at or worse than fail_on was found
            "result": str,  # JSON: the whole audit, as `evidence audit --format json` prints it
        },
        "pk": "id",
    },
}
