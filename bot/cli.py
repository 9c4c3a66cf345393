"""The ``deskbot`` command: the same functions Slack calls, on the same SQLite store.

Imports are local to each command so ``deskbot claim`` does not pay for what ``deskbot serve``
needs (the whole process stays well under 0.2 s).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from bot.answers import ClaimAnswer, NoteAnswer
    from bot.config import Settings
    from bot.store import Store

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
REPO_SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SAMPLE_PAGE = Path(__file__).resolve().parent / "samples" / "sample-article.html"
SAMPLE_URL = "https://desk-research.example/p/verifiable-rewards-clinical-ai"


def _settings() -> Settings:
    from bot.config import ConfigError, Settings

    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _open_store(db: str | None) -> Store:
    from bot.store import Store

    settings = _settings()
    path = db or settings.db_path
    try:
        return Store.open(path, settings.decay_table, busy_timeout_ms=settings.busy_timeout_ms)
    except Exception as exc:  # noqa: BLE001 - a broken database path is a user error, not a traceback
        raise click.ClickException(f"cannot open database {path}: {exc}") from None


def _today(as_of: str | None) -> date:
    if not as_of:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(as_of)
    except ValueError:
        raise click.BadParameter(f"{as_of!r} is not a date (expected YYYY-MM-DD)") from None


db_option = click.option("--db", envvar="DESKBOT_DB", help="SQLite database file (default ./deskbot.db).")
as_of_option = click.option("--as-of", "as_of", metavar="DATE", help="Pretend today is DATE (YYYY-MM-DD).")


class DeskbotGroup(click.Group):
    """Turns database trouble (locked, disk full, not a database) into one clear line, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        import sqlite3

        from bot.config import ConfigError

        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                hint = "another deskbot process is writing; try again, or stop it first"
            elif "full" in text or "disk I/O" in text:
                hint = ("the disk may be full (or a file-size limit reached): free space and re-run; "
                        "committed work is kept, nothing half-written is")
            else:
                hint = "check DESKBOT_DB"
            raise click.ClickException(f"database error: {text} ({hint})") from None
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(f"database error: {exc} (is DESKBOT_DB a deskbot database?)") from None


@click.group(cls=DeskbotGroup, context_settings=CONTEXT)
@click.version_option(package_name="deskbot")
def cli() -> None:
    """deskbot: your research channel's links, claims and their freshness, in one SQLite file."""


# ------------------------------------------------------------------ knowledge base


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@db_option
def import_cmd(paths: tuple[str, ...], db: str | None) -> None:
    """Import note files or folders of notes (.md, .markdown, .txt). Re-importing is safe."""
    from bot.importer import discover, import_paths

    store = _open_store(db)
    files = list(discover(paths))  # walked once: the count sizes the progress bar, the list is imported
    if len(files) >= 200:
        with click.progressbar(length=len(files), label="importing", file=sys.stderr) as bar:
            report = import_paths(store, files, progress=bar.update)
    else:
        report = import_paths(store, files)
    for path, problem in report.failed:
        click.echo(f"error: {path}: {problem}", err=True)
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)


def format_claims(topic: str, answers: list[ClaimAnswer], expanded: str | None = None) -> str:
    """Terminal rendering of a claim lookup (also what `deskbot demo` prints): echoes in other notes
    fold into one "also in" line under the claim."""
    also = f" (also searched {expanded!r})" if expanded else ""
    if not answers:
        return f"No claims found for {topic!r}{also}. Try fewer or other words, or `deskbot note {topic}`."
    lines = [f"Claims on {topic!r}{also} ({len(answers)}):", ""]
    for i, a in enumerate(answers, start=1):
        label = f" [{a.hit.label}]" if a.hit.label else ""
        lines.append(f"{i:2d}. {a.hit.text}{label}")
        lines.append(f"    — {a.hit.note_title} ({a.hit.note_kind}) · {a.link or 'no link'} · {a.freshness.badge}")
        if a.also_in:
            where = ", ".join(f"{e.title} ({e.kind}) {e.link or 'no link'}" for e in a.also_in)
            lines.append(f"    also in: {where} ({a.sources} sources)")
    return "\n".join(lines)


def format_stale(today: date, answers: list[NoteAnswer], total: int) -> str:
    if not answers:
        return f"All fresh as of {today.isoformat()}: nothing is due for re-validation."
    lines = [f"Stale as of {today.isoformat()}: {total} note{'s' if total != 1 else ''}", ""]
    for a in answers:
        r = a.row
        days = a.freshness.days_overdue
        lines.append(f"* {r.title} — {a.freshness.badge} ({days} day{'s' if days != 1 else ''} overdue)")
        validated = r.last_validated.isoformat() if r.last_validated else "never"
        lines.append(
            f"    {r.decay_rate or 'medium'} decay · last validated {validated} · owner {r.owner or '—'}"
            f" · {r.claim_count} claims · id {r.id}"
        )
        if r.url:
            lines.append(f"    {r.url}")
    if total > len(answers):
        lines.append(f"+{total - len(answers)} more (deskbot stale --all)")
    return "\n".join(lines)


@cli.command("claim")
@click.argument("topic", nargs=-1)
@click.option("-n", "--limit", default=10, show_default=True, help="How many claims to show.")
@db_option
@as_of_option
def claim_cmd(topic: tuple[str, ...], limit: int, db: str | None, as_of: str | None) -> None:
    """Claims on TOPIC, best first, with source, place and freshness."""
    from bot.answers import claim_search

    text = " ".join(topic).strip()
    if not any(ch.isalnum() for ch in text):
        raise click.UsageError('give a topic with at least one word, e.g. deskbot claim "RL scaling"')
    store = _open_store(db)
    found = claim_search(store, text, _today(as_of), limit=limit)
    click.echo(format_claims(text, found.answers, found.expanded))


@cli.command("note")
@click.argument("query", nargs=-1)
@db_option
@as_of_option
def note_cmd(query: tuple[str, ...], db: str | None, as_of: str | None) -> None:
    """Notes matching QUERY (title, summary, tags), with freshness and related notes."""
    from bot.answers import note_lookup

    text = " ".join(query).strip()
    if not any(ch.isalnum() for ch in text):
        raise click.UsageError("give words to search for, e.g. deskbot note continual learning")
    store = _open_store(db)
    found = note_lookup(store, text, _today(as_of))
    if not found:
        click.echo(f"No notes match {text!r}.")
        return
    for a in found:
        r = a.row
        click.echo(f"* {r.title} ({r.kind}) — {a.freshness.badge} · id {r.id}")
        if r.url:
            click.echo(f"    {r.url}")
        if r.summary:
            snippet = r.summary.replace("\n", " ")
            click.echo(f"    {snippet[:240]}{'…' if len(snippet) > 240 else ''}")
        related = store.related_titles(r.id)
        if related:
            click.echo("    related: " + "; ".join(title for _, title in related))


@cli.command("stale")
@db_option
@as_of_option
@click.option("--all", "show_all", is_flag=True, help="List every stale note (default: the 50 most overdue).")
def stale_cmd(db: str | None, as_of: str | None, show_all: bool) -> None:
    """Notes due for re-validation, most overdue first."""
    from bot.answers import stale_list

    store = _open_store(db)
    today = _today(as_of)
    answers = stale_list(store, today, limit=None if show_all else 50)
    click.echo(format_stale(today, answers, store.count_stale(today)))


@cli.command("validate")
@click.argument("note_words", metavar="NOTE", nargs=-1, required=True)
@click.option("--claim", "claim", type=int, help="Validate only claim N (1-based) of the note.")
@click.option("--outdated", is_flag=True, help="Mark the claim (needs --claim) outdated instead.")
@click.option("--by", "by", help="Who validated (default: $USER).")
@click.option("--on", "on", metavar="DATE", help="Validation date (default today).")
@click.option("--echoes", "with_echoes", is_flag=True,
              help="With --claim: validate the claim's echoes in other notes too.")
@db_option
def validate_cmd(
    note_words: tuple[str, ...], claim: int | None, outdated: bool, by: str | None, on: str | None,
    with_echoes: bool, db: str | None,
) -> None:
    """Record that NOTE (id, URL, title or words) is still valid; its decay clock restarts."""
    import os

    note = " ".join(note_words)
    if outdated and claim is None:
        raise click.UsageError("--outdated needs --claim N")
    store = _open_store(db)
    ids = store.find_note_ids(note)
    if not ids:
        raise click.ClickException(f"no note matches {note!r}")
    if len(ids) > 1:
        choices = "\n".join(f"  {i}  {store.get_note(i).title}" for i in ids[:10])  # type: ignore[union-attr]
        raise click.ClickException(f"{note!r} matches {len(ids)} notes; give one id:\n{choices}")
    day = _today(on)
    at = datetime.combine(day, datetime.now(UTC).time().replace(microsecond=0)) if on is None else datetime(
        day.year, day.month, day.day, 12, 0)
    who = by or os.environ.get("USER") or None
    try:
        store.validate(ids[0], by=who, at=at, claim=claim, verdict="outdated" if outdated else "valid")
    except IndexError:
        raise click.ClickException(f"note {ids[0]} has no claim {claim}") from None
    title = store.get_note(ids[0]).title  # type: ignore[union-attr]
    what = f"claim {claim} of {title!r}" if claim else repr(title)
    verb = "Marked outdated" if outdated else "Validated"
    click.echo(f"{verb}: {what} on {day.isoformat()} by {who or 'unknown'}")
    if claim is not None:
        click.echo(_echo_followup(store, ids[0], claim, outdated=outdated, validate=with_echoes, by=who, at=at))


def _echo_followup(store: Store, note_id: str, claim: int, *, outdated: bool, validate: bool, by: str | None,
                   at: datetime) -> str:
    """What a claim's echoes get: outdated → flagged for review; valid → offered (or validated with --echoes)."""
    from bot.kb import reviews

    if outdated:
        flagged = reviews.flag_echoes(store, note_id, claim, at)
        if not flagged:
            return "No echoes of this claim in other notes."
        lines = [f"{len(flagged)} echo{'es' if len(flagged) != 1 else ''} in other notes flagged for review"
                 " (digest: echoes of outdated claims):"]
        lines += [f"  - {e.note_title} claim {e.position}: {e.text}" for e in flagged]
        return "\n".join(lines)
    found = reviews.claim_validated(store, note_id, claim, at)
    if not found:
        return "No echoes of this claim in other notes."
    if validate:
        for e in found:
            store.validate(e.note_id, by=by, at=at, claim=e.position)
            reviews.claim_validated(store, e.note_id, e.position, at)
        return "\n".join([f"Also validated {len(found)} echo{'es' if len(found) != 1 else ''}:"]
                         + [f"  - {e.note_title} claim {e.position}: {e.text}" for e in found])
    them = "it" if len(found) == 1 else "them"
    lines = [f"The same claim is in {len(found)} other note{'s' if len(found) != 1 else ''}; validate {them}"
             " too with --echoes, or one by one:"]
    lines += [f"  - {e.note_title} claim {e.position}: {e.text}\n    deskbot validate {e.note_id} --claim {e.position}"
              for e in found]
    return "\n".join(lines)


@cli.command("relink")
@db_option
def relink_cmd(db: str | None) -> None:
    """Rebuild every echo (the same claim in two notes) from scratch, with progress."""
    from bot.kb.echoes import relink

    store = _open_store(db)

    def progress(done: int, total: int) -> None:
        click.echo(f"\r  relinking: {done:,} / {total:,} claims", nl=False, err=True)

    with store.write() as conn:
        report = relink(conn, progress=progress)
    click.echo("", err=True)
    click.echo(f"relinked {report.claims:,} claims in {report.seconds:.1f} s ({report.rate:,.0f} claims/s):"
               f" {report.links:,} echo links")


@cli.group("aliases", invoke_without_command=True)
@db_option
@click.pass_context
def aliases_cmd(ctx: click.Context, db: str | None) -> None:
    """List the acronyms and aliases deskbot learned from notes (and the ones you added)."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    if ctx.invoked_subcommand is None:
        from bot.kb import aliases

        found = aliases.listing(_open_store(db).conn)
        if not found:
            click.echo("No aliases yet: they are learned from notes that define them, e.g. 'large language"
                       " models (LLMs)'.")
        for a in found:
            origin = "added by you" if a.origin == "user" else f"from note {a.note_id}"
            click.echo(f"{a.short:12s} {a.long}  ({origin})")


@aliases_cmd.command("add")
@click.argument("short")
@click.argument("long", nargs=-1, required=True)
@click.pass_context
def aliases_add(ctx: click.Context, short: str, long: tuple[str, ...]) -> None:
    """Teach an alias: SHORT (e.g. RLVR) stands for LONG (e.g. reinforcement learning from verifiable rewards)."""
    from bot.kb import aliases

    store = _open_store(ctx.obj.get("db"))
    try:
        with store.write() as conn:
            added = aliases.add(conn, short, " ".join(long))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Added: {added.short} = {added.long}")


@aliases_cmd.command("remove")
@click.argument("short")
@click.argument("long", nargs=-1)
@click.pass_context
def aliases_remove(ctx: click.Context, short: str, long: tuple[str, ...]) -> None:
    """Forget SHORT (every long form, or just LONG); it will not be learned again."""
    from bot.kb import aliases

    store = _open_store(ctx.obj.get("db"))
    with store.write() as conn:
        removed = aliases.remove(conn, short, " ".join(long) or None)
    if not removed:
        raise click.ClickException(f"no alias {short!r}{' = ' + ' '.join(long) if long else ''} to remove")
    click.echo(f"Removed {removed} alias{'es' if removed != 1 else ''} of {short}")


@cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@db_option
def export_cmd(directory: str, db: str | None) -> None:
    """Write every note as markdown + frontmatter into DIRECTORY (a vault; re-importable)."""
    from bot.vault import export_vault

    store = _open_store(db)
    written = export_vault(store, Path(directory))
    click.echo(f"exported {len(written)} notes to {directory}")


@cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@db_option
def backup_cmd(target: str, db: str | None) -> None:
    """Write a consistent copy of the database to TARGET (safe while the bot is running)."""
    store = _open_store(db)
    try:
        path = store.backup(target)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    copy = type(store).open(str(path))
    problems = copy.integrity_problems()
    if problems:
        raise click.ClickException(f"backup written to {path} but it does not check out: {problems[0]}")
    counts = copy.counts()
    click.echo(f"backup written to {path}: {counts['notes']} notes, {counts['claims']} claims, integrity ok")


@cli.command("demo")
@db_option
@as_of_option
@click.option("--seeds", "seeds", type=click.Path(exists=True, file_okay=False),
              help="Folder of seed notes (default: the checkout's seeds/).")
def demo_cmd(db: str | None, as_of: str | None, seeds: str | None) -> None:
    """Import the seed notes, show what /claim rlvr and the stale digest would answer, clip a sample page."""
    from bot.answers import claim_lookup, stale_list
    from bot.importer import import_paths

    folder = Path(seeds) if seeds else (REPO_SEEDS if REPO_SEEDS.is_dir() else Path("seeds"))
    if not folder.is_dir():
        raise click.ClickException("no seeds/ folder found; run from the deskbot checkout or pass --seeds DIR")
    store = _open_store(db)
    report = import_paths(store, [folder])
    today = _today(as_of)
    click.echo(f"== deskbot demo · database {store.path} · {report.summary()} from {folder}")
    for path, problem in report.failed:
        click.echo(f"error: {path}: {problem}", err=True)
    click.echo("")
    click.echo("== /claim rlvr")
    click.echo(format_claims("rlvr", claim_lookup(store, "rlvr", today, limit=8)))
    click.echo("")
    click.echo("== stale list (deskbot stale)")
    click.echo(format_stale(today, stale_list(store, today), store.count_stale(today)))
    click.echo("")
    click.echo(f"== clip of a bundled sample page, read locally (posted as {SAMPLE_URL})")
    from bot.capture.pipeline import capture_local

    result = capture_local(store, SAMPLE_PAGE, SAMPLE_URL, channel="demo", user="demo")
    click.echo(format_capture(result))
    click.echo("")
    click.echo("== weekly digest as it would post to Slack (`deskbot digest --dry-run`)")
    from bot.digest import render_digest_text
    from bot.jobs import ClockDeps, build_digest
    from bot.scheduler import digest_period

    settings = _settings()
    digest_now = _digest_now(settings, today)
    digest = build_digest(ClockDeps(store=store), settings, digest_now, period=digest_period(digest_now, settings),
                          recheck=False)
    click.echo(render_digest_text(digest, store.decay_table))


def format_capture(result: Any) -> str:
    """The thread reply as text: what `deskbot ingest` and `deskbot demo` print."""
    note = result.note
    if result.status == "failed":
        return f"Could not capture {result.url}: {result.error}" + (
            "" if result.permanent else " (temporary; will be retried)")
    if result.status == "duplicate" and result.first is not None:
        when = result.first.at.date().isoformat() if result.first.at else "an earlier date"
        who = f" by {result.first.user}" if result.first.user else ""
        return f"Already clipped on {when}{who}: {note.title if note else result.url}"
    from bot.render import place_url

    lines = [f"{note.title}", f"<{note.url}>" if note.url else ""]
    byline = " · ".join(x for x in (note.site, note.author, note.published and note.published.isoformat()) if x)
    if byline:
        lines.append(byline)
    lines += [f"* {notice}" for notice in result.notices]
    if note.summary:
        lines += ["", note.summary]
    if note.claims:
        lines += ["", "Key claims:"]
        for i, claim in enumerate(note.claims, start=1):
            lines.append(f"{i:2d}. {claim.text}")
            lines.append(f"    {place_url(note, claim)}")
    if note.tags:
        lines += ["", "Tags: " + " ".join(f"#{t}" for t in note.tags)]
    lines.append(f"Decay: {note.decay_rate or 'medium'}" + (f" ({note.decay_reason})" if note.decay_reason else ""))
    lines.append(f"Note id: {note.id}")
    return "\n".join(line for line in lines if line is not None)


@cli.command("ingest")
@click.argument("url")
@click.option("--channel", help="Slack channel to record as where it was posted.")
@click.option("--by", "by", help="Who posted it (Slack user id or name).")
@db_option
def ingest_cmd(url: str, channel: str | None, by: str | None, db: str | None) -> None:
    """Capture one link from the terminal: fetch safely, extract, summarise, store, print the note."""
    from bot.capture.pipeline import capture_url, options_from_settings

    store = _open_store(db)
    result = capture_url(store, url, channel=channel, user=by, options=options_from_settings(_settings()))
    click.echo(format_capture(result))
    if result.status == "failed":
        sys.exit(1)


# ------------------------------------------------------------------ the Slack bot


def _bot_app(db: str | None, *, socket_mode: bool, workers: int) -> Any:
    """Settings → store → Bolt app, every failure a one-line user error (never a traceback)."""
    import logging

    from bot.app import create_app
    from bot.config import ConfigError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("slack_sdk").setLevel(logging.WARNING)  # request logs would carry headers
    settings = _settings()
    store = _open_store(db)
    try:
        return create_app(settings, store, socket_mode=socket_mode, worker_threads=workers)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


no_clock_option = click.option("--no-clock", is_flag=True, help="Do not run reminders and digests in this process.")
def default_workers() -> int:
    """Capture processes: one per core but one, at least two — a core stays free so acks stay fast
    (measured: 4 workers on 2 cores pushed ack p99 past 10 ms; 2 kept it under; see bench/slack.py)."""
    import os

    return max(2, (os.cpu_count() or 2) - 1)


workers_option = click.option(
    "--workers", type=int, default=default_workers, show_default="cores - 1, at least 2",
    help="Capture worker processes.",
)


@cli.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), help="HTTP port (default $PORT, else 3000; 0 = any free).")
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on.")
@no_clock_option
@workers_option
@db_option
def serve_cmd(port: int | None, host: str, no_clock: bool, workers: int, db: str | None) -> None:
    """Run the bot over HTTP: Slack posts events, commands and clicks to /slack/events."""
    from bot.server import run_http

    app = _bot_app(db, socket_mode=False, workers=workers)
    port = app.deps.settings.port if port is None else port
    try:
        run_http(app, host=host, port=port, clock=not no_clock)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from None


@cli.command("run")
@no_clock_option
@workers_option
@db_option
def run_cmd(no_clock: bool, workers: int, db: str | None) -> None:
    """Run the bot over Socket Mode (needs SLACK_APP_TOKEN; no public URL)."""
    from bot.server import run_socket_mode

    app = _bot_app(db, socket_mode=True, workers=workers)
    run_socket_mode(app, str(app.deps.settings.app_token), clock=not no_clock)


@cli.command("retry")
@click.argument("job_ids", metavar="[JOB]...", nargs=-1, type=int)
@db_option
def retry_cmd(job_ids: tuple[int, ...], db: str | None) -> None:
    """Re-queue failed capture jobs (all, or the JOB ids given); the running bot picks them up."""
    from bot import queue

    store = _open_store(db)
    failed = queue.jobs(store, queue.FAILED)
    for job in failed:
        if not job_ids or job.id in job_ids:
            click.echo(f"  job {job.id}: {job.url or job.file_id} — {job.last_error or 'failed'}")
    count = queue.requeue_failed(store, job_ids)
    click.echo(f"re-queued {count} failed job{'s' if count != 1 else ''}")


# ------------------------------------------------------------------ the clock


def _digest_now(settings: Settings, day: date | None) -> datetime:
    """Now, or DAY at the digest's time in DESKBOT_TZ (what `--as-of` means for a digest)."""
    from bot.scheduler import parse_digest_spec, parse_tz

    if day is None:
        return datetime.now(UTC)
    return datetime.combine(day, parse_digest_spec(settings.digest).at, tzinfo=parse_tz(settings.tz))


@cli.command("digest")
@click.option("--dry-run", is_flag=True, help="Print the digest as it would be posted (no Slack needed).")
@as_of_option
@click.option("--recheck/--no-recheck", default=None,
              help="Re-fetch the shown notes' sources first (default: yes when posting, no for --dry-run).")
@click.option("--force", is_flag=True, help="Post even if this week's digest was already posted.")
@db_option
def digest_cmd(dry_run: bool, as_of: str | None, recheck: bool | None, force: bool, db: str | None) -> None:
    """Post the weekly stale digest to DESKBOT_DIGEST_CHANNEL now, or print it with --dry-run."""
    from bot.digest import render_digest_text
    from bot.jobs import ClockDeps, build_digest, run_digest, slack_client
    from bot.scheduler import digest_period

    settings = _settings()
    if as_of and not dry_run:
        raise click.UsageError("--as-of goes with --dry-run (a posted digest is always today's)")
    if not dry_run and not settings.bot_token:
        raise click.ClickException("SLACK_BOT_TOKEN is not set: `deskbot digest` posts to Slack. Set the bot token "
                                   "(xoxb-…), or use --dry-run to print the digest instead.")
    if not dry_run and not settings.digest_channel:
        raise click.ClickException("DESKBOT_DIGEST_CHANNEL (or DESKBOT_CHANNELS) is not set: nowhere to post.")
    store = _open_store(db)
    now = _digest_now(settings, _today(as_of) if as_of else None)
    if dry_run:
        deps = ClockDeps(store=store)
        digest = build_digest(deps, settings, now, period=digest_period(now, settings), recheck=bool(recheck))
        click.echo(render_digest_text(digest, store.decay_table))
        return
    from slack_sdk.errors import SlackApiError, SlackClientError

    deps = ClockDeps(store=store, client=slack_client(settings), recheck=recheck is not False)
    try:
        outcome = run_digest(deps, settings, now, force=force)
    except SlackApiError as exc:
        raise click.ClickException(f"Slack refused the digest: {exc.response.get('error')}") from None
    except (SlackClientError, OSError) as exc:
        raise click.ClickException(f"cannot reach Slack at {settings.slack_api_url}: {exc}") from None
    if outcome.status == "already":
        raise click.ClickException(f"the digest for {outcome.period} was already posted; --force posts another")
    if outcome.status == "posted":
        click.echo(f"posted the digest for {outcome.period} to {outcome.channel} (ts {outcome.ts}): {outcome.detail}")
    else:
        click.echo(f"no digest posted: {outcome.detail}")


@cli.command("clock")
@db_option
def clock_cmd(db: str | None) -> None:
    """Run the scheduler alone: the daily reminder sweep and the weekly digest (Ctrl-C stops it)."""
    import logging
    import signal
    import threading

    from bot.jobs import ClockDeps, slack_client
    from bot.scheduler import digest_trigger, reminder_trigger, run_clock

    settings = _settings()
    if not settings.bot_token:
        raise click.ClickException("SLACK_BOT_TOKEN is not set: the clock sends reminders and digests to Slack.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("slack_sdk").setLevel(logging.WARNING)
    store = _open_store(db)
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
    now = datetime.now(UTC)
    click.echo(f"deskbot clock · {store.path} · {settings.tz} · next digest "
               f"{digest_trigger(settings).get_next_fire_time(None, now):%a %Y-%m-%d %H:%M} · next reminders "
               f"{reminder_trigger(settings).get_next_fire_time(None, now):%a %Y-%m-%d %H:%M}", err=True)
    try:
        run_clock(settings, ClockDeps(store=store, client=slack_client(settings)), stop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo("deskbot clock stopped", err=True)


def main() -> None:  # pragma: no cover - console entry point
    cli()
