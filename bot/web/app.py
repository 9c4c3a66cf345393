"""Build and serve deskbot's Datasette: the bot's database read-only, deskbot's metadata, templates and plugin.

Datasette is used as a library (in this process, under uvicorn, which Datasette itself depends on):
one process, one port, no config files to write. Datasette opens the file with ``mode=ro`` and the
plugin reads through a read-only ``Store``, so ``deskbot web`` never takes SQLite's write lock beside
a running bot (WAL lets readers and the one writer go on together).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.kb import decay
from bot.kb.now import utc_now
from bot.kb.store import Store
from bot.web import pages, plugin

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
DATABASE = "kb"  # the database's name in URLs (/kb/notes_browse), whatever the file is called
PASSWORD_ENV = "DESKBOT_WEB_PASSWORD_HASH"
USER_ENV = "DESKBOT_WEB_USER"
DEFAULT_USER = "deskbot"
HASH_PREFIX = "pbkdf2_sha256$"


class WebError(Exception):
    """A reason not to start (said to the user as it is)."""


@dataclass(frozen=True)
class Auth:
    """HTTP Basic auth for every page (datasette-auth-passwords); the hash stays in the environment."""

    user: str
    password_hash: str

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Auth | None:
        hashed = (env.get(PASSWORD_ENV) or "").strip()
        if not hashed:
            return None
        if not hashed.startswith(HASH_PREFIX) or hashed.count("$") != 3:
            raise WebError(f"{PASSWORD_ENV} is not a password hash (make one with `deskbot web --hash-password`)")
        user = (env.get(USER_ENV) or DEFAULT_USER).strip()
        if not user or not user.replace("-", "").replace("_", "").isalnum():
            raise WebError(f"{USER_ENV} must be letters, digits, '-' or '_' (got {user!r})")
        return cls(user, hashed)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, auth: Auth | None) -> None:
    """The notes are a team's private research: off loopback, only with a password."""
    if not is_loopback(host) and auth is None:
        raise WebError(
            f"refusing to listen on {host} without a password: set {PASSWORD_ENV} (from"
            " `deskbot web --hash-password`) or keep the default --host 127.0.0.1")


def metadata(auth: Auth | None) -> dict[str, Any]:
    """Titles, facets, hidden tables and canned queries; the password hash is referenced, never written."""
    facets = [{"array": "tags"}, "kind", "decay_rate", "freshness", "owner", "channel"]
    hidden = ("seen_events", "_migrations", "meta", "due_counts", "headings", "clock_runs")
    meta: dict[str, Any] = {
        "title": "deskbot · knowledge base",
        "description": "The team's clipped notes, their claims and how fresh they are.",
        "databases": {DATABASE: {
            "tables": {
                "notes_browse": {
                    "title": "Browse notes",
                    "description": "One row per work, faceted by tag, kind, decay rate, freshness, owner and channel.",
                    "facets": facets, "sort_desc": "clipped", "size": 50, "label_column": "title",
                },
                "notes": {"label_column": "title", "facets": ["kind", "decay_rate", "owner", "channel"]},
                "claims": {"label_column": "text"},
                **{name: {"hidden": True} for name in hidden},
            },
            "queries": {
                "recent_clips": {
                    "title": "Recent clips",
                    "sql": "SELECT id, title, kind, owner, channel, clipped, due FROM notes"  # idx_notes_recent_clips
                           " WHERE clipped IS NOT NULL AND covered_by IS NULL ORDER BY clipped DESC LIMIT 50",
                },
                "notes_with_tag": {
                    "title": "Notes with a tag",
                    "sql": "SELECT b.id, b.title, b.kind, b.freshness, b.owner, b.clipped FROM tags t"
                           " JOIN notes_browse b ON b.id = t.note_id WHERE t.tag = :tag ORDER BY b.clipped DESC",
                },
            },
        }},
    }
    if auth is not None:
        meta["plugins"] = {"datasette-auth-passwords": {
            "http_basic_auth": True, f"{auth.user}_password_hash": {"$env": PASSWORD_ENV},
        }}
    return meta


def decay_table(path: Path) -> dict[str, int]:
    """The table the bot last used (kept in ``meta`` by ``Store.open``), so badges match Slack's."""
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'decay_table'").fetchone()
    return json.loads(row[0]) if row else dict(decay.DEFAULT_TABLE)


def prepare(path: Path, table: dict[str, int] | None = None) -> None:
    """Check the file and bring its schema up to date once (the only write ``deskbot web`` ever makes,
    and only when this deskbot is newer than the database: it adds the ``notes_browse`` view)."""
    if not path.is_file():
        raise WebError(f"no database at {path}: run `deskbot demo` or `deskbot import PATH` first")
    Store.open(str(path), table).close()


def build(
    path: Path,
    *,
    today: Callable[[], date] | None = None,
    slack_url: str | None = None,
    auth: Auth | None = None,
) -> Any:
    """A Datasette over ``path`` with deskbot's pages; ``today`` is the clock (default: UTC date)."""
    from datasette.app import Datasette
    from datasette.database import Database
    from datasette.plugins import pm

    if not pm.is_registered(plugin):
        pm.register(plugin, name="deskbot")
    ds = Datasette(
        metadata=metadata(auth),
        template_dir=str(TEMPLATES),
        static_mounts=[("deskbot-static", str(STATIC))],
        settings={"allow_download": False, "suggest_facets": False, "facet_time_limit_ms": 500,
                  "sql_time_limit_ms": 2000},
    )
    ds.remove_database("_memory")
    ds.add_database(Database(ds, path=str(path), is_mutable=True), name=DATABASE)
    store = Store(f"{path.resolve().as_uri()}?mode=ro", decay_table(path))
    plugin.SITES[ds] = plugin.Site(
        store=store, today=today or (lambda: utc_now().date()),
        links=pages.Links(slack_url=slack_url), database=DATABASE,
    )
    return ds


def listen(host: str, port: int) -> socket.socket:
    """Bind first, so the printed URL carries the real port (``--port 0`` picks a free one)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit it: without it a keep-alive response waits ~40 ms on delayed ACKs
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise WebError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def serve(ds: Any, sock: socket.socket) -> None:
    """Run until interrupted (Ctrl-C / SIGTERM: uvicorn shuts down cleanly)."""
    import uvicorn

    asyncio.run(ds.invoke_startup())
    config = uvicorn.Config(ds.app(), log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
