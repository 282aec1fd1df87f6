"""The E-utilities client against a local stub: politeness, retries, clear errors."""

from __future__ import annotations

import json
import time
from datetime import date

import httpx
import pytest

from harvest.eutils import (
    EUtils,
    EUtilsError,
    HistoryExpired,
    RateLimiter,
    Unreachable,
    _checked_body,
    _parse_esearch,
    _Transient,
    shared_limiter,
)
from tests.eutils_stub import EutilsStub, synthetic_record

RECORDS = [synthetic_record(99200000 + i, date(2024, 1, 1 + i)) for i in range(12)]


def client_for(stub: EutilsStub, **options) -> EUtils:
    options = {"email": "tests@example.org", "timeout": 1.0, "max_retries": 3, "backoff": 0.01,
               "limiter": RateLimiter(200), **options}
    return EUtils(stub.url, **options)


@pytest.fixture
def stub():
    with EutilsStub(RECORDS) as server:
        yield server


def fetch_all(client: EUtils) -> list[int]:
    found = client.esearch("anything")
    items = client.efetch(webenv=found.webenv, query_key=found.query_key, retmax=100)
    return sorted(item["pmid"] for item in items)


def test_every_request_names_the_tool_and_email_and_sends_the_api_key(stub):
    with client_for(stub, api_key="secret-key") as client:
        fetch_all(client)
    for request in stub.log:
        assert request["params"]["tool"] == "evidence-tracker"
        assert request["params"]["email"] == "tests@example.org"
        assert request["params"]["api_key"] == "secret-key"


def test_search_uses_the_history_server_and_fetches_through_it(stub):
    with client_for(stub) as client:
        assert fetch_all(client) == sorted(r.pmid for r in RECORDS)
    search, fetch = stub.log
    assert search["params"]["usehistory"] == "y"
    assert fetch["params"]["WebEnv"].startswith("MCID_") and fetch["params"]["query_key"] == "1"


def test_long_id_lists_are_posted(stub):
    ids = [r.pmid for r in RECORDS] + list(range(99300000, 99300400))
    with client_for(stub) as client:
        items = client.efetch(ids=ids)
    assert len(items) == len(RECORDS)
    assert stub.log[-1]["method"] == "POST"


def test_a_clean_run_at_three_per_second_never_trips_the_rate_limit():
    with EutilsStub(RECORDS, rate_limit=3) as stub, client_for(stub, limiter=RateLimiter(3)) as client:
        started = time.monotonic()
        for _ in range(7):
            client.esearch("anything")
        elapsed = time.monotonic() - started
    assert stub.count(status=429) == 0
    assert elapsed >= 6 / 3  # seven requests need at least two seconds at 3/s


def test_all_clients_in_the_process_share_one_limiter_per_rate():
    assert shared_limiter(3.0) is shared_limiter(3.0)
    assert EUtils(email="x@example.org").limiter is EUtils(email="y@example.org").limiter
    assert EUtils(email="x@example.org", api_key="k").limiter is shared_limiter(10.0)


@pytest.mark.parametrize("kind", ["429", "500", "html", "json-rate-limit", "slow", "truncate",
                                  "reset", "error", "drip", "bad-encoding"])
@pytest.mark.parametrize("endpoint", ["esearch", "efetch"])
def test_each_transient_fault_is_retried_and_the_answer_is_the_same(stub, kind, endpoint):
    stub.fail(kind, endpoint, delay=3.0)
    with client_for(stub) as client:
        assert fetch_all(client) == sorted(r.pmid for r in RECORDS)
        assert client.stats.retries == 1
        assert client.stats.requests == 3


def test_a_dripped_answer_ends_at_the_timeout_for_the_whole_answer(stub):
    stub.fail("drip", "esearch", times=3, delay=0.1)  # 16 bytes every 0.1 s: each read is quick
    with client_for(stub, timeout=1.0, max_retries=1) as client, pytest.raises(EUtilsError) as error:
        started = time.monotonic()
        client.esearch("anything")
    assert "no complete answer within 1 s" in str(error.value)
    assert time.monotonic() - started < 2 * 1.0 + 0.5  # two tries of one second, and a back-off


@pytest.mark.parametrize("kind, declare_length", [("huge", True), ("huge", False), ("gzip-bomb", False)],
                         ids=["declared-length", "until-close", "gzip-bomb"])
def test_an_answer_over_the_size_limit_is_one_clear_error_and_not_retried(stub, kind, declare_length):
    stub.fail(kind, "efetch", size=20_000_000, declare_length=declare_length)
    with client_for(stub, max_bytes=1_000_000) as client, pytest.raises(EUtilsError) as error:
        fetch_all(client)
    assert "over the 1 MB limit" in str(error.value) or "than the 1 MB limit" in str(error.value)
    assert "batch-size" in str(error.value)
    assert stub.count("efetch") == 1


def test_a_content_encoding_that_never_decodes_fails_with_one_line(stub):
    stub.fail("bad-encoding", "esearch", times=10)
    with client_for(stub, max_retries=2) as client, pytest.raises(EUtilsError) as error:
        client.esearch("anything")
    assert str(error.value).startswith("esearch failed 3 times; last: an answer that does not decode")
    assert "\n" not in str(error.value)


def test_retry_after_is_honoured(stub):
    stub.fail("429", "esearch", retry_after="0.6")
    with client_for(stub) as client:
        started = time.monotonic()
        client.esearch("anything")
    assert time.monotonic() - started >= 0.6


def test_retries_are_bounded_and_the_error_says_what_happened(stub):
    stub.fail("500", "esearch", times=10)
    with client_for(stub, max_retries=2) as client, pytest.raises(EUtilsError) as error:
        client.esearch("anything")
    assert "esearch failed 3 times" in str(error.value)
    assert "HTTP 500" in str(error.value) and "Error 500 Diagnostic" in str(error.value)
    assert stub.count("esearch") == 3


def test_an_error_element_is_an_error_and_not_retried(stub):
    stub.fail("error", "esearch", message="Invalid db name specified: fleegle")
    with client_for(stub) as client, pytest.raises(EUtilsError, match="fleegle"):
        client.esearch("anything")
    assert stub.count("esearch") == 1


def test_an_expired_history_says_so(stub):
    stub.fail("expire", "efetch")
    with client_for(stub) as client:
        found = client.esearch("anything")
        with pytest.raises(HistoryExpired, match="Unable to obtain query #1"):
            client.efetch(webenv=found.webenv, query_key=found.query_key)


def test_an_unreachable_endpoint_fails_at_once_without_retries():
    client = EUtils("http://127.0.0.1:9/entrez/eutils/", email="t@example.org", max_retries=5,
                    backoff=5.0, limiter=RateLimiter(100))
    started = time.monotonic()
    with pytest.raises(Unreachable) as error:
        client.esearch("anything")
    assert time.monotonic() - started < 2
    assert "cannot reach 127.0.0.1:9" in str(error.value)
    assert "evidence import" in str(error.value)


def test_a_dropped_connection_after_first_contact_is_retried(stub):
    with client_for(stub) as client:
        client.esearch("anything")
        stub.fail("reset", "esearch")
        client.esearch("anything")
        assert client.stats.retries == 1


# --- real NCBI answers saved by other projects (../shared/eutils-samples) -----------------

def test_real_esearch_answers_give_history_translation_and_warnings(samples):
    history = _parse_esearch((samples / "klortho__esearch.pubmed.xml").read_bytes())
    assert history.webenv and history.query_key == "1" and history.count > 0
    paged = _parse_esearch((samples / "esearch__biopython_esearch3_translationset_retstart.xml").read_bytes())
    assert paged.count == 2651 and paged.ids[0] == 11121077
    assert paged.query_translation == '"proc natl acad sci u s a"[Journal] AND "97"[Volume]'
    empty = _parse_esearch((samples / "esearch__biopython_esearch8_phrasenotfound_warning.xml").read_bytes())
    assert empty.count == 0
    assert empty.warnings == ["ErrorList: PhraseNotFound: abcXYZ",
                              "WarningList: OutputMessage: No items found."]


def test_real_error_element_is_an_error_but_an_empty_one_is_not(samples):
    with pytest.raises(EUtilsError, match="Invalid db name specified: fleegle"):
        _parse_esearch((samples / "klortho__esearch.baderror.xml").read_bytes())
    partial = _parse_esearch((samples / "klortho__esearch.error.xml").read_bytes())
    assert partial.count == 5163 and partial.warnings == ["ErrorList: PhraseNotFound: fleegle[MeSH Terms]"]
    empty_error = (b'<?xml version="1.0"?><eSearchResult><Count>1</Count><IdList><Id>1</Id></IdList>'
                   b"<ERROR/></eSearchResult>")
    assert _parse_esearch(empty_error).count == 1


def test_real_rate_limit_and_outage_bodies_are_retried(samples):
    observed = [json.loads(line) for line in (samples / "observed_error_bodies.jsonl").open()]
    retried = 0
    for case in observed:
        status = case["http_status"] if isinstance(case["http_status"], int) else 200
        body = case["body"].encode()
        if not (body.startswith(b"{\"error\":\"API rate limit") or body.startswith(b"<head>")):
            continue
        response = httpx.Response(status, content=body)
        with pytest.raises(_Transient):
            _checked_body(response, body)
        retried += 1
    assert retried >= 6
