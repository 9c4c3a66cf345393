"""A knowledge base for the web tests (the seeds, a Slack clip with its posting, a hostile clip) and a real
``deskbot web`` server on a loopback port, in this process (uvicorn in a thread) so ``today`` is injected.

Shared with the browser checks in ``tests_browser/``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.kb.importer import import_paths
from bot.kb.notes import Claim, Note, make_id
from bot.kb.store import Store

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
TODAY = date(2026, 11, 30)
SLACK_URL = "https://acme.slack.com"
CHANNEL, TS, USER = "C0RESEARCH", "1764000000.000100", "U0ANN"

CLIP_ID = make_id("web-test", "sepsis-clip")
HOSTILE_ID = make_id("web-test", "hostile-clip")
HOSTILE_BODY = """# Early warning scores

Real text survives: sepsis alerts fire too late in most wards.

<script>window.__pwned = 'script'; alert('script')</script>
<img src="x" onerror="window.__pwned = 'onerror'; alert('onerror')">
<a id="jslink" href="javascript:window.__pwned='js-link';alert('js-link')">click me</a>
[markdown link](javascript:alert('md-link'))
<a href="JaVaScRiPt:alert('mixed-case')">mixed case</a>
<a href="data:text/html,<script>alert('data')</script>">data link</a>
<div onmouseover="alert('hover')">hover text</div>
<svg onload="alert('svg')"><script>alert('svg-script')</script></svg>
<iframe src="javascript:alert('iframe')"></iframe>
<form action="javascript:alert('form')"><button>go</button></form>
<p style="background:url(javascript:alert('style'))">styled paragraph</p>
<object data="javascript:alert('object')"></object>
<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')></style></mglyph></table></mtext></math>

[a fine link](https://example.org/paper)
"""


def build_kb(path: Path) -> Store:
    """The seeds, a clip posted in Slack (owner, channel, thread) and a hostile clip; returns the store."""
    store = Store.open(str(path))
    report = import_paths(store, [SEEDS])
    assert report.failed == []
    clip = Note(
        id=CLIP_ID, title="Sepsis prediction in the ICU", kind="article",
        url="https://journal.example/sepsis-icu", clipped=datetime(2026, 11, 25, 9, 30),
        channel=CHANNEL, owner=USER, site="Journal Example", tags=["sepsis", "icu"],
        summary="Early warning models for sepsis, and why they alert late.",
        claims=[Claim(text="Sepsis prediction models alert hours before clinicians do", quote="alert hours before"),
                Claim(text="Most sepsis models were validated on a single hospital's data")],
        body="Sepsis models *help* when validated externally.", decay_rate="fast", extra={"slack_ts": TS},
    )
    hostile = Note(
        id=HOSTILE_ID, title="Sepsis scores <img src=x onerror=alert('title')>", kind="article",
        url="https://evil.example/sepsis", clipped=datetime(2026, 11, 26, 10, 0), channel=CHANNEL,
        owner="U0MAL", tags=["sepsis", "<script>tag"],
        summary="<script>alert('summary')</script> A page that tries everything.",
        claims=[Claim(text="Sepsis alerts <b onclick=alert('claim')>fire</b> too late", quote="fire too late")],
        body=HOSTILE_BODY, decay_rate="fast",
    )
    store.upsert_notes([(clip, None), (hostile, None)], today=TODAY)
    store.validate(CLIP_ID, by="ann", at=datetime(2026, 11, 27, 12, 0))
    store.validate(CLIP_ID, by="bob", at=datetime(2026, 11, 28, 12, 0), claim=2, verdict="outdated")
    return store


@dataclass
class Running:
    url: str
    store: Store
    path: Path


@contextmanager
def serve(path: Path, *, today: date = TODAY, slack_url: str | None = SLACK_URL, auth=None) -> Iterator[str]:
    """``deskbot web`` over ``path`` on a free loopback port; yields its base URL. The socket listens
    before the thread starts, so a request made at once waits in the backlog instead of failing."""
    import uvicorn

    from bot.web import app as web

    web.prepare(path)
    ds = web.build(path, today=lambda: today, slack_url=slack_url, auth=auth)
    sock = web.listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(ds.app(), log_level="warning", access_log=False, lifespan="off"))

    def run() -> None:  # in the thread: the caller may have an event loop of its own (Playwright's)
        asyncio.run(ds.invoke_startup())
        server.run(sockets=[sock])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield web.url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
