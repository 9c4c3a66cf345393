"""The ``deskbot`` command: the same functions Slack calls, on the same SQLite store.

Imports are local to each command so ``deskbot claim`` does not pay for what ``deskbot serve``
needs (the whole process stays well under 0.2 s).
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.kb.now import utc_now

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.kb.answers import ClaimAnswer, DueCount, NoteAnswer
    from bot.kb.echoes import Echo
    from bot.kb.store import Store

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


def _settings_for(db: str | None) -> Settings:
    """Settings whose database is the one this command uses (``--db`` wins), so files kept beside it (the
    scholarly APIs' shared pacing) are beside the right database."""
    from dataclasses import replace

    settings = _settings()
    return replace(settings, db_path=db) if db else settings


def _open_store(db: str | None) -> Store:
    from bot.capture.echo_judge import echo_judge_from_env
    from bot.config import ConfigError
    from bot.kb.store import Store

    settings = _settings()
    path = db or settings.db_path
    try:
        judge = echo_judge_from_env()  # DESKBOT_ECHO_MODEL: a model confirms borderline echoes (optional)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        return Store.open(path, settings.decay_table, busy_timeout_ms=settings.busy_timeout_ms, echo_judge=judge)
    except Exception as exc:  # noqa: BLE001 - a broken database path is a user error, not a traceback
        raise click.ClickException(f"cannot open database {path}: {exc}") from None


def _one_note(store: Store, words: str) -> str:
    """The id of the one note ``words`` (id, prefix, URL, title or words) names; a usage error otherwise."""
    ids = store.find_note_ids(words)
    if not ids:
        raise click.ClickException(f"no note matches {words!r}")
    if len(ids) > 1:
        choices = "\n".join(f"  {i}  {store.get_note(i).title}" for i in ids[:10])  # type: ignore[union-attr]
        raise click.ClickException(f"{words!r} matches {len(ids)} notes; give one id:\n{choices}")
    return ids[0]


def _today(as_of: str | None) -> date:
    if not as_of:
        return utc_now().date()
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
    from bot.kb.importer import discover, import_paths

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
        flag = f" · {a.hit.flag.replace('-', ' ')} (paper)" if a.hit.flag else ""
        where = f"{a.hit.note_title} ({a.hit.note_kind}) · {a.link or 'no link'}"
        lines.append(f"    — {where} · {a.freshness.badge}{flag}")
        if a.also_in:
            where = ", ".join(f"{e.title} ({e.kind}) {e.link or 'no link'}" for e in a.also_in)
            lines.append(f"    also in: {where} ({a.sources} sources)")
    return "\n".join(lines)


def format_stale(today: date, answers: list[NoteAnswer], count: DueCount) -> str:
    """``deskbot stale``: notes due by their own date, and fresh notes due for a claim, which says which
    claim (numbered as ``deskbot note`` numbers them) and why it ages faster than its note."""
    from bot.kb.answers import claim_due_phrase

    if not answers:
        return f"All fresh as of {today.isoformat()}: nothing is due for re-validation."
    total = count.total
    early = f" ({count.for_claims} for a claim due before its note)" if count.for_claims else ""
    lines = [f"Stale as of {today.isoformat()}: {total} note{'s' if total != 1 else ''}{early}", ""]
    for a in answers:
        r = a.row
        days = a.freshness.days_overdue
        if a.due_claims and a.due_on:
            late = (today - a.due_on).days
            overdue = f"a claim {late} day{'s' if late != 1 else ''} overdue"
        else:
            overdue = f"{days} day{'s' if days != 1 else ''} overdue"
        lines.append(f"* {r.title} — {a.freshness.badge} ({overdue})")
        validated = r.last_validated.isoformat() if r.last_validated else "never"
        lines.append(
            f"    {r.decay_rate or 'medium'} decay · last validated {validated} · owner {r.owner or '—'}"
            f" · {r.claim_count} claims · id {r.id}"
        )
        for c in a.due_claims:
            lines.append(f"    {claim_due_phrase(c, today)} · deskbot validate {r.id} --claim {c.position}")
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
    from bot.kb.answers import claim_search

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
    from bot.kb.answers import note_lookup

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
        note = store.get_note(r.id)
        early = store.claims_due_early(r.id)
        for number, claim in enumerate(note.claims if note else [], start=1):  # `validate --claim N` takes N
            state = " (outdated)" if claim.outdated else ""
            if not claim.outdated and number in early:  # a price, a version: due before its note
                due, why = early[number]
                state = f" (⏰ {why}: due {due.isoformat()}, before its note)"
            click.echo(f"    {number:2d}. {claim.text}{state}")
        related = store.related_titles(r.id)
        if related:
            click.echo("    related: " + "; ".join(title for _, title in related))


@cli.command("stale")
@db_option
@as_of_option
@click.option("--all", "show_all", is_flag=True, help="List every due note (default: the 50 longest due).")
@click.option("--owner", "owners", multiple=True, metavar="NAME",
              help="Only notes NAME owns (a Slack user id, a handle or a name; repeat for several names of one"
                   " person): what /stale mine shows.")
def stale_cmd(db: str | None, as_of: str | None, show_all: bool, owners: tuple[str, ...]) -> None:
    """Notes due for re-validation, longest due first: stale notes, and fresh notes with a claim past its
    own due date (a price, a version, a ranking, an "as of"), the claim named."""
    from bot.kb.answers import count_due, due_list

    store = _open_store(db)
    today = _today(as_of)
    who = owners or None
    answers = due_list(store, today, owners=who, limit=None if show_all else 50)
    click.echo(format_stale(today, answers, count_due(store, today, owners=who)))


@cli.command("validate")
@click.argument("note_words", metavar="NOTE", nargs=-1, required=True)
@click.option("--claim", "claim", type=int, help="Validate only claim N (1-based) of the note.")
@click.option("--outdated", is_flag=True, help="Mark the claim (needs --claim) outdated instead.")
@click.option("--by", "by", help="Who validated (default: $USER).")
@click.option("--on", "on", metavar="DATE", help="Validation date (default today).")
@click.option("--decay", "rate", metavar="RATE", help="Also set the decay rate (slow, medium, fast, NNd); a label.")
@click.option("--echoes", "with_echoes", is_flag=True,
              help="With --claim: validate the claim's echoes in other notes too.")
@db_option
def validate_cmd(
    note_words: tuple[str, ...], claim: int | None, outdated: bool, by: str | None, on: str | None,
    rate: str | None, with_echoes: bool, db: str | None,
) -> None:
    """Record that NOTE (id, URL, title or words) is still valid; its decay clock restarts.

    With ``--decay RATE`` the note's rate changes too, and the choice teaches later suggestions.
    """
    import os

    from bot.kb.decay import DecayError, normalize_rate

    note = " ".join(note_words)
    if outdated and claim is None:
        raise click.UsageError("--outdated needs --claim N")
    store = _open_store(db)
    ids = [_one_note(store, note)]
    day = _today(on)
    at = datetime.combine(day, utc_now().time().replace(microsecond=0)) if on is None else datetime(
        day.year, day.month, day.day, 12, 0)
    who = by or os.environ.get("USER") or None
    try:
        canonical = normalize_rate(rate, store.decay_table) if rate else None
    except DecayError as exc:
        raise click.BadParameter(str(exc), param_hint="--decay") from None
    from bot.kb import reviews

    echoes: list[Echo] = []
    try:
        if claim is None:
            store.validate(ids[0], by=who, at=at)
        elif outdated:
            echoes = reviews.outdate_claim(store, ids[0], claim, by=who, at=at)
        else:
            echoes = reviews.validate_claim(store, ids[0], claim, by=who, at=at)
    except IndexError:
        raise click.ClickException(f"note {ids[0]} has no claim {claim}") from None
    if canonical:
        store.set_decay(ids[0], canonical, by=who, at=at, source="cli")
    title = store.get_note(ids[0]).title  # type: ignore[union-attr]
    what = f"claim {claim} of {title!r}" if claim else repr(title)
    verb = "Marked outdated" if outdated else "Validated"
    click.echo(f"{verb}: {what} on {day.isoformat()} by {who or 'unknown'}")
    if canonical:
        click.echo(f"Decay set to {canonical} (a label: later suggestions for this site and tags learn from it)")
    if claim is not None:
        click.echo(_echo_followup(store, echoes, outdated=outdated, validate=with_echoes, by=who, at=at))


@cli.command("decay-stats")
@db_option
def decay_stats_cmd(db: str | None) -> None:
    """What the team's decay choices taught the suggestions: per site and tag, and how often kept."""
    from bot.capture.decay_rules import team_labels

    stats = _open_store(db).decay_stats()
    sources = ", ".join(f"{n} from {s}" for s, n in stats["sources"].items()) or "none yet"
    click.echo(
        f"{stats['suggested_notes']} notes with a suggested decay; {stats['reviewed_notes']} reviewed since;"
        f" {stats['labels']} decay labels ({sources})"
    )
    if stats["reviewed_notes"]:
        reviewed, accepted = stats["reviewed_notes"], stats["accepted_notes"]
        click.echo(f"accepted: {accepted} of {reviewed} reviewed notes ({round(100 * accepted / reviewed)} %) still"
                   f" have the suggested rate; {reviewed - accepted} were changed (a whole-note validation or a"
                   " new rate counts as a review; a snooze does not)")
    if stats["labels"]:
        kept, changed = stats["kept"], stats["changed"]
        click.echo(f"suggestion kept {kept} / changed {changed} times among the labelled notes")
    learned = {(t.scope, t.key): t for t in team_labels(stats["sites"], {})}
    learned |= {(t.scope, t.key): t for k, v in stats["tags"].items() for t in team_labels({}, {k: v})}
    for scope, table in (("site", stats["sites"]), ("tag", stats["tags"])):
        for key, by_rate in sorted(table.items(), key=lambda kv: -sum(kv[1].values()))[:15]:
            counts = ", ".join(f"{rate} {n}" for rate, n in sorted(by_rate.items(), key=lambda kv: -kv[1]))
            rule = learned.get((scope, key))
            followed = f"  → new notes follow: {rule.rate}" if rule else ""
            click.echo(f"  {scope} {key}: {counts}{followed}")


def _echo_followup(store: Store, found: list[Echo], *, outdated: bool, validate: bool, by: str | None,
                   at: datetime) -> str:
    """What a claim's echoes got: outdated → ``found`` were flagged for review; valid → ``found`` are offered
    (or validated with --echoes)."""
    from bot.kb import reviews

    if not found:
        return "No echoes of this claim in other notes."
    if outdated:
        lines = [f"{len(found)} echo{'es' if len(found) != 1 else ''} in other notes flagged for review"
                 " (digest: echoes of outdated claims):"]
        lines += [f"  - {e.note_title} claim {e.position}: {e.text}" for e in found]
        return "\n".join(lines)
    if validate:
        reviews.validate_echoes(store, found, by=by, at=at)
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
    from bot.kb.vault import export_vault

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
    except (FileExistsError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    copy = type(store).open(str(path))
    problems = copy.integrity_problems()
    if problems:
        raise click.ClickException(f"backup written to {path} but it does not check out: {problems[0]}")
    counts = copy.counts()
    click.echo(f"backup written to {path}: {counts['notes']} notes, {counts['claims']} claims, integrity ok")


DEMO_DB_NAME = "deskbot-demo.db"


def _fresh_demo_store(beside: str) -> Store:
    """The demo's scratch database: ``deskbot-demo.db`` beside the user's database, rebuilt on every run so
    the demo prints the same each time and its made-up sample clip never reaches the user's notes."""
    from bot.kb.store import Store

    folder = Path(beside).expanduser().resolve().parent if beside != ":memory:" else Path.cwd()
    path = folder / DEMO_DB_NAME
    for leftover in folder.glob(DEMO_DB_NAME + "*"):  # the file and its -wal, -shm, .inbox… companions
        leftover.unlink()
    settings = _settings()
    return Store.open(str(path), settings.decay_table, busy_timeout_ms=settings.busy_timeout_ms)


@cli.command("demo")
@db_option
@as_of_option
@click.option("--seeds", "seeds", type=click.Path(exists=True, file_okay=False),
              help="Folder of seed notes (default: the checkout's seeds/).")
def demo_cmd(db: str | None, as_of: str | None, seeds: str | None) -> None:
    """Show /claim rlvr, the stale list, a clip of a bundled page and the digest, on a scratch database.

    The seed notes are also imported into your database; the sample clip is not."""
    from bot.kb.answers import claim_search, count_due, due_list
    from bot.kb.importer import import_paths

    folder = Path(seeds) if seeds else (REPO_SEEDS if REPO_SEEDS.is_dir() else Path("seeds"))
    if not folder.is_dir():
        raise click.ClickException("no seeds/ folder found; run from the deskbot checkout or pass --seeds DIR")
    mine = _open_store(db)
    import_paths(mine, [folder])  # the user's own seed notes, so `deskbot claim rlvr` answers afterwards
    store = _fresh_demo_store(mine.path)
    report = import_paths(store, [folder])
    today = _today(as_of)
    click.echo(f"== deskbot demo · scratch database {DEMO_DB_NAME} (rebuilt on each run) · {report.summary()}"
               f" from {folder}")
    for path, problem in report.failed:
        click.echo(f"error: {path}: {problem}", err=True)
    click.echo("")
    click.echo("== /claim rlvr")
    found = claim_search(store, "rlvr", today, limit=8)  # what `deskbot claim rlvr` says, alias included
    click.echo(format_claims("rlvr", found.answers, found.expanded))
    click.echo("")
    click.echo("== stale list (deskbot stale)")
    click.echo(format_stale(today, due_list(store, today), count_due(store, today)))
    click.echo("")
    click.echo(f"== clip of a bundled sample page, read locally (posted as {SAMPLE_URL})")
    from bot.capture.pipeline import capture_local

    clipped_at = datetime.combine(today, datetime.min.time().replace(hour=12))
    result = capture_local(store, SAMPLE_PAGE, SAMPLE_URL, channel="demo", user="demo", now=clipped_at)
    click.echo(format_capture(result))
    click.echo("")
    click.echo("== weekly digest as it would post to Slack (`deskbot digest --dry-run`)")
    from bot.clock.digest import render_digest_text
    from bot.clock.periods import digest_period
    from bot.clock.runs import ClockDeps, build_digest

    settings = _settings()
    digest_now = _digest_now(settings, today)
    digest = build_digest(ClockDeps(store=store), settings, digest_now, period=digest_period(digest_now, settings),
                          recheck=False)
    click.echo(render_digest_text(digest, store.decay_table))
    click.echo("")
    click.echo("== links your channel already holds: deskbot backfill '#research' (from Slack's history; quiet, "
               "resumable) or deskbot import-slack-export export.zip --channel research (an admin's export)")
    click.echo(f"== The seed notes are in your database too ({mine.path}): try `deskbot claim rlvr`. The sample")
    click.echo(f"   clip stayed in the scratch database {DEMO_DB_NAME}.")
    scratch = store.path
    store.close()
    click.echo(f"== browse it: deskbot web --db {scratch}   (then open http://127.0.0.1:8001/)")


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
    from bot.kb.render import place_url

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
    result = capture_url(store, url, channel=channel, user=by, options=options_from_settings(_settings_for(db)))
    click.echo(format_capture(result))
    if result.status == "failed":
        sys.exit(1)


# ------------------------------------------------------------------ the Slack bot


def _hold_locks(db: str | None, command: str, *, bot: bool = True, clock: bool = True) -> list[Any]:
    """The database's bot and/or clock locks for the life of this process (``bot.kb.dblock``): a second
    serve/run/clock on the same file stops here with one line naming the first."""
    from bot.kb.dblock import BOT, CLOCK, AlreadyRunning, hold

    path = db or _settings().db_path
    held: list[Any] = []
    try:
        for role in [r for r, wanted in ((BOT, bot), (CLOCK, clock)) if wanted]:
            held.append(hold(path, role, command))
    except AlreadyRunning as exc:
        for lock in held:
            if lock is not None:
                lock.release()
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot lock database {path}: {exc}") from None
    return held


def _bot_app(db: str | None, *, socket_mode: bool, workers: int) -> Any:
    """Settings → store → Bolt app, every failure a one-line user error (never a traceback)."""
    import logging

    from bot.config import ConfigError
    from bot.slack.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("slack_sdk").setLevel(logging.WARNING)  # request logs would carry headers
    settings = _settings_for(db)
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

    locks = _hold_locks(db, "serve", clock=not no_clock)  # noqa: F841 - held until this function returns
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

    locks = _hold_locks(db, "run", clock=not no_clock)  # noqa: F841 - held until this function returns
    app = _bot_app(db, socket_mode=True, workers=workers)
    run_socket_mode(app, str(app.deps.settings.app_token), clock=not no_clock)


@cli.command("retry")
@click.argument("job_ids", metavar="[JOB]...", nargs=-1, type=int)
@db_option
def retry_cmd(job_ids: tuple[int, ...], db: str | None) -> None:
    """Re-queue failed capture jobs and videos clipped without a transcript (all, or the JOB ids given); the
    running bot picks them up (a backfill's: the same backfill command, run again)."""
    from bot.slack import queue

    store = _open_store(db)
    failed = queue.jobs(store, queue.FAILED)
    for job in failed:
        if not job_ids or job.id in job_ids:
            click.echo(f"  job {job.id}: {job.url or job.file_id} — {job.last_error or 'failed'}")
    before = {job_id: queue.get(store, job_id) for job_id in job_ids}
    quiet = sum(1 for job in failed if job.batch is not None and (not job_ids or job.id in job_ids))
    count = queue.requeue_failed(store, job_ids)
    click.echo(f"re-queued {count} failed job{'s' if count != 1 else ''}")
    if quiet:
        click.echo(f"{quiet} of them from a backfill: run the same backfill or import-slack-export command again "
                   "to clip them (quietly; nothing is read again)")
    videos = queue.requeue_missing_transcripts(store, job_ids)
    if videos:
        click.echo(f"re-queued {videos} video{'s' if videos != 1 else ''} clipped without a transcript")
    problems = []  # a job named that neither failed nor is a video still without its transcript
    for job_id, job in before.items():
        now_job = queue.get(store, job_id)
        if job is None:
            problems.append(f"no job {job_id}")
        elif now_job is not None and now_job.status == job.status:
            problems.append(f"job {job_id} is {job.status}, not failed")
    if problems:
        raise click.ClickException("; ".join(problems))


# ------------------------------------------------------------------ the channel's past


class BackfillProgress:
    """Progress of a backfill: a bar on a terminal (links found, clipped, failed, rate, ETA), else one
    plain line every ``every`` seconds (logs, CI). Called by the clip pool with the run's counts."""

    def __init__(self, label: str, *, every: float = 10.0, tty: bool | None = None) -> None:
        import time

        self.label = label
        self.every = every
        self.tty = sys.stderr.isatty() if tty is None else tty
        self._time = time.monotonic
        self._start = self._time()
        self._last = self._start
        self._first: int | None = None  # links finished before this process started (a resumed run)
        self._bar: Any = None

    def __call__(self, counts: Any) -> None:
        finished = counts.done + counts.failed
        if self._first is None:
            self._first = finished
        elapsed = max(1e-6, self._time() - self._start)
        rate = (finished - self._first) / elapsed
        text = (f"{counts.jobs} links found · {counts.done} clipped · {counts.failed} failed · {rate:.1f}/s")
        if self.tty:
            if self._bar is None:
                self._bar = click.progressbar(length=max(1, counts.jobs), label=f"backfill {self.label}",
                                              file=sys.stderr, show_eta=True, item_show_func=lambda item: item)
                self._bar.__enter__()
            self._bar.length = max(1, counts.jobs)
            self._bar.update(finished - self._bar.pos, text)
        elif self._time() - self._last >= self.every:
            self._last = self._time()
            left = counts.open / rate if rate > 0 else None
            eta = f" · ETA {int(left) // 60}:{int(left) % 60:02d}" if left is not None else ""
            click.echo(f"backfill {self.label}: {text}{eta}", err=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _backfill_runner(store: Store, settings: Settings, client: Any) -> Any:
    """The live path's Runner, fetching politely (2 requests per host at most, Retry-After honoured)."""
    from bot.capture.fetch import fetch
    from bot.capture.pipeline import options_from_settings
    from bot.capture.politeness import HostGate
    from bot.slack.app import trusted_file_host
    from bot.slack.runner import Backoff, Runner

    options = options_from_settings(settings)
    options.fetcher = HostGate(options.fetcher or fetch, per_host=2)
    return Runner(store, client, capture_options=options, backoff=Backoff(),
                  trusted_file_host=trusted_file_host(settings), react=False)


def _day_ts(text: str | None, *, end: bool = False) -> str | None:
    """--since DATE: from its start; --until DATE: to its end (UTC), as a Slack ts."""
    from datetime import timedelta

    from bot.slack.backfill import epoch

    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date (expected YYYY-MM-DD)") from None
    moment = datetime(day.year, day.month, day.day) + (timedelta(days=1) if end else timedelta(0))
    return epoch(moment)


def _clip_run(store: Store, runner: Any, run: Any, reader: Any, label: str, workers: int) -> Any:
    """Run the clip pool with a progress display; Ctrl-C stops cleanly (the same command resumes)."""
    from bot.slack.backfill import ClipPool

    progress = BackfillProgress(label)
    pool = ClipPool(store, runner, run.id, workers=workers)
    try:
        return pool.run(reader, progress, every=0.5 if progress.tty else 2.0)
    except KeyboardInterrupt:
        raise click.ClickException("interrupted; run the same command again to resume where it stopped") from None
    finally:
        progress.close()


def _summary(store: Store, run_id: str, label: str, counts: Any) -> str:
    from bot.slack import backfills

    run = backfills.get(store, run_id)
    assert run is not None
    known = max(0, run.links - counts.jobs)
    line = (f"backfill {label}: {run.messages} messages, {run.links} links"
            + (f" ({known} already clipped live)" if known else "")
            + f" → {counts.notes} notes; {counts.failed} failed")
    if counts.failed:
        line += " (deskbot retry re-queues them)"
    return line


workers_backfill_option = click.option("--workers", type=click.IntRange(1, 32), default=4, show_default=True,
                                       help="Clipping threads in this process (each host gets 2 requests at most).")


@cli.command("backfill")
@click.argument("channel")
@click.option("--since", metavar="DATE", help="Only messages from DATE on (YYYY-MM-DD, UTC).")
@click.option("--until", metavar="DATE", help="Only messages up to DATE, included (YYYY-MM-DD, UTC).")
@click.option("--dry-run", is_flag=True, help="Read the history and count its links; clip and store nothing.")
@click.option("--announce", is_flag=True, help="At the end, post one summary message in the channel.")
@workers_backfill_option
@db_option
def backfill_cmd(channel: str, since: str | None, until: str | None, dry_run: bool, announce: bool, workers: int,
                 db: str | None) -> None:
    """Clip the links CHANNEL (#name or id) already holds, from Slack's history; quiet (no thread replies),
    resumable (stop it any time, run it again)."""
    import threading

    from bot.slack import backfills
    from bot.slack.app import build_client
    from bot.slack.backfill import announce as post_summary
    from bot.slack.backfill import history_run_id, read_history
    from bot.slack.history import History, HistoryError

    settings = _settings()
    if not settings.bot_token:
        raise click.ClickException("SLACK_BOT_TOKEN is not set: backfill reads the channel's history from Slack "
                                   "(an admin's export needs no token: deskbot import-slack-export EXPORT.zip)")
    oldest, until_ts = _day_ts(since), _day_ts(until, end=True)
    client = build_client(settings, rate_limit_retries=100)
    history = History(client)
    try:
        found_channel = history.resolve(channel)
        bot_user = history.bot_user_id()
        if dry_run:
            found = read_history(None, history, None, found_channel, oldest=oldest, latest=until_ts,
                                 bot_user_id=bot_user, stop=threading.Event())
            click.echo(f"dry run, {found_channel.label}: {found.messages} messages, {found.links} links, "
                       f"{found.files} files would be clipped; nothing was stored")
            return
    except HistoryError as exc:
        raise click.ClickException(str(exc)) from None
    store = _open_store(db)
    run_id = history_run_id(found_channel.id, oldest, until_ts)
    run, resumed = backfills.start(store, run_id, source="history", channel=found_channel.id,
                                   label=found_channel.label, latest=until_ts or f"{utc_now().timestamp():.6f}")
    if resumed:
        click.echo(f"resuming the backfill of {found_channel.label} ({run.messages} messages read so far)", err=True)
    runner = _backfill_runner(store, settings, client)

    def reader() -> None:
        read_history(store, history, run, found_channel, oldest=oldest, latest=run.latest, bot_user_id=bot_user,
                     stop=threading.Event(), on_page=lambda: None)

    try:
        counts = _clip_run(store, runner, run, reader, found_channel.label, workers)
    except HistoryError as exc:
        backfills.forget_if_empty(store, run_id)
        raise click.ClickException(str(exc)) from None
    if counts.open:
        raise click.ClickException(f"stopped with {counts.open} links still to clip; run the same command again")
    backfills.finish(store, run_id)
    click.echo(_summary(store, run_id, found_channel.label, counts))
    if announce:
        from slack_sdk.errors import SlackApiError, SlackClientError

        try:
            post_summary(store, client, history, backfills.get(store, run_id) or run, found_channel)
        except (HistoryError, SlackApiError, SlackClientError, OSError) as exc:
            why = exc.response.get("error") if isinstance(exc, SlackApiError) else exc
            raise click.ClickException(f"the backfill is done, but the summary could not be posted ({why})") from None
        click.echo(f"posted the summary in {found_channel.label}")


@cli.command("import-slack-export")
@click.argument("export_path", metavar="EXPORT.zip", type=click.Path())
@click.option("--channel", "channel_name", metavar="NAME",
              help="The channel to import (default: DESKBOT_CHANNELS found in the export).")
@click.option("--dry-run", is_flag=True, help="Read the export and count its links; clip and store nothing.")
@workers_backfill_option
@db_option
def import_slack_export_cmd(export_path: str, channel_name: str | None, dry_run: bool, workers: int,
                            db: str | None) -> None:
    """Clip the links of a workspace admin's Slack export (ZIP) — no Slack call; quiet and resumable."""
    import threading

    from bot.slack import backfills
    from bot.slack.backfill import export_run_id, record_export, scan_export
    from bot.slack.export import ExportError, SlackExport

    settings = _settings()
    try:
        with SlackExport(export_path) as export:
            if channel_name:
                channels = [export.channel(channel_name)]
            elif settings.channels:
                channels = [c for c in export.channels if c.id in settings.channels or c.name in settings.channels]
            else:
                names = ", ".join(sorted(c.name for c in export.channels)[:20])
                raise click.UsageError(f"say which channel: --channel NAME (the export has: {names})")
            if not channels:
                raise click.ClickException(f"none of DESKBOT_CHANNELS ({', '.join(settings.channels)}) is in "
                                           f"{Path(export_path).name}; give --channel NAME")
            if dry_run:
                for ch in channels:
                    found = scan_export(export, ch)[1]
                    click.echo(f"dry run, #{ch.name}: {found.days} days, {found.messages} messages, {found.links} "
                               f"links would be clipped ({found.files_skipped} file shares skipped); nothing stored")
                return
            store = _open_store(db)
            digest = export.digest()
            plans = []
            for ch in channels:  # every selected day file is parsed before anything is written
                before = backfills.resumable(store, export_run_id(digest, ch.id))
                after = before.position if before is not None else None
                days, found = scan_export(export, ch, after=after)
                plans.append((ch, days, found))
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    runner = _backfill_runner(store, settings, None)  # an export makes no Slack call: no client
    for ch, days, found in plans:
        label = f"#{ch.name}"
        run, resumed = backfills.start(store, export_run_id(digest, ch.id), source="export", channel=ch.id,
                                       label=label)
        if resumed:
            click.echo(f"resuming the import of {label} ({run.messages} messages recorded so far)", err=True)
        stop = threading.Event()

        def reader(run: Any = run, days: Any = days, stop: threading.Event = stop) -> None:
            record_export(store, run, days, stop)

        counts = _clip_run(store, runner, run, reader, label, workers)
        if counts.open:
            raise click.ClickException(f"stopped with {counts.open} links of {label} still to clip; "
                                       "run the same command again")
        backfills.finish(store, run.id)
        line = _summary(store, run.id, label, counts)
        if found.files_skipped:
            line += f"; {found.files_skipped} file shares skipped (an export holds no file contents)"
        click.echo(line)


@cli.command("web")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="HTTP port (0 = any free).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface; anything but loopback needs DESKBOT_WEB_PASSWORD_HASH.")
@click.option("--slack-url", envvar="DESKBOT_SLACK_URL", metavar="URL",
              help="Your workspace (https://acme.slack.com): note pages link to the Slack threads.")
@click.option("--hash-password", is_flag=True, help="Print a DESKBOT_WEB_PASSWORD_HASH for a password, then exit.")
@db_option
def web_cmd(port: int, host: str, slack_url: str | None, hash_password: bool, db: str | None) -> None:
    """Browse the knowledge base in a web browser: Datasette over the database, read-only."""
    from bot.config import environment
    from bot.web import app as web

    if hash_password:
        from datasette_auth_passwords.utils import hash_password as make_hash

        click.echo(make_hash(click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)))
        return
    settings = _settings()
    path = Path(db or settings.db_path).expanduser()
    try:
        auth = web.Auth.from_env(environment())  # the environment over ./.env, like every setting
        web.check_host(host, auth)
        web.prepare(path, settings.decay_table)
        sock = web.listen(host, port)
    except web.WebError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"deskbot web: {web.url_of(sock)} (database {path}; Ctrl-C stops)")
    sys.stdout.flush()
    web.serve(web.build(path, slack_url=slack_url, auth=auth), sock)


# ------------------------------------------------------------------ the clock


def _digest_now(settings: Settings, day: date | None) -> datetime:
    """Now, or DAY at the digest's time in DESKBOT_TZ (what `--as-of` means for a digest)."""
    from bot.config import parse_digest_spec, parse_tz

    if day is None:
        return utc_now()
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
    from bot.clock.digest import render_digest_text
    from bot.clock.periods import digest_period
    from bot.clock.runs import ClockDeps, build_digest, run_digest
    from bot.slack.runtime import build_client

    settings = _settings_for(db)
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

    from bot.slack.post_once import Unreadable, may_have_posted

    deps = ClockDeps(store=store, client=build_client(settings), recheck=recheck is not False)
    try:
        outcome = run_digest(deps, settings, now, force=force)
    except SlackApiError as exc:
        raise click.ClickException(f"Slack refused the digest: {exc.response.get('error')}") from None
    except (SlackClientError, OSError) as exc:
        if not may_have_posted(exc):
            raise click.ClickException(f"cannot reach Slack at {settings.slack_api_url}: {exc}") from None
        raise click.ClickException(
            f"lost the connection to Slack at {settings.slack_api_url} ({exc}); the digest may have been posted: "
            "the next `deskbot digest` (or the clock's hourly catch-up) looks for it before posting") from None
    except Unreadable as exc:
        raise click.ClickException(f"the digest may have been posted, and {exc}; nothing posted now") from None
    if outcome.status == "already":
        raise click.ClickException(f"the digest for {outcome.period} was already posted; --force posts another")
    if outcome.status == "posted":
        click.echo(f"posted the digest for {outcome.period} to {outcome.channel} (ts {outcome.ts}): {outcome.detail}")
    else:
        click.echo(f"no digest posted: {outcome.detail}")


@cli.command("papers")
@click.option("--all", "every", is_flag=True, help="Also papers checked in the last 6 days.")
@click.option("--announce/--no-announce", default=None,
              help="Post what is new in the threads and owners' DMs (default: when SLACK_BOT_TOKEN is set).")
@db_option
def papers_cmd(every: bool, announce: bool | None, db: str | None) -> None:
    """Re-check every paper note now (retractions, corrections, expressions of concern, newer versions), as the
    weekly sweep does, and print what is new."""

    from bot.capture.fetch import Allowlist
    from bot.capture.papers.apis import PaperAPIs
    from bot.capture.papers.capture import describe_update
    from bot.capture.papers.status import check

    settings = _settings_for(db)
    store = _open_store(db)
    now = utc_now()
    papers = PaperAPIs.from_settings(settings, allow=Allowlist.from_env(settings.fetch_allow))
    result = check(store, None, papers, now, skip_recent=not every)
    for found in result.found:
        row = store.note_row(found.note_id)
        click.echo(f"  {row.title if row else found.note_id}: {describe_update(found.update)}")
    for error in result.errors:
        click.echo(f"  ⚠️ {error}")
    click.echo(f"checked {result.checked} paper notes in {result.seconds:.1f} s ({result.requests} requests): "
               f"{len(result.found)} new finding{'s' if len(result.found) != 1 else ''}")
    if announce or (announce is None and settings.bot_token):
        from bot.clock.paper_alerts import announce as post_alerts
        from bot.slack.runtime import build_client

        done = post_alerts(store, build_client(settings), now)
        click.echo(f"announced: {done.threads} thread replies, {done.dms} DMs"
                   + (f", {done.failed} failed (retried next time)" if done.failed else ""))


@cli.command("reclip")
@click.argument("note_words", metavar="NOTE", nargs=-1, required=True)
@click.option("--version", "want", metavar="VERSION",
              help="Which newer version, when several were found (v3, an arXiv id such as 2204.08348v3, or a DOI).")
@db_option
def reclip_cmd(note_words: tuple[str, ...], want: str | None, db: str | None) -> None:
    """Clip the newer version a re-check found for a paper NOTE (as the *Re-clip* button does): a new note,
    linked to NOTE, whose claims are flagged superseded. Prints the new note as its thread reply would read."""
    from bot.capture.papers.reclip import NothingToReclip, reclip
    from bot.capture.pipeline import options_from_settings

    note = " ".join(note_words)
    store = _open_store(db)
    ids = [_one_note(store, note)]
    first = store.first_mention(ids[0])
    row = store.note_row(ids[0])
    try:
        result = reclip(store, ids[0], want=want, options=options_from_settings(_settings_for(db)),
                        channel=first.channel if first else None, user=row.owner if row else None,
                        ts=first.ts if first else None)
    except NothingToReclip as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_capture(result) if result.status != "duplicate" else "\n".join(result.notices))
    if result.status == "failed":
        sys.exit(1)


@cli.command("clock")
@db_option
def clock_cmd(db: str | None) -> None:
    """Run the scheduler alone: the daily reminder sweep and the weekly digest (Ctrl-C stops it)."""
    import logging
    import signal
    import threading

    from bot.clock.periods import digest_trigger, reminder_trigger
    from bot.clock.runs import ClockDeps
    from bot.clock.scheduler import run_clock
    from bot.slack.runtime import build_client

    settings = _settings_for(db)
    if not settings.bot_token:
        raise click.ClickException("SLACK_BOT_TOKEN is not set: the clock sends reminders and digests to Slack.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("slack_sdk").setLevel(logging.WARNING)
    locks = _hold_locks(db, "clock", bot=False)  # noqa: F841 - held until this function returns
    store = _open_store(db)
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
    now = utc_now()
    click.echo(f"deskbot clock · {store.path} · {settings.tz} · next digest "
               f"{digest_trigger(settings).get_next_fire_time(None, now):%a %Y-%m-%d %H:%M} · next reminders "
               f"{reminder_trigger(settings).get_next_fire_time(None, now):%a %Y-%m-%d %H:%M}", err=True)
    try:
        run_clock(settings, ClockDeps(store=store, client=build_client(settings)), stop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo("deskbot clock stopped", err=True)
