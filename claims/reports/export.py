"""Evidence for claims as files reference managers and spreadsheets take: CSV, RIS, BibTeX.

CSV has one row per claim and study. RIS and BibTeX have one entry per study, its stance
and evidence level on each claim in the notes field, so an import into Zotero or EndNote
keeps why the study is there.
"""

from __future__ import annotations

import csv
import io
import json

from sqlite_utils import Database

from claims.cite import bibtex, pubmed_url, ris, vancouver
from db.articles import citation_records
from db.claims import linked_evidence

FORMATS = ("csv", "ris", "bibtex")
# A record is a PubMed one (pmid) or a local one (local_record), never both: a local number is no PMID.
CSV_COLUMNS = ("claim_id", "claim", "verdict", "pmid", "local_record", "stance", "level", "design", "retracted",
               "reviewed", "citation", "url", "rationale", "trial_registrations", "funding", "coi_statement")


def export(db: Database, fmt: str, claim_ids: list[str] | None = None) -> tuple[str, int]:
    """The file's text and how many studies it holds."""
    links = linked_evidence(db, claim_ids)
    records = citation_records(db, sorted({link["pmid"] for link in links}))
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for link in links:
            record = records[link["pmid"]]
            pmid, local = ("", link["pmid"]) if record["is_local_id"] else (link["pmid"], "")
            writer.writerow([link["claim_id"], link["quote"], link["verdict"], pmid, local, link["stance"],
                             link["level"], link["design"], link["is_retracted"], int(link["review_id"] is not None),
                             vancouver(record), pubmed_url(record) or "", " | ".join(link["rationale"]),
                             *_disclosures(record)])
        return out.getvalue(), len(records)
    notes: dict[int, list[str]] = {}
    for link in links:
        retracted = ", RETRACTED: not counted" if link["is_retracted"] else ""
        notes.setdefault(link["pmid"], []).append(
            f"evidence-tracker: {link['stance']} claim {link['claim_id']} (level {link['level']}, "
            f"{link['design']}{retracted})")
    entry = ris if fmt == "ris" else bibtex
    return "".join(entry(records[pmid], "; ".join(lines + _disclosure_notes(records[pmid])))
                   + ("\n" if fmt == "bibtex" else "") for pmid, lines in notes.items()), len(records)


def _disclosures(record: dict) -> list[str]:
    """Trial registrations, funding agencies (each "; "-separated) and the COI statement."""
    return ["; ".join(json.loads(record["trial_registrations"] or "[]")),
            "; ".join(json.loads(record["funding_agencies"] or "[]")), record["coi_statement"] or ""]


def _disclosure_notes(record: dict) -> list[str]:
    registered, funding, coi = _disclosures(record)
    return [f"{name}: {value}" for name, value in
            (("registered trial", registered), ("funding", funding), ("conflicts of interest", coi)) if value]
