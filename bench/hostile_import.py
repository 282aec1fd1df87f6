"""Hostile input for `evidence import`: gzip bombs and oversized records, and the memory each costs.

Builds, in a temporary folder, one small .gz file per case whose decompressed payload sits
where a streaming parser would have to hold it whole: a comment, a CDATA section, a processing
instruction, an attribute value, the DOCTYPE, plain text between records (GiBs each, from a
file of a few MB), one 16 MiB record of 2 million inline elements, and many records each within
the limits but nearly 8 MiB. Runs `evidence import` on each in its own process and prints its exit
status, peak memory (the importer and its reader process together) and the line it printed.
Every case must stay under --limit-mb.

    python bench/hostile_import.py [--gib 4] [--limit-mb 300] [--case comment ...]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench.faultkit import run_measured  # noqa: E402

EVIDENCE = Path(sys.executable).parent / "evidence"
_RECORD_HEAD = (b'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
                b'<PMID Version="1">99000001</PMID><Article>'
                b"<Journal><Title>Journal of Synthetic Fixtures</Title></Journal>")
_RECORD_TAIL = b"</Article></MedlineCitation></PubmedArticle>"
_FILLER = b"hostile " * 8

# case -> (what comes before the payload, the unit repeated, what comes after)
CASES: dict[str, tuple[bytes, bytes, bytes]] = {
    "comment": (b"<PubmedArticleSet><!--", _FILLER, b"--></PubmedArticleSet>"),
    "cdata": (b"<PubmedArticleSet>" + _RECORD_HEAD + b"<ArticleTitle><![CDATA[", _FILLER,
              b"]]></ArticleTitle>" + _RECORD_TAIL + b"</PubmedArticleSet>"),
    "processing-instruction": (b"<PubmedArticleSet><?payload ", _FILLER, b"?></PubmedArticleSet>"),
    "attribute": (b'<PubmedArticleSet><PubmedArticle note="', _FILLER,
                  b'"><MedlineCitation/></PubmedArticle></PubmedArticleSet>'),
    "doctype": (b"<!DOCTYPE PubmedArticleSet [<!--", _FILLER, b"-->]><PubmedArticleSet></PubmedArticleSet>"),
    "text": (b"<PubmedArticleSet>", _FILLER, b"</PubmedArticleSet>"),
    "inline-elements": (b"<PubmedArticleSet>" + _RECORD_HEAD + b"<ArticleTitle>[TEST FIXTURE] ",
                        b"<i>x</i>" * 8, b"</ArticleTitle>" + _RECORD_TAIL + b"</PubmedArticleSet>"),
}
INLINE_ELEMENTS = 2_000_000  # in one record of about 16 MiB, as the attack run used
BIG_RECORDS, BIG_RECORD_TEXT = 40, 4_000_000  # a title and an abstract each: a record just under 8 MiB


def write_payload_gzip(path: Path, before: bytes, unit: bytes, payload_bytes: int, after: bytes) -> None:
    """`before`, `unit` repeated to `payload_bytes`, `after`, as a multi-member gzip file.

    One 8 MiB member is compressed once and written again and again, so building a 4 GiB bomb
    takes a second; gzip readers (Python's included) read the members as one stream.
    """
    block = unit * max(1, (8 * 2**20) // len(unit))
    packed_block = gzip.compress(block, compresslevel=9)
    with open(path, "wb") as out:
        out.write(gzip.compress(before))
        written = 0
        while written + len(block) <= payload_bytes:
            out.write(packed_block)
            written += len(block)
        rest = (payload_bytes - written) // len(unit)
        out.write(gzip.compress(unit * rest + after))


def write_big_records(path: Path, count: int = BIG_RECORDS, text_bytes: int = BIG_RECORD_TEXT) -> None:
    """`count` records, each with a title and an abstract of `text_bytes` of words: the most
    text a record may carry, as many times as a batch would take."""
    words = b"lorem " * (text_bytes // 6)
    body = (b"<ArticleTitle>[TEST FIXTURE] " + words + b"</ArticleTitle>"
            b"<Abstract><AbstractText>" + words + b"</AbstractText></Abstract>")
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(b"<PubmedArticleSet>")
        for i in range(count):
            head = _RECORD_HEAD.replace(b">99000001<", f">{99_500_000 + i}<".encode())
            out.write(head + body + _RECORD_TAIL)
        out.write(b"</PubmedArticleSet>")


def build(case: str, folder: Path, gib: float) -> Path:
    path = folder / f"{case}.xml.gz"
    if case == "big-records":
        write_big_records(path)
    else:
        before, unit, after = CASES[case]
        size = INLINE_ELEMENTS * 8 if case == "inline-elements" else int(gib * 2**30)
        write_payload_gzip(path, before, unit, size, after)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gib", type=float, default=4.0, help="decompressed payload of each bomb (GiB)")
    parser.add_argument("--limit-mb", type=float, default=300.0,
                        help="peak memory every case must stay under")
    parser.add_argument("--case", action="append", choices=[*CASES, "big-records"],
                        help="run only these cases (repeatable)")
    args = parser.parse_args()
    cases = args.case or [*CASES, "big-records"]
    failed = 0
    print(f"{'case':<24} {'file':>9} {'exit':>4} {'peak MB':>8} {'seconds':>8}  what it said")
    with tempfile.TemporaryDirectory(prefix="hostile-import-") as tmp:
        folder = Path(tmp)
        for case in cases:
            path = build(case, folder, args.gib)
            status, peak, seconds, stderr = run_measured(
                [str(EVIDENCE), "import", str(path), "--db", str(folder / f"{case}.db"), "--quiet"])
            said = " | ".join(line for line in stderr.splitlines() if line.strip())[:160] or "(nothing)"
            ok = peak < args.limit_mb and "Traceback" not in stderr
            failed += not ok
            size = f"{path.stat().st_size / 2**20:.1f} MB"
            print(f"{case:<24} {size:>9} {status:>4} {peak:>8.0f} {seconds:>8.1f}  {said}"
                  + ("" if ok else "  <-- FAILED"))
            path.unlink()
    print(f"{len(cases) - failed} of {len(cases)} cases under {args.limit_mb:.0f} MB without a traceback")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
