"""LLM summarizers against a local stand-in of each API over real HTTP on 127.0.0.1 (tests/fakes/llm_api.py).

What matters: the request each API documents (headers, model, the source text), every returned claim
checked against the source (quote, t and page come from the source, invented claims are marked),
one warning line and the extractive summary on any failure, keys never logged, and the selection rules.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import ssl
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from bot.capture.extract import Extracted, extract_article
from bot.capture.llm import (
    ANTHROPIC_VERSION,
    DEFAULT_ANTHROPIC_MODEL,
    DEFAULT_OPENAI_MODEL,
    MAX_SOURCE_WORDS,
    AnthropicSummarizer,
    OpenAISummarizer,
    check_claims,
    source_text,
)
from bot.capture.pdf import extract_pdf
from bot.capture.pipeline import CaptureOptions, capture_local, options_from_settings
from bot.capture.summarize import ExtractiveSummarizer, Summarizer, source_sentences
from bot.capture.summarizers import summarizer_from_settings
from bot.capture.youtube import Transcript, video_extracted
from bot.config import ConfigError, Settings
from bot.kb.render import claim_link
from tests.fakes.llm_api import INVENTED_CLAIM, FakeLLMAPI
from tests.fixtures.pages.corpus import load_page

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
KEY_A = "sk-ant-api03-test0123456789abcdefghSECRET"
KEY_O = "sk-proj-test0123456789abcdefghijSECRET"
PROVIDERS = ("anthropic", "openai")


# --------------------------------------------------------------------------- sources and helpers


@pytest.fixture(scope="module")
def article() -> Extracted:
    page = load_page("blog-essay")
    return extract_article(page.data, page.url)


@pytest.fixture(scope="module")
def paper() -> Extracted:
    data = (FIXTURES / "pdf" / "sparse-retrieval.pdf").read_bytes()
    return extract_pdf(data, "https://arxiv.org/pdf/2401.01234v1")


@pytest.fixture(scope="module")
def video() -> Extracted:
    root = ET.parse(FIXTURES / "youtube" / "scaling.transcript.xml").getroot()
    snippets = [(float(node.get("start", "0")), node.text or "") for node in root.iter("text")]
    transcript = Transcript("_zgnSbu5GqE", snippets, language="en", details={"title": "What are we scaling?"})
    return video_extracted("_zgnSbu5GqE", transcript)


@pytest.fixture
def fake():
    with FakeLLMAPI() as server:
        yield server


def make(provider: str, fake: FakeLLMAPI, **kw: Any) -> Summarizer:
    if provider == "anthropic":
        return AnthropicSummarizer(api_key=KEY_A, model="claude-test", base_url=fake.base_url, **kw)
    return OpenAISummarizer(api_key=KEY_O, model="gpt-test", base_url=fake.openai_base_url, **kw)


def places(extracted: Extracted) -> dict[str, tuple[int | None, int | None]]:
    """Every source sentence with its (t, page): where a checked claim must point."""
    return {text: (t, page) for text, t, page in source_sentences(extracted)}


def llm_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.capture.llm" and r.levelno >= logging.WARNING]


def assert_no_key(caplog: pytest.LogCaptureFixture, *texts: str) -> None:
    for key in (KEY_A, KEY_O):
        assert key not in caplog.text
        assert key[-12:] not in caplog.text  # not even a tail
        for text in texts:
            assert key not in text


# --------------------------------------------------------------------------- request shape


def test_anthropic_request_follows_the_messages_api(fake, article, caplog):
    caplog.set_level(logging.DEBUG)
    fake.api_key = KEY_A
    summarizer = make("anthropic", fake)
    summary = summarizer.summarize(article)

    assert summary.method == "anthropic:claude-test"
    [req] = fake.requests
    assert req.path == "/v1/messages"
    assert req.headers["x-api-key"] == KEY_A
    assert req.headers["anthropic-version"] == ANTHROPIC_VERSION == "2023-06-01"
    assert req.headers["content-type"] == "application/json"
    assert "authorization" not in req.headers
    body = req.body
    assert body["model"] == "claude-test" and body["max_tokens"] >= 1024
    [tool] = body["tools"]
    assert body["tool_choice"] == {"type": "tool", "name": tool["name"]}
    schema = tool["input_schema"]
    assert schema["required"] == ["summary", "claims", "tags"]
    assert set(schema["properties"]["claims"]["items"]["properties"]) == {"text", "quote", "t", "page"}
    assert "verbatim" in body["system"]
    user = req.user_text
    assert f"Title: {article.title}" in user and "Kind: article" in user and article.url in user
    first_sentence = source_sentences(article)[0][0]
    assert first_sentence in user and "<source>" in user
    assert_no_key(caplog, repr(summarizer), str(summary))


def test_openai_request_follows_chat_completions(fake, article, caplog):
    caplog.set_level(logging.DEBUG)
    fake.api_key = KEY_O
    summarizer = make("openai", fake)
    summary = summarizer.summarize(article)

    assert summary.method == "openai:gpt-test"
    [req] = fake.requests
    assert req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == f"Bearer {KEY_O}"
    assert "x-api-key" not in req.headers
    body = req.body
    assert body["model"] == "gpt-test"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["required"] == ["summary", "claims", "tags"]
    assert source_sentences(article)[0][0] in req.user_text
    assert_no_key(caplog, repr(summarizer), str(summary))


def test_local_openai_server_needs_no_key(fake, article):
    summarizer = OpenAISummarizer(api_key=None, model="llama3.1", base_url=fake.openai_base_url)
    assert summarizer.summarize(article).method == "openai:llama3.1"
    [req] = fake.requests
    assert "authorization" not in req.headers
    assert "key=none" in repr(summarizer)


def test_openai_server_without_structured_outputs_gets_json_mode(fake, article, caplog):
    fake.set_mode("no_schema")
    summary = make("openai", fake).summarize(article)
    assert summary.method == "openai:gpt-test"
    first, second = fake.requests
    assert first.body["response_format"]["type"] == "json_schema"
    assert second.body["response_format"] == {"type": "json_object"}
    assert "JSON" in second.body["messages"][0]["content"]  # JSON mode requires the word in the prompt
    assert not llm_warnings(caplog)


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate for 127.0.0.1, and a client context trusting it."""
    assert shutil.which("openssl"), "the TLS tests need the openssl command (Debian package openssl)"
    folder = tmp_path_factory.mktemp("llm-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_https_verifies_the_certificate(provider, tls_pair, article, caplog):
    server_tls, client_tls = tls_pair
    with FakeLLMAPI(api_key=KEY_A if provider == "anthropic" else KEY_O, tls=server_tls) as fake:
        assert fake.base_url.startswith("https://127.0.0.1:")
        summary = make(provider, fake, ssl_context=client_tls).summarize(article)
        assert summary.method.startswith(f"{provider}:") and len(fake.requests) == 1
        untrusted = make(provider, fake).summarize(article)  # system roots do not know this certificate
        assert untrusted.method == "extractive (fallback: TLS error (SSLCertVerificationError))"
        assert len(fake.requests) == 1  # nothing was sent over the unverified connection
    assert_no_key(caplog)


# --------------------------------------------------------------------------- claims checked against the source


@pytest.mark.parametrize("provider", PROVIDERS)
def test_claims_are_checked_against_the_source(provider, fake, article):
    fake.set_mode("invent")
    summary = make(provider, fake).summarize(article)
    answer = fake.answers[-1]
    sentences = places(article)
    by_text = {c.text: c for c in summary.claims}
    assert [c.text for c in summary.claims] == [c["text"] for c in answer["claims"]]

    invented = by_text[INVENTED_CLAIM]
    assert invented.supported is False
    assert (invented.quote, invented.t, invented.page) == (None, None, None)  # no invented place
    assert claim_link(article.url, invented) == article.url

    real = [c for c in summary.claims if c.text != INVENTED_CLAIM]
    assert len(real) == 4
    for claim in real:
        assert claim.supported is True
        assert claim.quote in sentences, claim.quote
        assert "#:~:text=" in claim_link(article.url, claim)
    verbatim, curly, reworded, spanning = real
    assert verbatim.quote == answer["claims"][0]["quote"]
    assert (
        answer["claims"][1]["quote"].startswith("“") and curly.quote in sentences
    )  # normalised back to the page's text
    assert answer["claims"][3]["quote"] is None and reworded.text.startswith("In short")
    assert reworded.text.removeprefix("In short, ").rstrip(".") in reworded.quote
    assert spanning.quote in answer["claims"][4]["quote"]  # one of the two sentences the quote spans
    assert summary.text == answer["summary"]
    assert summary.tags == ["research-notes", "knowledge-base"]  # '#', case, duplicates and blanks cleaned


def test_video_claims_take_their_time_from_the_transcript(fake, video):
    fake.set_mode("invent")
    summary = make("anthropic", fake).summarize(video)
    user = fake.requests[0].user_text
    assert "\n[0s] I'm confused why some people" in user
    answer = fake.answers[-1]
    sentences = places(video)
    last_t = int(video.segments[-1][0])
    for claim, raw in zip(summary.claims, answer["claims"], strict=True):
        if claim.text == INVENTED_CLAIM:
            assert claim.supported is False and claim.t is None and claim.quote is None
            continue
        assert claim.supported is True
        assert (claim.t, claim.page) == sentences[claim.quote]
        assert 0 <= claim.t <= last_t
        if raw["t"] is not None and raw["t"] > last_t:
            assert claim.t != raw["t"]  # a wrong hint is never copied
        assert claim_link(video.url, claim).endswith(f"&t={claim.t}s")


def test_pdf_claims_take_their_page_from_the_pdf(fake, paper):
    fake.set_mode("invent")
    summary = make("openai", fake).summarize(paper)
    user = fake.requests[0].user_text
    assert "[page 1]" in user and "[page 2]" in user and "[page 3]" in user
    answer = fake.answers[-1]
    sentences = places(paper)
    assert any(raw["page"] and raw["page"] > 3 for raw in answer["claims"])  # the fake hinted a wrong page
    for claim in summary.claims:
        if claim.text == INVENTED_CLAIM:
            assert claim.supported is False and claim.page is None
            continue
        assert claim.supported is True
        assert (claim.t, claim.page) == sentences[claim.quote]
        assert claim.page in (1, 2, 3)
        assert claim_link(paper.url, claim).endswith(f"#page={claim.page}")


def test_cjk_quotes_are_checked_too(fake):
    page = load_page("shift-jis-railways")
    extracted = extract_article(page.data, page.url)
    fake.set_mode("invent")
    summary = make("anthropic", fake).summarize(extracted)
    sentences = places(extracted)
    verbatim = summary.claims[0]
    assert verbatim.supported is True and verbatim.quote in sentences
    assert [c.supported for c in summary.claims if c.text == INVENTED_CLAIM] == [False]


def test_check_claims_needs_the_claims_own_subject_and_figures(article):
    sentence = next(text for text, _, _ in source_sentences(article) if len(text.split()) > 12)
    checked = check_claims(
        [
            {"text": "The author keeps three cats and a parrot at home.", "quote": sentence},  # real quote, other claim
            {"text": sentence.replace(sentence.split()[0], "Indeed,", 1), "quote": None, "t": 5, "page": 7},
            {"text": "short", "quote": "too short"},
        ],
        article,
    )
    assert [c.supported for c in checked] == [False, True, False]
    assert checked[1].quote == sentence and checked[1].t is None and checked[1].page is None  # hints ignored
    figures = check_claims(
        [
            {"text": "Notes cost 4711 hours a year to write.", "quote": sentence},  # a figure the source lacks
            {"text": f"{sentence.rstrip('.')} (GPT-4 agrees).", "quote": sentence},  # a name is not a figure
        ],
        article,
    )
    assert [c.supported for c in figures] == [False, True]


# --------------------------------------------------------------------------- fallbacks


@pytest.mark.parametrize("provider", PROVIDERS)
def test_timeout_falls_back_to_extractive(provider, fake, article, caplog):
    fake.set_mode("hold")
    start = time.monotonic()
    summary = make(provider, fake, timeout=0.3).summarize(article)
    elapsed = time.monotonic() - start
    fake.release.set()

    assert fake.holding.is_set()  # the request did reach the server and was held there
    assert elapsed < 3
    assert summary.method == "extractive (fallback: timeout after 0.3 s)"
    assert summary.claims == ExtractiveSummarizer().summarize(article).claims
    [record] = llm_warnings(caplog)
    assert "timeout" in record.getMessage() and "\n" not in record.getMessage()
    assert_no_key(caplog)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("error", "HTTP 500"),
        ("malformed", "malformed answer"),
        ("prose", "malformed answer"),
        ("refuse", "refused"),
    ],
)
def test_failures_fall_back_with_one_warning(provider, mode, reason, fake, article, caplog):
    fake.set_mode(mode)
    summary = make(provider, fake).summarize(article)
    assert summary.method.startswith(f"extractive (fallback: {reason}")
    assert summary.claims == ExtractiveSummarizer().summarize(article).claims
    assert all(c.supported for c in summary.claims)
    [record] = llm_warnings(caplog)
    assert reason in record.getMessage() and f"{provider}:" in record.getMessage()
    assert_no_key(caplog)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rejected_key_is_never_echoed(provider, fake, article, caplog):
    """OpenAI's 401 message repeats the key it got: the log line and the method must not."""
    fake.set_mode("unauthorized")
    summary = make(provider, fake).summarize(article)
    assert summary.method.startswith("extractive (fallback: HTTP 401")
    assert len(llm_warnings(caplog)) == 1
    assert_no_key(caplog, summary.method)


def test_unreachable_server_falls_back(article, caplog):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    summarizer = OpenAISummarizer(api_key=KEY_O, model="m", base_url=f"http://127.0.0.1:{port}/v1", timeout=2)
    summary = summarizer.summarize(article)
    assert summary.method.startswith("extractive (fallback: connection failed")
    assert len(llm_warnings(caplog)) == 1


def test_little_text_is_never_sent(fake):
    stub = Extracted(
        url="https://news.example/paywalled", title="Paywalled", text="Subscribe to read.", little_text=True
    )
    summary = make("anthropic", fake).summarize(stub)
    assert fake.requests == [] and summary.claims == [] and summary.text == ""


def test_long_sources_are_cut_to_the_word_budget(fake):
    paragraphs = [
        f"Paragraph {i} explains how tidal mill number {i} ground grain for the village." for i in range(3000)
    ]
    long_read = Extracted(url="https://long.example/read", title="Tidal mills", text="\n\n".join(paragraphs))
    make("anthropic", fake).summarize(long_read)
    user = fake.requests[0].user_text
    source = user.split("<source>\n", 1)[1]
    assert len(source.split()) <= MAX_SOURCE_WORDS + 20
    assert "the rest was cut for length" in source
    assert paragraphs[0] in source and paragraphs[-1] not in source


def test_source_text_marks_places(video, paper):
    assert source_text(video).startswith("[0s] ")
    assert source_text(paper).startswith("[page 1]\n")


# --------------------------------------------------------------------------- the pipeline


def test_capture_stores_checked_llm_claims(fake, store):
    page = load_page("blog-essay")
    fake.set_mode("invent")
    path = FIXTURES / "pages" / "blog-essay.html"
    result = capture_local(store, path, page.url, options=CaptureOptions(summarizer=make("anthropic", fake)))
    assert result.status == "captured"
    note = store.get_note(result.note.id)
    assert note.extra["summarizer"] == "anthropic:claude-test"
    assert [c.supported for c in note.claims].count(False) == 1
    assert all(c.quote for c in note.claims if c.supported)


# --------------------------------------------------------------------------- selection


@pytest.mark.parametrize(
    ("choice", "env", "expected"),
    [
        ("extractive", {"ANTHROPIC_API_KEY": KEY_A}, None),
        ("auto", {}, None),
        ("auto", {"ANTHROPIC_API_KEY": KEY_A}, AnthropicSummarizer),
        ("auto", {"ANTHROPIC_API_KEY": KEY_A, "OPENAI_API_KEY": KEY_O}, AnthropicSummarizer),
        ("auto", {"OPENAI_API_KEY": KEY_O}, OpenAISummarizer),
        ("auto", {"OPENAI_BASE_URL": "http://localhost:11434/v1", "DESKBOT_LLM_MODEL": "llama3.1"}, OpenAISummarizer),
        ("anthropic", {"ANTHROPIC_API_KEY": KEY_A, "OPENAI_API_KEY": KEY_O}, AnthropicSummarizer),
        ("openai", {"ANTHROPIC_API_KEY": KEY_A, "OPENAI_API_KEY": KEY_O}, OpenAISummarizer),
    ],
)
def test_summarizer_selection(choice, env, expected):
    got = summarizer_from_settings(Settings(summarizer=choice), env=env)
    if expected is None:
        assert got is None
    else:
        assert type(got) is expected and isinstance(got, Summarizer)
        assert KEY_A not in repr(got) and KEY_O not in repr(got)


def test_selection_defaults_and_overrides():
    anthropic = summarizer_from_settings(Settings(), env={"ANTHROPIC_API_KEY": KEY_A})
    assert (anthropic.model, anthropic.base_url, anthropic.timeout) == (
        DEFAULT_ANTHROPIC_MODEL,
        "https://api.anthropic.com",
        30.0,
    )
    openai = summarizer_from_settings(Settings(), env={"OPENAI_API_KEY": KEY_O})
    assert (openai.model, openai.base_url) == (DEFAULT_OPENAI_MODEL, "https://api.openai.com/v1")
    env = {
        "ANTHROPIC_API_KEY": KEY_A,
        "ANTHROPIC_BASE_URL": "https://gateway.example/anthropic/v1/",
        "DESKBOT_LLM_MODEL": "claude-sonnet-test",
        "DESKBOT_LLM_TIMEOUT": "12.5",
    }
    custom = summarizer_from_settings(Settings(summarizer="anthropic"), env=env)
    assert (custom.model, custom.base_url, custom.timeout) == (
        "claude-sonnet-test",
        "https://gateway.example/anthropic",
        12.5,
    )
    local = summarizer_from_settings(
        Settings(summarizer="openai"), env={"OPENAI_BASE_URL": "http://localhost:8000/v1/", "DESKBOT_LLM_MODEL": "qwen"}
    )
    assert (local.base_url, local.model, repr(local).endswith("key=none)")) == (
        "http://localhost:8000/v1",
        "qwen",
        True,
    )


@pytest.mark.parametrize(
    ("choice", "env", "names"),
    [
        ("anthropic", {"OPENAI_API_KEY": KEY_O}, "ANTHROPIC_API_KEY"),
        ("openai", {"ANTHROPIC_API_KEY": KEY_A}, "OPENAI_API_KEY"),
        ("auto", {"OPENAI_BASE_URL": "http://localhost:11434/v1"}, "DESKBOT_LLM_MODEL"),
        ("auto", {"ANTHROPIC_API_KEY": KEY_A, "DESKBOT_LLM_TIMEOUT": "soon"}, "DESKBOT_LLM_TIMEOUT"),
        ("auto", {"ANTHROPIC_API_KEY": KEY_A, "ANTHROPIC_BASE_URL": "api.anthropic.com"}, "ANTHROPIC_BASE_URL"),
        (
            "openai",
            {"OPENAI_API_KEY": KEY_O, "OPENAI_BASE_URL": f"https://u:{KEY_O}@llm.example/v1"},
            "OPENAI_BASE_URL",
        ),
    ],
)
def test_selection_errors_name_the_variable(choice, env, names):
    with pytest.raises(ConfigError) as excinfo:
        summarizer_from_settings(Settings(summarizer=choice), env=env)
    assert names in str(excinfo.value)
    assert KEY_A not in str(excinfo.value) and KEY_O not in str(excinfo.value)


def test_pipeline_options_pick_the_llm_from_the_environment_and_dotenv(monkeypatch, tmp_path):
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "DESKBOT_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert options_from_settings(Settings()).summarizer is None
    (tmp_path / ".env").write_text(f"ANTHROPIC_API_KEY={KEY_A}\nDESKBOT_LLM_MODEL=from-dotenv\n", encoding="utf-8")
    monkeypatch.setenv("DESKBOT_LLM_MODEL", "from-environment")  # the environment wins over .env
    summarizer = options_from_settings(Settings()).summarizer
    assert isinstance(summarizer, AnthropicSummarizer) and summarizer.model == "from-environment"
    assert options_from_settings(Settings(summarizer="extractive")).summarizer is None


def test_answers_are_parsed_from_fenced_or_wrapped_json(article):
    from bot.capture.llm import parse_json_text, summary_from_payload

    payload = {"summary": "S.", "claims": json.dumps([{"text": source_sentences(article)[0][0]}]), "tags": ["A B"]}
    assert parse_json_text(f"```json\n{json.dumps(payload)}\n```") == payload
    assert parse_json_text(f"Here you go: {json.dumps(payload)} Hope it helps.") == payload
    summary = summary_from_payload(payload, article, "openai:m")
    assert summary.claims[0].supported is True and summary.tags == ["a-b"]
