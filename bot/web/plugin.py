"""deskbot's Datasette plugin: its own pages (home, claims on a topic, stale knowledge, a note), each also
as ``.json``, and links from Datasette's table pages to the note pages.

Registered by ``bot.web.app.build`` on the Datasette it builds; on any other Datasette it adds nothing.
The store is read through ``bot.web.pages`` in Datasette's executor threads (SQLite is blocking; the
store keeps one read-only connection per thread).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import unquote
from weakref import WeakKeyDictionary

from datasette import hookimpl
from datasette.utils.asgi import Request, Response
from markupsafe import Markup

from bot.kb.store import Store
from bot.web import pages

# Our pages run no script at all: whatever a clip smuggles past the sanitiser still cannot execute.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none';"
       " frame-ancestors 'none'")
BROWSE_TABLES = ("notes_browse", "notes")


@dataclass
class Site:
    """What one ``deskbot web`` serves: the store (read-only), the clock and how to link."""

    store: Store
    today: Callable[[], date]
    links: pages.Links
    database: str


SITES: WeakKeyDictionary[Any, Site] = WeakKeyDictionary()


async def _read(datasette: Any, fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(datasette.executor, partial(fn, *args))


async def _page(
    datasette: Any, request: Request, template: str, data: dict[str, Any], *, status: int = 200
) -> Response:
    if request.url_vars.get("fmt") == ".json":
        return Response.json(data, status=status)
    body = await datasette.render_template(template, {"data": data, "json_url": _json_url(request)}, request=request)
    return Response.html(body, status=status, headers={"Content-Security-Policy": CSP,
                                                       "X-Content-Type-Options": "nosniff",
                                                       "Referrer-Policy": "no-referrer"})


def _json_url(request: Request) -> str:
    path = request.path.rstrip("/") or "/"
    return f"{path}.json" + (f"?{request.query_string}" if request.query_string else "")


def _int(request: Request, name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        return default


async def home_view(datasette: Any, request: Request) -> Response:
    site = SITES[datasette]
    data = await _read(datasette, pages.home, site.store, site.today(), site.links)
    data["database"] = site.database
    return await _page(datasette, request, "deskbot_home.html", data)


async def claims_view(datasette: Any, request: Request) -> Response:
    site = SITES[datasette]
    topic = (request.args.get("q") or "").strip()[:300]
    limit = _int(request, "limit", pages.CLAIM_LIMIT)
    data = await _read(datasette, pages.claims, site.store, topic, site.today(), site.links, limit)
    return await _page(datasette, request, "deskbot_claims.html", data)


async def stale_view(datasette: Any, request: Request) -> Response:
    site = SITES[datasette]
    data = await _read(datasette, pages.stale, site.store, site.today(), site.links,
                       _int(request, "limit", pages.STALE_LIMIT))
    return await _page(datasette, request, "deskbot_stale.html", data)


async def note_view(datasette: Any, request: Request) -> Response:
    site = SITES[datasette]
    note_id = unquote(request.url_vars["note_id"])
    data = await _read(datasette, pages.note, site.store, note_id, site.today(), site.links)
    if data is None:
        return await _page(datasette, request, "deskbot_missing.html",
                           {"error": f"No note with id {note_id}", "id": note_id}, status=404)
    return await _page(datasette, request, "deskbot_note.html", data)


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    if datasette not in SITES:
        return []
    return [
        (r"^/(?P<fmt>\.json)?$", home_view),
        (r"^/claims(?P<fmt>\.json)?$", claims_view),
        (r"^/stale(?P<fmt>\.json)?$", stale_view),
        (r"^/note/(?P<note_id>[^/]{1,200}?)(?P<fmt>\.json)?$", note_view),
    ]


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Markup | None:
    """In the notes tables an id or title links to its note page, and each tag to its notes."""
    site = SITES.get(datasette)
    if site is None or database != site.database or table not in BROWSE_TABLES or not isinstance(value, str):
        return None
    if column == "id":
        return Markup('<a href="{}">{}</a>').format(site.links.note(value), value)
    if column == "tags" and table == "notes_browse":
        import json

        try:
            tags = json.loads(value)
        except ValueError:
            return None
        return Markup(" ").join(Markup('<a class="tag" href="{}">#{}</a>').format(site.links.tag(t), t)
                                for t in tags if isinstance(t, str))
    return None

