"""The weekly stale digest and the reminder DM: what goes in them (read from the store), and how they look
as Block Kit (built from ``bot.slack.blocks`` so the Still valid / Snooze / Change decay clicks update them in place)
and as plain text (``deskbot digest --dry-run``, ``deskbot demo``).

Slack limits are met by construction, however many notes are stale: the digest shows at most
``DIGEST_NOTES`` notes (2 blocks each) plus ≤ 7 blocks of headings and counts, far under 50 blocks;
every page- or user-derived string goes through ``bot.slack.blocks`` escaping and clipping. Counts come from
``due_counts`` (migration 005), so they cost the same at 1M notes as at 100.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bot.kb import answers, decay
from bot.kb.store import NoteRow
from bot.slack import blocks as bk

if TYPE_CHECKING:
    from bot.capture.recheck import SourceCheck
    from bot.kb.store import Store

DIGEST_NOTES = 20  # notes shown in one digest: 20 × 2 blocks + heading/counts/group + 2 paper-alert blocks ≤ 50
NEWLY_DAYS = 7  # "newly stale" = became stale within the last week (since the previous digest)
REMINDER_NOTES_PER_DM = 5  # one DM per owner per sweep; more wait for the next day's sweep
REMINDER_CLAIMS = 5
MORE_HINT = "`deskbot stale --all` or deskbot's App Home"
ECHO_TITLE = "Echoes of outdated claims"
ECHO_REVIEWS = 5  # shown per digest, oldest flag first (they stay until someone looks)

NEWLY, OVER_90, DAYS_30_90, UNDER_30 = "newly", "over-90", "30-90", "under-30"
GROUP_TITLES = {
    NEWLY: "Newly stale this week",
    OVER_90: "Over 90 days overdue",
    DAYS_30_90: "30–90 days overdue",
    UNDER_30: "Under 30 days overdue",
}
GROUP_ORDER = (NEWLY, OVER_90, DAYS_30_90, UNDER_30)


def group_of(days_overdue: int) -> str:
    """Which heading a stale note sits under (newly stale first, then by how overdue)."""
    if days_overdue < NEWLY_DAYS:
        return NEWLY
    if days_overdue > 90:
        return OVER_90
    if days_overdue >= 30:
        return DAYS_30_90
    return UNDER_30


def group_bounds(today: date) -> dict[str, tuple[str | None, str]]:
    """Inclusive due-date ranges of each group (``None`` = open below)."""
    d = today.toordinal()

    def iso(n: int) -> str:
        return date.fromordinal(n).isoformat()

    return {
        NEWLY: (iso(d - NEWLY_DAYS + 1), iso(d)),
        UNDER_30: (iso(d - 29), iso(d - NEWLY_DAYS)),
        DAYS_30_90: (iso(d - 90), iso(d - 30)),
        OVER_90: (None, iso(d - 91)),
    }


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Item:
    """One note as the digest or a reminder shows it."""

    row: NoteRow
    freshness: decay.Freshness
    owner: str | None
    validated_by: str | None
    check: SourceCheck | None = None
    claims: tuple[tuple[int, str], ...] = ()  # (number, text); reminders only
    due_claims: tuple[Any, ...] = ()  # bot.kb.store.DueClaim: claims past their own due date, note still fresh

    @property
    def reminder_due(self) -> date | None:
        """The due date a reminder is for (and claimed under): the note's, or, while the note is still fresh,
        its earliest due claim's (``notes.claim_due``)."""
        if self.due_claims and self.freshness.state != decay.STALE:
            return min(c.due for c in self.due_claims if c.due)
        return self.row.due

    @property
    def days_overdue(self) -> int:
        return self.freshness.days_overdue

    @property
    def group(self) -> str:
        return group_of(self.days_overdue)


@dataclass(frozen=True)
class Digest:
    """Everything one digest says: counts over all stale notes and the few notes shown."""

    today: date
    period: str | None
    counts: Mapping[str, int]
    items: Sequence[Item]
    channel: str | None = None
    late: bool = False
    alerts: Sequence[Any] = ()  # paper retractions / expressions of concern (bot.clock.paper_alerts.Alert)
    echo_reviews: Sequence[Any] = ()  # bot.kb.reviews.Review: echoes of claims marked outdated
    due_claims: Sequence[Any] = ()  # bot.kb.store.DueClaim: claims past their own due date, note still fresh
    due_claim_notes: int = 0  # how many notes have one (all of them, not only those shown)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def more(self) -> int:
        return self.total - len(self.items)

    def grouped(self) -> list[tuple[str, list[Item]]]:
        """Shown items under their headings, newly stale first, most overdue first inside each."""
        out = []
        for group in GROUP_ORDER:
            members = [i for i in self.items if i.group == group]
            if members:
                out.append((group, members))
        return out


def stale_counts(store: Store, today: date) -> dict[str, int]:
    """Stale notes per group, summed from ``due_counts`` (one row per due date, kept by triggers)."""
    counts = {}
    for group, (low, high) in group_bounds(today).items():
        counts[group] = store.conn.execute(
            "SELECT coalesce(sum(n), 0) FROM due_counts WHERE due BETWEEN ? AND ?", (low or "", high)
        ).fetchone()[0]
    return counts


def count_stale(store: Store, today: date) -> int:
    """How many notes are stale on ``today`` (``Store.count_stale`` reads the trigger-kept ``due_counts``)."""
    return store.count_stale(today)


def newly_stale_ids(store: Store, today: date, limit: int) -> list[str]:
    """Notes that became stale within the last week, most overdue first."""
    low, high = group_bounds(today)[NEWLY]
    rows = store.conn.execute(
        "SELECT id FROM notes WHERE covered_by IS NULL AND due BETWEEN ? AND ? ORDER BY due, id LIMIT ?",
        (low, high, limit),
    ).fetchall()
    return [r[0] for r in rows]


def most_overdue_ids(store: Store, today: date, limit: int, *, before_newly: bool = True) -> list[str]:
    """The ``limit`` most overdue notes (optionally only those stale for a week or more)."""
    high = group_bounds(today)[UNDER_30][1] if before_newly else today.isoformat()
    rows = store.conn.execute(
        "SELECT id FROM notes WHERE covered_by IS NULL AND due <= ? ORDER BY due, id LIMIT ?", (high, limit)
    ).fetchall()
    return [r[0] for r in rows]


def digest_note_ids(store: Store, today: date, limit: int = DIGEST_NOTES) -> list[str]:
    """Which notes a digest shows: newly stale first (up to half, more if there is room), then most overdue."""
    newly = newly_stale_ids(store, today, limit)
    older = most_overdue_ids(store, today, limit)
    take_newly = max(limit // 2, limit - len(older))
    chosen = newly[:take_newly]
    return chosen + older[: limit - len(chosen)]


def owner_of(store: Store, row: NoteRow) -> str | None:
    """Who to ask: the note's owner, else whoever first posted its link."""
    if row.owner:
        return row.owner
    first = store.first_mention(row.id)
    return first.user if first and first.user else None


def _validated_by(store: Store, note_id: str) -> str | None:
    row = store.conn.execute(
        "SELECT by FROM validations WHERE note_id = ? AND verdict = 'valid' AND claim IS NULL"
        " ORDER BY at DESC, id DESC LIMIT 1",
        (note_id,),
    ).fetchone()
    return row[0] if row else None


def _claims(store: Store, note_id: str, limit: int) -> tuple[tuple[int, str], ...]:
    rows = store.conn.execute(
        "SELECT position, text FROM claims WHERE note_id = ? AND outdated = 0 ORDER BY position LIMIT ?",
        (note_id, limit),
    ).fetchall()
    return tuple((r[0], r[1]) for r in rows)


def items_for(
    store: Store,
    note_ids: Sequence[str],
    today: date,
    checks: Mapping[str, SourceCheck] | None = None,
    *,
    claims: int = 0,
) -> list[Item]:
    """Items for ``note_ids`` (in that order) with owner, last validator, source check and claims."""
    from bot.capture.recheck import latest_checks

    known = {**latest_checks(store, note_ids), **(checks or {})}
    items = []
    for note_id in note_ids:
        row = store.note_row(note_id)
        if row is None:
            continue
        items.append(
            Item(
                row=row,
                freshness=decay.freshness(row.due, today),
                owner=owner_of(store, row),
                validated_by=_validated_by(store, note_id),
                check=known.get(note_id),
                claims=_claims(store, note_id, claims) if claims else (),
                due_claims=answers.note_due_claims(store, row, today),
            )
        )
    return items


def collect_digest(
    store: Store,
    today: date,
    *,
    period: str | None = None,
    channel: str | None = None,
    note_ids: Sequence[str] | None = None,
    checks: Mapping[str, SourceCheck] | None = None,
    limit: int = DIGEST_NOTES,
    late: bool = False,
) -> Digest:
    """Read one digest from the store (``note_ids`` defaults to :func:`digest_note_ids`)."""
    ids = list(note_ids) if note_ids is not None else digest_note_ids(store, today, limit)
    items = items_for(store, ids, today, checks)
    order = {g: n for n, g in enumerate(GROUP_ORDER)}
    items.sort(key=lambda i: (order[i.group], i.row.due or today, i.row.id))
    from bot.kb.reviews import open_reviews

    return Digest(today, period, stale_counts(store, today), items, channel, late,
                  echo_reviews=open_reviews(store, limit=ECHO_REVIEWS),
                  due_claims=[c for a in answers.due_list(store, today, limit=DUE_CLAIM_NOTES, stale=False)
                              for c in a.due_claims],
                  due_claim_notes=answers.count_due(store, today).for_claims)


DUE_CLAIM_NOTES = 5  # notes whose claims are listed under "claims due before their note"; the rest counted
DUE_CLAIMS_TITLE = "Claims due before their note"


def due_claim_summary(item: Item) -> str:
    """``Claim 2 states a price: due 2026-01-31, before its note (2026-06-30).`` for a reminder."""
    return " ".join(f"C{answers.claim_due_phrase(c)[1:]}." for c in item.due_claims)


def due_claim_lines(digest: Digest, link: Callable[[str | None, str], str] = lambda url, title: title,
                    esc: Callable[[str], str] = str) -> list[str]:
    """One line per claim past its own due date: which claim, why it ages fast, and how to re-validate it."""
    lines = [
        f"• “{esc(bk.clip(c.text, 200))}” — {link(c.url, c.title)} claim {c.position} {esc(c.why)}: due"
        f" {c.due.isoformat() if c.due else '?'}, its note not until"
        f" {c.note_due.isoformat() if c.note_due else '—'} (`deskbot validate {c.note_id} --claim {c.position}`)"
        for c in digest.due_claims
    ]
    shown = len({c.note_id for c in digest.due_claims})
    if digest.due_claim_notes > shown:
        lines.append(f"+{digest.due_claim_notes - shown:,} more notes with a claim due")
    return lines


def echo_review_lines(digest: Digest, link: Callable[[str | None, str], str] = lambda url, title: title,
                      esc: Callable[[str], str] = str) -> list[str]:
    """One line per echo of an outdated claim: the echo, where it is, and which claim went outdated."""
    return [
        f"• “{esc(bk.clip(r.text, 200))}” — {link(r.url, r.note_title)} claim {r.position}"
        f" (echoes claim {r.outdated_position} of {esc(r.outdated_title)}, marked outdated)"
        for r in digest.echo_reviews
    ]


# --------------------------------------------------------------------------- shared wording


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def count_line(digest: Digest) -> str:
    """``37 notes need re-validation: 5 newly stale this week · 12 over 90 days overdue · …``"""
    parts = [f"{digest.counts.get(g, 0):,} {GROUP_TITLES[g][0].lower()}{GROUP_TITLES[g][1:]}"
             for g in GROUP_ORDER if g == NEWLY or digest.counts.get(g)]
    verb = "needs" if digest.total == 1 else "need"
    return f"{_plural(digest.total, 'note')} {verb} re-validation: " + " · ".join(parts)


def _validated(item: Item, who: Callable[[str], str] = str) -> str:
    when = item.row.last_validated.isoformat() if item.row.last_validated else "never"
    return f"last validated {when}" + (f" by {who(item.validated_by)}" if item.validated_by else "")


def _check(item: Item) -> str:
    if item.check is None:
        return "source not checked yet" if item.row.url else "no source link"
    return f"{item.check.label}, checked {item.check.checked_at.date().isoformat()}"


def _rate(store_table: Mapping[str, int] | None, rate: str | None) -> str:
    name = rate or decay.DEFAULT_RATE
    try:
        return f"{name} ({decay.rate_days(name, dict(store_table) if store_table else None)} days)"
    except decay.DecayError:
        return name


# --------------------------------------------------------------------------- Block Kit


def _overdue(item: Item) -> str:
    """``12 days overdue``; for a fresh note reminded for a claim, how overdue that claim is."""
    if item.days_overdue >= 0 or not item.due_claims or item.reminder_due is None or item.freshness.due is None:
        return f"{_plural(item.days_overdue, 'day')} overdue"
    today = item.freshness.due + timedelta(days=item.days_overdue)
    return f"a claim {_plural((today - item.reminder_due).days, 'day')} overdue"


def _extra(item: Item) -> str:
    """The line under a note (its section already shows the badge and decay rate): how overdue, owner, last
    validation and by whom, and the source check."""
    return " · ".join((
        f"*{_overdue(item)}*",
        f"owner {bk.mention(item.owner)}" if item.owner else "no owner",
        _validated(item, bk.mention),
        bk.esc(_check(item)),
    ))


def _note_blocks(item: Item) -> list[dict[str, Any]]:
    return [
        bk.note_section(item.row, item.freshness, extra=_extra(item)),
        bk.note_actions(item.row.id, url=item.row.url, rate=item.row.decay_rate, buttons=bk.REVIEW_BUTTONS,
                        ),
    ]


def digest_message(digest: Digest) -> dict[str, Any]:
    """The digest as a ``chat.postMessage`` payload (``text`` + ``blocks``), within Slack's limits."""
    when = digest.today.strftime("%a %d %b %Y")
    alerts = _alert_blocks(digest)
    reviews = []
    if digest.echo_reviews:  # one block, so a full digest stays within Slack's 50
        reviews = [bk.section(f"*{ECHO_TITLE}* ({len(digest.echo_reviews)})\n"
                              + "\n".join(echo_review_lines(digest, bk.link, bk.esc)), block_id="digest:echoes")]
    if digest.due_claims:  # one block too
        reviews.append(bk.section(
            (f"*{DUE_CLAIMS_TITLE}* ({_plural(digest.due_claim_notes, 'note')})\n"
             + "\n".join(due_claim_lines(digest, bk.link, bk.esc)))[:2900], block_id="digest:claims-due"))
    if digest.total == 0:
        text = f"✨ All fresh as of {when}: nothing is due for re-validation."
        return bk.message(text, [*alerts, bk.section(text, block_id="digest:summary"), *reviews])
    blocks: list[dict[str, Any]] = [
        *alerts,
        bk.header(f"Stale knowledge · {when}"),
        bk.section(count_line(digest) + (" _(posted late: deskbot was down at digest time)_" if digest.late else ""),
                   block_id="digest:summary"),
    ]
    for group, members in digest.grouped():
        blocks.append(bk.context(f"*{GROUP_TITLES[group]}* ({digest.counts.get(group, len(members)):,})",
                                 block_id=f"digest:group:{group}"))
        for item in members:
            blocks += _note_blocks(item)
    if digest.more > 0:
        blocks.append(bk.context(f"+{digest.more:,} more stale — {MORE_HINT}", block_id="digest:more"))
    blocks += reviews
    if len(blocks) > bk.MAX_BLOCKS:  # cannot happen with DIGEST_NOTES = 20; never let Slack reject it
        raise ValueError(f"digest has {len(blocks)} blocks; lower DIGEST_NOTES")
    return bk.message(f"Stale knowledge: {count_line(digest)}", blocks)


ALERTS_SHOWN = 5  # retraction lines at the top of a digest; more are counted


def _alert_blocks(digest: Digest) -> list[dict[str, Any]]:
    """The top section: papers retracted or given an expression of concern since the last digest."""
    if not digest.alerts:
        return []
    lines = [f"• {a.headline()}" for a in digest.alerts[:ALERTS_SHOWN]]
    if len(digest.alerts) > ALERTS_SHOWN:
        lines.append(f"+{len(digest.alerts) - ALERTS_SHOWN} more")
    return [bk.header("Papers retracted or under concern"),
            bk.section("\n".join(lines)[:2900], block_id="digest:papers")]


def reminder_message(
    items: Sequence[Item], *, more: int = 0, for_owner: str | None = None
) -> dict[str, Any]:
    """One reminder DM: each note with how overdue it is, its claims (each with its *Still valid* / *Outdated*
    menu) and the buttons.

    ``for_owner`` is set when the DM goes to a fallback channel instead of the note's owner.
    """
    count = _plural(len(items), "note")
    early = sum(1 for i in items if i.due_claims and i.freshness.state != decay.STALE)
    if early:
        count += f" ({early} for a claim due before its note)"
    intro = f"⏰ {count} you shared {'is' if len(items) == 1 else 'are'} due for re-validation."
    if for_owner is not None:
        intro = f"⏰ {count} without a reachable owner ({bk.esc(for_owner)}) {'is' if len(items) == 1 else 'are'} due."
    blocks: list[dict[str, Any]] = [bk.section(intro + " Is each still right?", block_id="reminder:intro")]
    for item in items[:REMINDER_NOTES_PER_DM]:
        blocks.append(bk.note_section(item.row, item.freshness, extra=_extra(item)))
        if item.due_claims:
            blocks.append(bk.context(bk.esc(due_claim_summary(item)), block_id=f"claims-due:{item.row.id}"))
        for number, text in item.claims[:REMINDER_CLAIMS]:
            blocks.append(bk.section(f"{number}. {bk.plain(text, 1500)}", block_id=f"claim:{item.row.id}:{number}",
                                     accessory=bk.claim_menu(item.row.id, number)))
        blocks.append(bk.note_actions(item.row.id, url=item.row.url, rate=item.row.decay_rate,
                                      buttons=bk.REVIEW_BUTTONS))
    if more > 0:
        blocks.append(bk.context(f"+{more:,} more due — they come in the next reminders, or see {MORE_HINT}"))
    if len(blocks) > bk.MAX_BLOCKS:
        raise ValueError(f"reminder has {len(blocks)} blocks")
    titles = ", ".join(i.row.title for i in items[:3]) + ("…" if len(items) > 3 else "")
    return bk.message(f"Due for re-validation: {bk.plain(titles, 300)}", blocks)


# --------------------------------------------------------------------------- plain text


BUTTONS_TEXT = "[Still valid] [Needs update] [Snooze 14 days] [Change decay ▾]"


def _text_item(item: Item, table: Mapping[str, int] | None, lines: list[str]) -> None:
    r = item.row
    lines.append(f"* {r.title} — {item.freshness.badge} ({_overdue(item)})")
    reason = f" — {bk.plain(r.decay_reason, 200)}" if r.decay_reason else ""  # as the Slack digest shows it
    lines.append(f"    owner {item.owner or '—'} · decay {_rate(table, r.decay_rate)}{reason} · {_validated(item)}")
    lines.append(f"    {_check(item)} · id {r.id}")
    if paper := [f.replace("-", " ") for f in r.flags if f in bk.PAPER_FLAGS]:
        lines.append(f"    paper {' · '.join(paper)}")
    if r.url:
        lines.append(f"    {r.url}")
    if page := bk.note_page(r.id):
        lines.append(f"    note page {page}")


def render_digest_text(digest: Digest, table: Mapping[str, int] | None = None) -> str:
    """The digest as text: the same data and order as the Slack message (``--dry-run``, demo)."""
    where = f" → {digest.channel}" if digest.channel else ""
    week = f" · {digest.period}" if digest.period else ""
    head = f"Stale knowledge · {digest.today.isoformat()}{week}{where}"
    papers = [f"Papers retracted or under concern: {a.title} — {a.kind.replace('_', ' ')} {a.ref}".rstrip()
              for a in digest.alerts]
    if papers:
        head = "\n".join(papers) + "\n\n" + head
    reviews = []
    if digest.echo_reviews:
        reviews = ["", f"{ECHO_TITLE} ({len(digest.echo_reviews)})", *echo_review_lines(digest)]
    if digest.due_claims:
        reviews += ["", f"{DUE_CLAIMS_TITLE} ({_plural(digest.due_claim_notes, 'note')})", *due_claim_lines(digest)]
    if digest.total == 0:
        return "\n".join([f"{head}\nAll fresh as of {digest.today.isoformat()}: nothing is due for re-validation.",
                          *reviews])
    lines = [head, count_line(digest)]
    for group, members in digest.grouped():
        lines += ["", f"{GROUP_TITLES[group]} ({digest.counts.get(group, len(members)):,})"]
        for item in members:
            _text_item(item, table, lines)
            lines.append(f"    {BUTTONS_TEXT}")
    if digest.more > 0:
        lines += ["", f"+{digest.more:,} more stale — {MORE_HINT.replace('`', '')}"]
    return "\n".join(lines + reviews)


@dataclass
class ReminderBatch:
    """The notes one recipient is reminded of in one sweep."""

    recipient: str
    items: list[Item] = field(default_factory=list)
    fallback_for: str | None = None
    more: int = 0


def render_reminder_text(batch: ReminderBatch, table: Mapping[str, int] | None = None) -> str:
    lines = [f"Reminder to {batch.recipient}: {_plural(len(batch.items), 'note')} due for re-validation"]
    for item in batch.items:
        _text_item(item, table, lines)
        if item.due_claims:
            lines.append(f"    {due_claim_summary(item)}")
        lines += [f"    {n}. {text}" for n, text in item.claims]
        lines.append(f"    {BUTTONS_TEXT}")
    if batch.more:
        lines.append(f"+{batch.more:,} more due")
    return "\n".join(lines)

