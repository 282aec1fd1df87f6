"""A local stand-in for NCBI E-utilities: real HTTP on 127.0.0.1, esearch and efetch for PubMed.

It serves PubMed records given to it (the shared corpus, or synthetic fixtures) and can be
told to misbehave the ways NCBI does: rate limiting with NCBI's 429 body, 5xx HTML pages,
HTML outage pages and JSON rate-limit bodies with HTTP 200, slow answers, truncated XML,
dropped connections, `<ERROR>` answers, the 9,999-hit paging limit and expiring WebEnvs;
and the hostile answers a client must survive: a body dripped a few bytes at a time, a body
of any size (streamed, never held here), a gzip bomb, and a `Content-Encoding` that lies.

Searches understand the date clauses the harvester writes
(`"2024/01/01"[edat] : "2024/12/31"[edat] OR ...[mdat]`); the rest of the term picks the
records through `queries` (a term not listed there matches every record).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lxml import etree

RATE_LIMIT_BODY = '{"error":"API rate limit exceeded","api-key":"127.0.0.1","count":"%d","limit":"%d"}'
OUTAGE_PAGE = ("<!DOCTYPE html><html><head><title>NCBI/eutils202 - WWW Error 500 Diagnostic</title>"
               "</head><body><h1>Server Error</h1><p>Your request could not be processed due to a "
               "problem on our Web server. This could be a transient problem, please try the query "
               "again.</p></body></html>")
_DATE_CLAUSE = re.compile(r'"(\d{4}/\d{2}/\d{2})"\[(edat|mdat)\] : "(\d{4}/\d{2}/\d{2})"\[(?:edat|mdat)\]')


@dataclass
class StubRecord:
    pmid: int
    xml: bytes  # one <PubmedArticle> element
    edat: date
    mdat: date


def records_from_xml(path: str | Path, edat: date = date(2020, 1, 1)) -> list[StubRecord]:
    """Split a PubmedArticleSet file into stub records."""
    records = []
    for _, element in etree.iterparse(str(path), tag="PubmedArticle", resolve_entities=False,
                                      load_dtd=False, no_network=True):
        pmid = int(element.findtext("MedlineCitation/PMID"))
        records.append(StubRecord(pmid, etree.tostring(element), edat, edat))
        element.clear()
    return records


def renumbered(record: StubRecord, pmid: int) -> StubRecord:
    """The same record under another PMID (for timing runs that need many records)."""
    element = etree.fromstring(record.xml)
    element.find("MedlineCitation/PMID").text = str(pmid)
    for article_id in element.iterfind("PubmedData/ArticleIdList/ArticleId[@IdType='pubmed']"):
        article_id.text = str(pmid)
    return StubRecord(pmid, etree.tostring(element), record.edat, record.mdat)


def article_set(records: list[bytes]) -> bytes:
    return (b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
            b'1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
            b"<PubmedArticleSet>\n" + b"\n".join(records) + b"\n</PubmedArticleSet>\n")


@dataclass
class Fault:
    kind: str  # 429 | 500 | html | json-rate-limit | slow | truncate | reset | error | expire
    #            | drip | huge | gzip-bomb | bad-encoding
    endpoint: str | None = None  # esearch | efetch | None for either
    message: str = "Search Backend failed: Exception: temporary failure"
    delay: float = 2.0  # for `slow`; for `drip`, the pause between pieces
    size: int = 0  # for `huge` and `gzip-bomb`: bytes the body holds (decompressed)
    declare_length: bool = False  # for `huge`: send Content-Length (else the body ends at close)
    retry_after: str | None = None  # for 429
    skip: int = 0  # let this many matching requests through first


class EutilsStub:
    """Start with `with EutilsStub(records) as stub:`; point the client at `stub.url`."""

    def __init__(self, records: list[StubRecord] = (), *, rate_limit: int | None = None,
                 max_page: int = 9999, webenv_lifetime: int | None = None):
        self.records = {r.pmid: r for r in records}
        self.queries: dict[str, set[int]] = {}
        self.rate_limit = rate_limit
        self.max_page = max_page
        self.webenv_lifetime = webenv_lifetime  # efetch calls one WebEnv serves
        self.faults: list[Fault] = []
        self.log: list[dict] = []  # every request: endpoint, status, params
        self._histories: dict[str, dict] = {}
        self._accepted: deque[float] = deque()
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/entrez/eutils/"

    def __enter__(self) -> EutilsStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, records: list[StubRecord]) -> None:
        self.records.update({r.pmid: r for r in records})

    def fail(self, kind: str, endpoint: str | None = None, times: int = 1, **options) -> None:
        """Misbehave on the next `times` matching requests."""
        self.faults.extend(Fault(kind, endpoint, **options) for _ in range(times))

    def count(self, endpoint: str | None = None, status: int | None = None) -> int:
        return sum(1 for r in self.log if (endpoint is None or r["endpoint"] == endpoint)
                   and (status is None or r["status"] == status))

    # --- answering -----------------------------------------------------------------------

    def answer(self, endpoint: str, params: dict[str, str]) -> tuple[int, str, bytes, dict, Fault | None]:
        with self._lock:
            if self.rate_limit and not self._admit():
                body = (RATE_LIMIT_BODY % (len(self._accepted) + 1, self.rate_limit)).encode()
                return 429, "application/json", body, {}, None
            fault = next((f for f in self.faults if f.endpoint in (None, endpoint)), None)
            if fault and fault.skip:
                fault.skip -= 1
                fault = None
            elif fault:
                self.faults.remove(fault)
            if fault and fault.kind == "expire":
                self._histories.clear()
                fault = None
            if fault and fault.kind not in _SENT_DIFFERENTLY:
                return (*self._fault_answer(fault, endpoint), fault)
            if endpoint == "esearch":
                return 200, "text/xml", self._esearch(params), {}, fault
            if endpoint == "efetch":
                return 200, "text/xml", self._efetch(params), {}, fault
            return 400, "text/plain", b"unknown endpoint", {}, fault

    def _admit(self) -> bool:
        now = time.monotonic()
        while self._accepted and self._accepted[0] <= now - 1.0:
            self._accepted.popleft()
        if len(self._accepted) >= self.rate_limit:
            return False
        self._accepted.append(now)
        return True

    def _fault_answer(self, fault: Fault, endpoint: str) -> tuple[int, str, bytes, dict]:
        if fault.kind == "429":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return 429, "application/json", (RATE_LIMIT_BODY % (4, 3)).encode(), headers
        if fault.kind == "500":
            return 500, "text/html", OUTAGE_PAGE.encode(), {}
        if fault.kind == "html":
            return 200, "text/html", OUTAGE_PAGE.encode(), {}
        if fault.kind == "json-rate-limit":
            return 200, "application/json", b'{"error":"API rate limit exceeded","count":"11"}', {}
        if fault.kind == "error":
            root = "eSearchResult" if endpoint == "esearch" else "eFetchResult"
            body = f'<?xml version="1.0" ?>\n<{root}><ERROR>{fault.message}</ERROR></{root}>\n'
            return 200, "text/xml", body.encode(), {}
        raise ValueError(f"unknown fault {fault.kind!r}")

    def _matching(self, term: str) -> list[int]:
        ranges = _DATE_CLAUSE.findall(term)
        base = term.split(' AND ("', 1)[0].split(" AND ((", 1)[0]
        base = base[1:-1] if ranges and base.startswith("(") else base
        pmids = self.queries.get(base, set(self.records))
        hits = []
        for pmid in pmids:
            record = self.records.get(pmid)
            if record is None:
                continue
            if ranges and not any(start <= f"{getattr(record, kind):%Y/%m/%d}" <= end
                                  for start, kind, end in ranges):
                continue
            hits.append(pmid)
        return sorted(hits, reverse=True)  # newest PMIDs first, like PubMed's default order

    def _esearch(self, params: dict[str, str]) -> bytes:
        term = params.get("term", "")
        retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
        if retstart > self.max_page - 1:
            return _search_error(f"Search Backend failed: Exception:\n'retstart' cannot be larger "
                                 f"than {self.max_page - 1}. For PubMed, ESearch can only retrieve "
                                 f"the first {self.max_page} records matching the query.")
        hits = self._matching(term)
        history = ""
        if params.get("usehistory") == "y":
            webenv = "MCID_" + secrets.token_hex(12)
            self._histories[webenv] = {"pmids": hits, "uses": 0}
            history = f"<QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv>"
        page = hits[retstart:retstart + min(retmax, self.max_page)]
        ids = "".join(f"<Id>{pmid}</Id>" for pmid in page)
        translation = term.replace("&", "&amp;").replace("<", "&lt;")
        return (f'<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><Count>{len(hits)}</Count>'
                f"<RetMax>{len(page)}</RetMax><RetStart>{retstart}</RetStart>{history}"
                f"<IdList>{ids}</IdList><TranslationSet/>"
                f"<QueryTranslation>{translation}</QueryTranslation></eSearchResult>\n").encode()

    def _efetch(self, params: dict[str, str]) -> bytes:
        if "id" in params:
            pmids = [int(i) for i in params["id"].split(",") if i.strip()]
        else:
            history = self._histories.get(params.get("WebEnv", ""))
            if history is None:
                return _fetch_error("Unable to obtain query #1")
            history["uses"] += 1
            if self.webenv_lifetime and history["uses"] >= self.webenv_lifetime:
                del self._histories[params["WebEnv"]]
            retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
            if retstart > self.max_page - 1:
                return _fetch_error(f"Search Backend failed: 'retstart' cannot be larger than "
                                    f"{self.max_page - 1}")
            pmids = history["pmids"][retstart:min(retstart + retmax, self.max_page)]
        return article_set([self.records[p].xml for p in pmids if p in self.records])


def _search_error(message: str) -> bytes:
    return f'<?xml version="1.0" ?>\n<eSearchResult><ERROR>{message}</ERROR></eSearchResult>\n'.encode()


def _fetch_error(message: str) -> bytes:
    return f'<?xml version="1.0" ?>\n<eFetchResult>\n\t<ERROR>{message}</ERROR>\n</eFetchResult>\n'.encode()


# Faults that change how a normal answer is sent rather than what it says.
_SENT_DIFFERENTLY = ("slow", "truncate", "reset", "drip", "huge", "gzip-bomb", "bad-encoding")
DRIP_PIECE = 16  # bytes per piece of a dripped answer
_ZEROS = bytes(1 << 20)


@lru_cache(maxsize=4)
def gzip_bomb(size: int) -> bytes:
    """A gzip body that decompresses to `size` zero bytes (about 1,000 times smaller)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    pieces = [packer.compress(_ZEROS[:min(len(_ZEROS), size - sent)])
              for sent in range(0, size, len(_ZEROS))]
    return b"".join(pieces) + packer.flush()


def drip(out, body: bytes, pause: float) -> None:
    """Send `body` DRIP_PIECE bytes at a time, `pause` seconds apart: each read is quick, the whole slow."""
    for start in range(0, len(body), DRIP_PIECE):
        out.write(body[start:start + DRIP_PIECE])
        out.flush()
        time.sleep(pause)


def send_zeros(out, size: int) -> None:
    """A body of `size` zero bytes, a megabyte at a time."""
    for sent in range(0, size, len(_ZEROS)):
        out.write(_ZEROS[:min(len(_ZEROS), size - sent)])


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up on a slow answer closed its socket: expected here


def _handler(stub: EutilsStub):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._serve(urlsplit(self.path).query)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve(self.rfile.read(length).decode())

        def _serve(self, query: str) -> None:
            params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
            endpoint = Path(urlsplit(self.path).path).stem  # esearch.fcgi -> esearch
            status, kind, body, headers, fault = stub.answer(endpoint, params)
            stub.log.append({"endpoint": endpoint, "status": status, "method": self.command,
                             "fault": fault.kind if fault else None, "params": params})
            if fault and fault.kind == "reset":
                self.close_connection = True
                return
            if fault and fault.kind == "slow":
                time.sleep(fault.delay)
            if fault and fault.kind == "truncate":
                body = body[: len(body) // 2]
            encoding = None
            if fault and fault.kind == "gzip-bomb":
                body, encoding = gzip_bomb(fault.size), "gzip"
            if fault and fault.kind == "bad-encoding":
                encoding = "gzip"  # but the body is plain XML
            self.send_response(status)
            self.send_header("Content-Type", kind)
            if encoding:
                self.send_header("Content-Encoding", encoding)
            if fault and fault.kind == "huge" and not fault.declare_length:
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(fault.size if fault and fault.kind == "huge"
                                                       else len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if fault and fault.kind == "drip":
                drip(self.wfile, body, fault.delay)
            elif fault and fault.kind == "huge":
                send_zeros(self.wfile, fault.size)
            else:
                self.wfile.write(body)

    return Handler



def synthetic_record(pmid: int, edat: date, title: str = "harvest test record",
                     revised: date | None = None) -> StubRecord:
    """A minimal PubmedArticle, marked as a test fixture (PMIDs from 99000000 up)."""
    assert pmid >= 99_000_000, "synthetic records use PMIDs from 99000000 up"
    revised = revised or edat
    xml = (f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
           f'<PMID Version="1">{pmid}</PMID>{_date("DateRevised", revised)}'
           f'<Article PubModel="Print"><Journal><Title>Journal of Test Fixtures</Title>'
           f"<JournalIssue><PubDate><Year>{edat.year}</Year></PubDate></JournalIssue></Journal>"
           f"<ArticleTitle>[TEST FIXTURE] {title} {pmid}</ArticleTitle>"
           f"<Abstract><AbstractText>Synthetic abstract of record {pmid}.</AbstractText></Abstract>"
           f'<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>'
           f"</PublicationTypeList></Article></MedlineCitation><PubmedData><History>"
           f'{_date("PubMedPubDate", edat, PubStatus="entrez")}</History><ArticleIdList>'
           f'<ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>')
    return StubRecord(pmid, xml.encode(), edat, revised)


def _date(tag: str, day: date, **attributes: str) -> str:
    attrs = "".join(f' {k}="{v}"' for k, v in attributes.items())
    return (f"<{tag}{attrs}><Year>{day.year}</Year><Month>{day.month:02d}</Month>"
            f"<Day>{day.day:02d}</Day></{tag}>")
