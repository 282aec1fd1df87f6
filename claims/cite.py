"""References in the formats reviewers use elsewhere: Vancouver text, RIS and BibTeX.

A record is what `db.articles.citation_records` returns. Local identifiers (records whose
PubMed ID is not known) are never presented as PMIDs.
"""

from __future__ import annotations

import re
from typing import Any

MAX_AUTHORS = 6  # Vancouver: list six, then "et al."


def pubmed_url(record: dict[str, Any]) -> str | None:
    return None if record.get("is_local_id") else f"https://pubmed.ncbi.nlm.nih.gov/{record['pmid']}/"


SHORT_TITLE_WORDS = 5  # a record without authors is cited by the start of its title


def _name_parts(author: dict[str, Any]) -> tuple[str, str]:
    """Surname and initials; a record with an initial where the surname belongs ("L.", forename
    "Pomeroy Jared") is read as the surname first in the forename ("Pomeroy", "JL")."""
    last = (author.get("last_name") or "").strip()
    fore = (author.get("fore_name") or "").split()
    if re.fullmatch(r"[A-Z]\.?", last) and len(fore) > 1:
        return fore[0], "".join(word[0] for word in fore[1:]) + last.rstrip(".")
    return last, author.get("initials") or ""


def _vancouver_name(author: dict[str, Any]) -> str:
    surname, initials = _name_parts(author)
    if surname:
        return f"{surname} {initials}".strip()
    return author.get("collective_name") or author.get("name") or ""


def author_names(record: dict[str, Any]) -> list[str]:
    """Every author as Vancouver writes one ("Smith AB", "GBD 2016 Headache Collaborators")."""
    return [name for name in map(_vancouver_name, record.get("authors", [])) if name]


def _sentence(text: str) -> str:
    """Text closed by one full stop: "J. Clin. Med." and "effects?" get none added."""
    text = text.strip()
    return text if text[-1:] in (".", "?", "!") else f"{text}."


def short_citation(first_author: dict[str, Any] | None, year: int | None, title: str | None) -> str:
    """"Friedman 2018"; "GBD 2016 Headache Collaborators 2018"; by the title's start when no author."""
    year_text = year or "n.d."
    if first_author:
        surname = _name_parts(first_author)[0] or first_author.get("collective_name") or first_author.get("name")
        if surname:
            return f"{surname} {year_text}"
    words = (title or "Untitled record").split()
    short = " ".join(words[:SHORT_TITLE_WORDS]).rstrip(".:;,") + ("…" if len(words) > SHORT_TITLE_WORDS else "")
    return f"{short} {year_text}"


def vancouver(record: dict[str, Any]) -> str:
    """Smith AB, Jones C, et al. Title. J Abbrev. 2018;12(3):101-9. doi:10.x/y. PMID: 123."""
    names = author_names(record)
    authors = ", ".join(names[:MAX_AUTHORS]) + (", et al" if len(names) > MAX_AUTHORS else "")
    title = record.get("title") or "[No title]"
    journal = record.get("iso_abbreviation") or record.get("journal") or ""
    issue = f"({record['issue']})" if record.get("issue") else ""
    volume = f";{record['volume']}{issue}" if record.get("volume") else ""
    pages = f":{record['pages']}" if record.get("pages") else ""
    parts = [f"{authors}." if authors else "", _sentence(title),
             f"{_sentence(journal) if journal else ''} {record.get('pub_year') or 'n.d.'}{volume}{pages}.".strip()]
    if record.get("doi"):
        parts.append(f"doi:{record['doi']}.")
    parts.append(f"Local record {record['pmid']}." if record.get("is_local_id") else f"PMID: {record['pmid']}.")
    return " ".join(p for p in parts if p)


def ris(record: dict[str, Any], note: str) -> str:
    """One RIS entry (Zotero, EndNote, Mendeley), the stance and level in N1."""
    lines = [("TY", "JOUR")]
    for author in record.get("authors", []):
        if author.get("last_name"):
            lines.append(("AU", f"{author['last_name']}, {author.get('fore_name') or author.get('initials') or ''}"
                          .rstrip(", ")))
        elif author.get("collective_name"):
            lines.append(("AU", author["collective_name"]))
    lines += [("TI", record.get("title")), ("T2", record.get("journal")), ("J2", record.get("iso_abbreviation")),
              ("PY", record.get("pub_year")), ("VL", record.get("volume")), ("IS", record.get("issue"))]
    start, _, end = (record.get("pages") or "").partition("-")
    lines += [("SP", start), ("EP", end), ("DO", record.get("doi")), ("AB", record.get("abstract"))]
    if not record.get("is_local_id"):
        lines += [("AN", f"PMID:{record['pmid']}"), ("UR", pubmed_url(record))]
    lines += [("N1", note), ("ER", "")]
    return "".join(f"{tag}  - {_one_line(value)}\n" for tag, value in lines if value not in (None, "") or tag == "ER")


def bibtex(record: dict[str, Any], note: str) -> str:
    """One @article entry; braces and TeX specials in values are escaped."""
    first = next((a.get("last_name") or a.get("collective_name") or "" for a in record.get("authors", [])), "")
    key = re.sub(r"[^A-Za-z0-9]", "", first) or "anon"
    key = f"{key}{record.get('pub_year') or 'nd'}_{record['pmid']}"
    authors = " and ".join(
        f"{a['last_name']}, {a.get('fore_name') or a.get('initials') or ''}".rstrip(", ") if a.get("last_name")
        else "{" + (a.get("collective_name") or a.get("name") or "") + "}" for a in record.get("authors", []))
    fields = [("author", authors), ("title", record.get("title")), ("journal", record.get("journal")),
              ("year", record.get("pub_year")), ("volume", record.get("volume")), ("number", record.get("issue")),
              ("pages", (record.get("pages") or "").replace("-", "--")), ("doi", record.get("doi"))]
    if not record.get("is_local_id"):
        fields += [("pmid", record["pmid"]), ("url", pubmed_url(record))]
    fields.append(("note", note))
    body = ",\n".join(f"  {name} = {{{_tex(value) if name not in ('url', 'doi') else _one_line(value)}}}"
                      for name, value in fields if value not in (None, ""))
    return f"@article{{{key},\n{body}\n}}\n"


def _one_line(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()


_TEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$",
        "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex(value: Any) -> str:
    return "".join(_TEX.get(ch, ch) for ch in _one_line(value))
