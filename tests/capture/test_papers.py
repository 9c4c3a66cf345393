"""Papers end to end over real HTTP: the real fetcher and store against local stand-ins of Crossref, NCBI,
arXiv, medRxiv and Unpaywall that answer with captured responses (tests/fixtures/scholarly/README.md)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.capture.fetch import Allowlist
from bot.capture.papers.apis import PaperAPIs, Throttle
from bot.capture.papers.refs import recognise
from bot.capture.pipeline import CaptureOptions, capture_url
from bot.kb.links import canonical_url
from bot.kb.render import place_url, render_note
from bot.slack.message_jobs import find_links
from tests.fakes.scholarly import load_all, serve_scholarly

NOW = datetime(2026, 11, 24, 10, 30)
ESSAY = (Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "blog-essay.html").read_bytes()
SCHOLARLY = Path(__file__).resolve().parents[1] / "fixtures" / "scholarly"


class Waits:
    """Records the waits the polite client asks for instead of sleeping (time is injected, never slept)."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def apis():
    with serve_scholarly() as fake:
        load_all(fake)
        waits = Waits()
        papers = PaperAPIs(crossref_url=fake.url("crossref"), ncbi_url=fake.url("ncbi"), arxiv_url=fake.url("arxiv"),
                           biorxiv_url=fake.url("biorxiv"), unpaywall_url=fake.url("unpaywall"),
                           contact_email="desk@example.org", allow=Allowlist.from_env("127.0.0.1"),
                           throttle=Throttle(sleep=waits.sleep, clock=waits.clock))
        yield fake, papers, waits


def options(papers: PaperAPIs) -> CaptureOptions:
    return CaptureOptions(allow=Allowlist.from_env("127.0.0.1"), papers=papers)


def clip(store, papers, url, **kw):
    return capture_url(store, url, channel="C1", user="U1", ts="1.1", now=NOW, options=options(papers), **kw)


# --------------------------------------------------------------------------- recognising


@pytest.mark.parametrize(("url", "kind", "value"), [
    ("https://doi.org/10.1371/journal.pone.0033693", "doi", "10.1371/journal.pone.0033693"),
    ("http://dx.doi.org/10.5555%2F12345678", "doi", "10.5555/12345678"),
    ("https://onlinelibrary.wiley.com/doi/full/10.1002/anie.201915678", "doi", "10.1002/anie.201915678"),
    ("https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0033693", "doi",
     "10.1371/journal.pone.0033693"),
    ("https://pubmed.ncbi.nlm.nih.gov/38147649/", "pmid", "38147649"),
    ("https://www.ncbi.nlm.nih.gov/pubmed/9500320", "pmid", "9500320"),
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC8435807/", "pmcid", "PMC8435807"),
    ("https://pmc.ncbi.nlm.nih.gov/articles/PMC8435807", "pmcid", "PMC8435807"),
    ("https://arxiv.org/pdf/2204.08348v1", "arxiv", "2204.08348"),
    ("https://www.medrxiv.org/content/10.1101/2020.09.09.20191205v1.full.pdf", "preprint",
     "10.1101/2020.09.09.20191205"),
])
def test_scholarly_links_are_recognised(url, kind, value):
    ref = recognise(url)
    assert ref is not None and (ref.kind, ref.value) == (kind, value) and ref.invalid is None


def test_plain_pages_are_not_papers_and_doi_in_text_is_a_link():
    assert recognise("https://example.com/blog/10-things") is None
    event = {"text": "worth reading doi:10.5555/12345678. and <https://doi.org/10.1371/JOURNAL.PONE.0033693>"}
    assert find_links(event) == ["https://doi.org/10.1371/JOURNAL.PONE.0033693", "https://doi.org/10.5555/12345678"]
    assert canonical_url("https://dx.doi.org/10.1371/JOURNAL.PONE.0033693") == \
        "https://doi.org/10.1371/journal.pone.0033693"


# --------------------------------------------------------------------------- capture


def test_doi_becomes_a_paper_note_with_zotero_fields_and_the_open_pdf(store, apis):
    fake, papers, _ = apis
    fake.as_of = date(2009, 1, 1)  # before the retraction notice of 2009-09-14
    result = clip(store, papers, "https://doi.org/10.5555/12345678")
    assert result.status == "captured", result.error
    note = result.note
    assert note.kind == "paper" and note.url == "https://doi.org/10.5555/12345678"
    assert note.title == "Toward a Unified Theory of High-Energy Metaphysics: Silly String Theory"
    assert note.author == "Josiah Carberry" and note.site == "Journal of Psychoceramics"
    assert note.published == date(2008, 2, 29)
    extra = note.extra
    assert extra["item_type"] == "journalArticle" and extra["DOI"] == "10.5555/12345678"
    assert extra["creators"] == [{"creatorType": "author", "lastName": "Carberry", "firstName": "Josiah"}]
    assert extra["publicationTitle"] == "Journal of Psychoceramics"
    assert extra["rights"] == "https://creativecommons.org/licenses/by/4.0"
    assert extra["abstractNote"].startswith("The characteristic theme of the works of Stone")
    assert extra["full_text"] == "unpaywall"  # the open PDF, not the publisher's page
    assert note.claims and all(c.page for c in note.claims)  # claims from the PDF, with page links
    # Unpaywall's captured best_oa_location (a Harvard DASH PDF), served on 127.0.0.1
    pdf = fake.base + "/files/dash.harvard.edu/bitstream/1/12285462/1/Nanometer-Scale%20Thermometry.pdf"
    assert extra["full_text_url"] == pdf
    assert place_url(note, note.claims[0]) == f"{pdf}#page={note.claims[0].page}"
    assert result.notices[0] == "📄 Read from an open-access copy found by Unpaywall."
    assert "retracted" not in note.flags
    [crossref] = fake.asked("crossref")
    assert crossref["mailto"] == ["desk@example.org"]  # Crossref's polite pool
    assert "mailto:desk@example.org" in fake.headers_of("crossref")[0]["user-agent"]
    assert fake.asked("unpaywall")[0]["email"] == ["desk@example.org"]
    frontmatter = render_note(note)
    assert "item_type: journalArticle" in frontmatter and "DOI: 10.5555/12345678" in frontmatter


def test_already_retracted_work_is_flagged_at_capture_and_every_claim_too(store, apis):
    _, papers, _ = apis
    result = clip(store, papers, "https://doi.org/10.5555/12345678")
    assert result.status == "captured"
    assert "retracted" in result.note.flags
    assert any("RETRACTED (2009-09-14, notice 10.5555/24242424x)" in n for n in result.notices)
    flags = {r[0] for r in store.conn.execute("SELECT flag FROM claims WHERE note_id = ?", (result.note.id,))}
    assert flags == {"retracted"}
    kinds = {r[0] for r in store.conn.execute("SELECT kind FROM paper_updates WHERE thread_state = 'capture'")}
    assert kinds == {"retraction", "correction"}  # recorded as already told: no later announcement
    from bot.cli import format_claims
    from bot.kb.answers import claim_lookup
    from bot.slack import blocks

    answers = claim_lookup(store, "retriever", NOW.date())
    assert answers and all(a.hit.flag == "retracted" for a in answers)
    assert "🚫 *paper retracted*" in str(blocks.claim_answer("retriever", answers))
    assert "retracted (paper)" in format_claims("retriever", answers)
    store.upsert_note(store.get_note(result.note.id))  # rewritten claims keep the flag (trigger, migration 015)
    assert {r[0] for r in store.conn.execute("SELECT flag FROM claims")} == {"retracted"}


def test_corrected_work_is_recorded_but_not_flagged(store, apis):
    _, papers, _ = apis
    result = clip(store, papers, "https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0033693")
    assert result.status == "captured", result.error
    note = result.note
    assert note.url == "https://doi.org/10.1371/journal.pone.0033693"
    assert note.flags == ["little-text"]  # Crossref has no abstract and Unpaywall no copy: nothing invented
    assert note.extra["paper_updates"][0]["kind"] == "correction"
    assert note.extra["full_text"] == "abstract"


def test_expression_of_concern_is_flagged(store, apis):
    _, papers, _ = apis
    result = clip(store, papers, "https://doi.org/10.1371/journal.pone.0064723")  # EoC listed by two sources
    assert result.status == "captured", result.error
    assert "expression-of-concern" in result.note.flags and "retracted" not in result.note.flags
    told = [n for n in result.notices if "Expression of concern" in n]
    assert len(told) == 1 and "(2021-10-28, notice 10.1371/journal.pone.0256488)" in told[0]


def test_pubmed_record_with_abstract_correction_and_publication_types(store, apis):
    fake, papers, _ = apis
    result = clip(store, papers, "https://pubmed.ncbi.nlm.nih.gov/38147649/")
    assert result.status == "captured", result.error
    note = result.note
    assert note.url == "https://doi.org/10.1073/pnas.2308706120"  # the DOI is the identity
    assert note.extra["PMID"] == "38147649" and note.extra["PMCID"] == "PMC10769841"
    assert note.extra["publication_types"] == ["Journal Article"]
    assert note.extra["full_text"] == "abstract" and note.summary and note.claims
    assert note.author == "Nathaniel L Ritz et al."
    asked = fake.asked("ncbi")
    assert asked[0]["db"] == ["pubmed"] and asked[0]["tool"] == ["deskbot"] and asked[0]["email"]
    guideline = clip(store, papers, "https://pubmed.ncbi.nlm.nih.gov/39166619/")
    assert "Practice Guideline" in guideline.note.extra["publication_types"]


def test_pubmed_retracted_publication_and_the_retraction_notice_itself(store, apis):
    _, papers, _ = apis
    retracted = clip(store, papers, "https://pubmed.ncbi.nlm.nih.gov/9500320/")
    assert retracted.status == "captured", retracted.error
    assert "Retracted Publication" in retracted.note.extra["publication_types"]
    assert "retracted" in retracted.note.flags
    notice = clip(store, papers, "https://pubmed.ncbi.nlm.nih.gov/20137807/")
    assert notice.status == "captured"
    assert any("itself a retraction notice of 9500320" in n for n in notice.notices)
    assert notice.note.extra["publication_types"] == ["Journal Article", "Retraction of Publication"]
    assert "retracted" not in notice.note.flags  # the notice is not retracted: it retracts


def medline_fields(text: str) -> dict[str, list[str]]:
    """A MEDLINE record's values by tag, continuation lines joined."""
    fields: dict[str, list[str]] = {}
    tag = ""
    for line in text.splitlines():
        if line.startswith("      "):
            fields[tag][-1] += " " + line.strip()
        else:
            tag, _, value = line.partition("- ")
            tag = tag.strip()
            fields.setdefault(tag, []).append(value)
    return fields


def test_the_retraction_notice_xml_is_its_captured_medline_record():
    """No efetch XML of PMID 20137807 was captured, only its MEDLINE record: the XML the stand-in serves is that
    record transcribed, and this keeps the two from drifting apart."""
    rec = medline_fields((SCHOLARLY / "pubmed" / "20137807.medline.txt").read_text(encoding="utf-8"))
    root = ET.fromstring((SCHOLARLY / "pubmed" / "20137807.xml").read_bytes())
    cit = root.find("PubmedArticle/MedlineCitation")
    assert cit is not None and cit.findtext("PMID") == rec["PMID"][0]
    assert cit.findtext("Article/ArticleTitle") == rec["TI"][0]
    assert [t.text for t in cit.iter("PublicationType")] == rec["PT"]
    assert cit.findtext("Article/AuthorList/Author/CollectiveName") == rec["CN"][0]
    assert cit.findtext("Article/Journal/Title") == rec["JT"][0]
    assert cit.findtext("Article/Journal/JournalIssue/Volume") == rec["VI"][0]
    assert cit.findtext("Article/Journal/JournalIssue/Issue") == rec["IP"][0]
    day = [cit.findtext(f"Article/Journal/JournalIssue/PubDate/{p}") for p in ("Year", "Month", "Day")]
    assert " ".join(str(d) for d in day) == rec["DP"][0]
    assert cit.findtext("Article/Pagination/MedlinePgn") == rec["PG"][0]
    rof = cit.find("CommentsCorrectionsList/CommentsCorrections[@RefType='RetractionOf']")
    assert rof is not None and f"{rof.findtext('RefSource')} PMID: {rof.findtext('PMID')}" == rec["ROF"][0]
    doi = root.findtext("PubmedArticle/PubmedData/ArticleIdList/ArticleId[@IdType='doi']")
    assert rec["AID"] == [f"{doi} [doi]"]


def test_pmc_link_uses_the_open_full_text(store, apis):
    _, papers, _ = apis
    result = clip(store, papers, "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC8435807/")
    assert result.status == "captured", result.error
    assert result.note.extra["full_text"] == "pmc" and result.note.extra["PMCID"] == "PMC8435807"
    assert result.note.extra["full_text_url"] == "https://pmc.ncbi.nlm.nih.gov/articles/PMC8435807/"
    assert "upper 95% confidence limit" in result.note.body
    assert result.notices[0] == "📄 Read from open-access full text from PubMed Central."


def test_arxiv_older_version_offers_the_newer_and_the_published_one(store, apis):
    fake, papers, _ = apis
    result = clip(store, papers, "https://arxiv.org/abs/2204.08348v1")
    assert result.status == "captured", result.error
    note = result.note
    assert note.url == "https://arxiv.org/abs/2204.08348v1"
    assert note.extra["item_type"] == "preprint" and note.extra["archiveID"] == "arXiv:2204.08348"
    assert note.extra["version"] == 1 and note.extra["repository"] == "arXiv"
    assert note.extra["full_text"] == "arxiv-pdf"
    assert fake.requests[-1][1] == "pdf/2204.08348v1"  # the version that was posted
    assert any("v3 exists" in n for n in result.notices)
    assert any("10.1145/3533767.3534401" in n for n in result.notices)


def test_medrxiv_preprint_with_versions_and_published_version(store, apis):
    _, papers, _ = apis
    result = clip(store, papers, "https://www.medrxiv.org/content/10.1101/2020.09.09.20191205v1")
    assert result.status == "captured", result.error
    extra = result.note.extra
    assert extra["item_type"] == "preprint" and extra["repository"] == "medRxiv"
    assert extra["version"] == 1 and extra["DOI"] == "10.1101/2020.09.09.20191205"
    assert result.note.url == "https://doi.org/10.1101/2020.09.09.20191205"
    assert any("v2 exists" in n for n in result.notices)
    assert any("10.1038/s41467-021-21444-5" in n for n in result.notices)  # Nature Communications, 2021
    # read from medRxiv's own answer (a real capture): 22 authors "Family, G. I." joined by "; ", its licence code
    assert result.note.title == "Evolution of immunity to SARS-CoV-2"
    assert result.note.author == "A. K. Wheatley et al." and len(extra["creators"]) == 22
    assert extra["creators"][-1] == {"creatorType": "author", "lastName": "Kent", "firstName": "S. J."}
    assert extra["rights"] == "no reuse licence (medRxiv: cc_no)"
    assert extra["abstractNote"].startswith("The durability of infection-induced SARS-CoV-2 immunity")


# --------------------------------------------------------------------------- bad input and bad days


def test_malformed_doi_and_unknown_doi_get_clear_final_answers(store, apis):
    fake, papers, _ = apis
    bad = clip(store, papers, "https://doi.org/not-a-doi")
    assert bad.status == "failed" and bad.permanent and "not a valid DOI" in bad.error
    assert fake.asked("crossref") == []  # nothing asked for an id that cannot exist
    missing = clip(store, papers, "https://doi.org/10.1234/does-not-exist")
    assert missing.status == "failed" and missing.permanent
    assert missing.error == "Crossref has no record of DOI 10.1234/does-not-exist (is it mistyped?)"
    nothing = clip(store, papers, "https://pubmed.ncbi.nlm.nih.gov/99999999/")
    assert nothing.status == "failed" and nothing.permanent and nothing.error == "PubMed has no record 99999999"
    assert store.counts()["notes"] == 0


def test_rate_limit_answer_is_waited_out_as_retry_after_says(store, apis):
    fake, papers, waits = apis
    fake.fail["crossref"] = [429]
    fake.retry_after = "2"
    result = clip(store, papers, "https://doi.org/10.1371/journal.pone.0033693")
    assert result.status == "captured"
    assert 2.0 in waits.slept and len(fake.asked("crossref")) == 2


def test_ncbi_is_asked_at_most_three_times_a_second_without_a_key():
    waits = Waits()
    throttle = Throttle(sleep=waits.sleep, clock=waits.clock)
    for _ in range(4):
        throttle.wait("ncbi", 1 / 3)
    assert waits.slept == [0.333, 0.333, 0.333]


def test_outage_clips_the_page_and_the_sweep_fills_the_metadata_later(store, apis):
    fake, papers, _ = apis
    fake.files["doi/10.5555/12345678"] = (ESSAY, "text/html; charset=utf-8")
    fake.fail["crossref"] = [503]
    fake.retry_after = "60"  # longer than a capture may wait: give up now, the page is clipped instead
    result = clip(store, papers, fake.base + "/files/doi/10.5555/12345678")
    assert result.status == "captured", result.error
    note = result.note
    assert note.kind == "paper" and note.extra["metadata_pending"] == "doi:10.5555/12345678"
    assert "did not answer" in " ".join(result.notices)
    assert note.title == "The case for slow notes" and len(fake.asked("crossref")) == 1
    from bot.capture.papers.status import check

    swept = check(store, None, papers, NOW)
    assert swept.errors == []
    again = store.get_note(note.id)
    assert again.title.startswith("Toward a Unified Theory") and "metadata_pending" not in again.extra
    assert {f.update.kind for f in swept.found} == {"retraction", "correction"}
    assert "retracted" in again.flags


def test_weekly_sweep_batches_dois_and_finds_each_change_once(store, apis):
    fake, papers, _ = apis
    from bot.kb.notes import Note, make_id

    notes = [Note(id=make_id("p", str(i)), title=f"Paper {i}", kind="paper", extra={"DOI": f"10.9999/x.{i}"})
             for i in range(230)]
    notes.append(Note(id="retractme", title="Silly", kind="paper", extra={"DOI": "10.5555/12345678"}))
    store.upsert_notes([(n, None) for n in notes])
    first = check_all(store, papers)
    crossref = fake.asked("crossref")
    assert len(crossref) == 3  # 231 DOIs in batches of 100
    assert len(crossref[0]["filter"][0].split(",")) == 100 and crossref[0]["select"] == ["DOI,updated-by,relation,type"]
    assert {(f.note_id, f.update.kind) for f in first.found} == {("retractme", "retraction"), ("retractme", "correction")}
    second = check_all(store, papers, skip_recent=False)
    assert second.found == []  # nothing new: nothing to announce twice


def check_all(store, papers, **kw):
    from bot.capture.papers.status import check

    return check(store, None, papers, NOW, **kw)


def test_settings_point_every_scholarly_api_somewhere_and_refuse_nonsense():
    from bot.capture.pipeline import options_from_settings
    from bot.config import ConfigError, Settings

    env = {"DESKBOT_CROSSREF_URL": "http://127.0.0.1:9/crossref", "DESKBOT_NCBI_URL": "http://127.0.0.1:9/ncbi/",
           "DESKBOT_ARXIV_URL": "http://127.0.0.1:9/arxiv", "DESKBOT_BIORXIV_URL": "http://127.0.0.1:9/b",
           "DESKBOT_UNPAYWALL_URL": "http://127.0.0.1:9/u", "DESKBOT_CONTACT_EMAIL": "desk@example.org",
           "DESKBOT_NCBI_API_KEY": "k3y", "DESKBOT_YOUTUBE_PROXY": "http://user:pw@proxy.example:8080"}
    settings = Settings.from_env(env, dotenv=False)
    papers = options_from_settings(settings).papers
    assert (papers.crossref_url, papers.ncbi_url, papers.arxiv_url) == (
        "http://127.0.0.1:9/crossref/", "http://127.0.0.1:9/ncbi/", "http://127.0.0.1:9/arxiv/")
    assert papers.contact_email == "desk@example.org" and papers.ncbi_api_key == "k3y"
    assert "k3y" not in repr(settings) and "user:pw" not in repr(settings)  # secrets never in logs
    for name, value in (("DESKBOT_CROSSREF_URL", "api.crossref.org"), ("DESKBOT_CONTACT_EMAIL", "nobody"),
                        ("DESKBOT_YOUTUBE_PROXY", "ftp://x"), ("DESKBOT_YOUTUBE_PROXY_ROTATING", "maybe")):
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: value}, dotenv=False)


def test_pacing_is_shared_by_every_process_of_the_bot(tmp_path):
    """Two real processes asking NCBI at once still get their turns ≥ the interval apart (one shared limit)."""
    import subprocess
    import sys
    import time

    pace = tmp_path / "deskbot.db.pace"
    code = (  # each process prints the turns it was given
        "from bot.capture.papers.apis import Throttle\n"
        f"throttle = Throttle(path={str(pace)!r})\n"
        "for _ in range(3):\n"
        "    print(throttle.wait('ncbi', 0.25), flush=True)\n"
    )
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    finished = time.time()
    assert all(p.returncode == 0 for p in procs)
    grants = sorted(float(line) for out in outputs for line in out.split())
    assert len(grants) == 6
    gaps = [b - a for a, b in zip(grants, grants[1:], strict=False)]
    assert min(gaps) >= 0.249, gaps  # unshared, the two processes would take turns at the same moments
    assert finished >= grants[-1]  # and each waited for its turn before going on


def test_a_refused_field_list_falls_back_to_whole_records(store, apis):
    fake, papers, _ = apis
    from bot.kb.notes import Note

    store.upsert_note(Note(id="r", title="Silly", kind="paper", extra={"DOI": "10.5555/12345678"}))
    fake.fail["crossref"] = [400]
    result = check_all(store, papers)
    assert result.errors == [] and {f.update.kind for f in result.found} == {"retraction", "correction"}
    first, second = fake.asked("crossref")
    assert "select" in first and "select" not in second


def test_deskbot_papers_checks_every_paper_note_and_prints_what_is_new(store, apis):
    from click.testing import CliRunner

    from bot.cli import cli
    from bot.kb.notes import Note

    fake, _, _ = apis
    store.upsert_note(Note(id="r", title="Silly String Theory", kind="paper", extra={"DOI": "10.5555/12345678"}))
    env = {f"DESKBOT_{k.upper()}": v for k, v in fake.settings().items()}
    env.update(DESKBOT_FETCH_ALLOW="127.0.0.1", DESKBOT_CONTACT_EMAIL="desk@example.org")
    out = CliRunner().invoke(cli, ["papers", "--no-announce", "--db", store.path], env=env)
    assert out.exit_code == 0, out.output
    assert "Silly String Theory: 🚫 RETRACTED (2009-09-14, notice 10.5555/24242424x)" in out.output
    assert "checked 1 paper notes" in out.output and "2 new findings" in out.output
    again = CliRunner().invoke(cli, ["papers", "--no-announce", "--all", "--db", store.path], env=env)
    assert "0 new findings" in again.output
    assert Path(store.path + ".pace").is_file()  # the pacing is shared beside the database it checked


def test_a_paywalled_journal_page_naming_its_doi_becomes_the_open_metadata_not_the_stub(store, apis):
    fake, papers, _ = apis
    stub = (Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "paywall-stub.html").read_bytes()
    page = stub.replace(b"<head>", b'<head>\n<meta name="citation_doi" content="10.5555/12345678">', 1)
    fake.files["journal/article/S0140"] = (page, "text/html; charset=utf-8")
    fake.as_of = date(2009, 1, 1)
    papers.contact_email = None  # no Unpaywall: the abstract is the best open text
    result = clip(store, papers, fake.base + "/files/journal/article/S0140")
    assert result.status == "captured", result.error
    note = result.note
    assert note.kind == "paper" and note.url == "https://doi.org/10.5555/12345678"
    assert note.extra["full_text"] == "abstract" and "little-text" not in note.flags
    assert "Subscribe to continue reading" not in note.body
    assert note.body.startswith("The characteristic theme of the works of Stone")
    assert fake.asked("unpaywall") == []
    again = clip(store, papers, "https://doi.org/10.5555/12345678")
    assert again.status == "duplicate" and again.note.id == note.id  # one paper, however it was linked


def test_a_retraction_puts_the_same_claims_in_other_notes_up_for_review(tmp_path):
    """A retracted paper no longer backs what other notes say in its words: those claims (their echoes) go
    to the digest's "echoes of outdated claims"; none of them is changed."""
    from bot.capture.papers import records as rec
    from bot.capture.papers.status import record
    from bot.kb.notes import Claim, Note
    from bot.kb.reviews import open_reviews
    from bot.kb.store import Store

    store = Store.open(str(tmp_path / "kb.db"))
    paper = Note(id="p1", title="Sepsis alerts across hospitals", kind="paper", url="https://doi.org/10.5555/sepsis",
                 claims=[Claim("Sepsis prediction models trained at one hospital lose most of their accuracy at "
                               "other hospitals."),
                         Claim("Nurses acknowledged fewer than half of the automated sepsis alerts.")])
    blog = Note(id="b1", title="What the sepsis paper means for us", kind="article", url="https://blog.example/sepsis",
                claims=[Claim("Models that predict sepsis at one hospital lose most of their accuracy at other "
                              "hospitals."),
                        Claim("Our unit will pilot a new triage rota in the spring.")])
    store.upsert_notes([(paper, None), (blog, None)])
    assert record(store, "p1", [rec.Update(rec.RETRACTION, "10.5555/notice")], datetime(2026, 12, 1, 9, 0))
    flagged = {(r.note_id, r.position) for r in open_reviews(store)}
    assert flagged == {("b1", 1)}  # the echo of the retracted claim; the unrelated claim is left alone
    assert not store.get_note("b1").claims[0].outdated  # flagged for review, never changed
    store.close()


def test_a_paper_over_its_capture_budget_is_one_clear_permanent_failure(store, apis):
    """The summary of a paper runs within the budget like any capture: over it, the capture fails in words
    and for good (no traceback, no five retries)."""
    from dataclasses import replace

    from bot.capture.budget import Budget

    class Hungry:  # a summary that needs far more memory than the budget allows (a hostile text would)
        def summarize(self, extracted):
            return bytearray(256 * 2**20)

    _, papers, _ = apis
    tight = replace(options(papers), budget=Budget(cpu_seconds=10, memory_bytes=32 * 2**20), summarizer=Hungry())
    result = capture_url(store, "https://doi.org/10.5555/12345678", now=NOW, options=tight)
    assert result.status == "failed" and result.permanent
    assert "too large / too complex to clip" in result.error


def test_deskbot_papers_announces_with_the_bots_own_client(store, apis):
    from click.testing import CliRunner

    from bot.cli import cli
    from bot.kb.notes import Note
    from tests.fakes.slack_api import FakeSlackAPI

    fake, _, _ = apis
    store.upsert_note(Note(id="r", title="Silly String Theory", kind="paper", owner="U0ANN",
                           extra={"DOI": "10.5555/12345678"}))
    with FakeSlackAPI() as slack:
        env = {f"DESKBOT_{k.upper()}": v for k, v in fake.settings().items()}
        env.update(DESKBOT_FETCH_ALLOW="127.0.0.1", DESKBOT_CONTACT_EMAIL="desk@example.org",
                   SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.base_url)
        out = CliRunner().invoke(cli, ["papers", "--db", store.path], env=env)
    assert out.exit_code == 0, out.output
    assert "announced:" in out.output and "Traceback" not in out.output


def test_still_valid_on_a_note_closes_its_echo_reviews(tmp_path):
    """A review flagged by a retraction (or an outdated claim) ends when someone validates the note holding
    the echo: it does not come back in every digest."""
    from bot.capture.papers import records as rec
    from bot.capture.papers.status import record
    from bot.kb.notes import Claim, Note
    from bot.kb.reviews import open_reviews
    from bot.kb.store import Store

    store = Store.open(str(tmp_path / "kb.db"))
    store.upsert_notes([
        (Note(id="p1", title="Sepsis alerts", kind="paper", url="https://doi.org/10.5555/s",
              claims=[Claim("Sepsis prediction models trained at one hospital lose most of their accuracy at "
                            "other hospitals.")]), None),
        (Note(id="b1", title="Our take", url="https://blog.example/s",
              claims=[Claim("Models that predict sepsis at one hospital lose most of their accuracy at other "
                            "hospitals.")]), None),
    ])
    record(store, "p1", [rec.Update(rec.RETRACTION, "10.5555/notice")], datetime(2026, 12, 1, 9, 0))
    assert [r.note_id for r in open_reviews(store)] == ["b1"]
    store.validate("b1", by="U0ANN", at=datetime(2026, 12, 2, 9, 0))
    assert open_reviews(store) == []
    store.close()


def test_medrxiv_no_posts_found_in_either_shape_is_no_such_preprint():
    """The API's "not found" is HTTP 200 with a status message, with an empty ``collection`` or none at all."""
    from bot.capture.papers.records import biorxiv_details, preprint_licence

    for answer in ({"messages": [{"status": "no posts found"}], "collection": []},
                   {"messages": [{"status": "no posts found"}]}):
        with pytest.raises(LookupError):
            biorxiv_details(answer)
    assert preprint_licence("cc_by_nc_nd", "bioRxiv") == "CC BY-NC-ND"
    assert preprint_licence("NA", "bioRxiv") is None and preprint_licence("cc_weird", "x") == "cc_weird"
