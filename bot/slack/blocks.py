"""Pure Block Kit builders: data in, Slack message / view dicts out. No I/O, no clock.

Why a module of its own: the thread reply, the slash-command answers, App Home, reminder DMs and the
weekly digest must look alike and share one set of buttons, so every surface builds its blocks here.

Safety: every string that comes from a page, a note or a user goes through :func:`esc` (``&``, ``<``,
``>``), so captured content can never ping ``<!channel>`` or a user, or smuggle a link. Every builder
keeps Slack's limits (see the constants) by clipping text, never by letting Slack reject a message.

Action CONTRACT (shared with the clock/digest code; the handlers live in ``bot.slack.listeners.actions``):

============================  ==============================================================
action_id                      what it does
============================  ==============================================================
``note_valid``                 *Still valid*: record a validation (the decay clock restarts)
``note_needs_update``          *Needs update*: record verdict ``needs-update`` (no date change)
``note_snooze``                *Snooze 14 days*: push the due date, no validation
``note_decay``                 *Change decay*: a ``static_select`` with slow / medium / fast. The
                               three buttons ``note_decay_slow|medium|fast`` are accepted too.
``claim_menu``                 the overflow menu (…) of one claim (``c`` = its 1-based number): each
                               option's value names what it does in ``a``: ``claim_valid`` (*Still
                               valid*: that claim's clock restarts, then its echoes are offered in
                               an ephemeral message) or ``claim_outdated``
``claim_outdated``             *Outdated* on one claim: marks it, flags its echoes for review. Also
                               accepted as a button (messages posted before the overflow menu)
``claim_echoes_valid``         *Validate its N echoes too*, in that offer (``e`` = the echoes shown,
                               ``[[note_id, claim number], …]``; only those that still echo it)
``note_open``                  *Open note*: a URL button to the note's page on ``deskbot web`` when
                               ``DESKBOT_WEB_URL`` is set, else to the source (acknowledged, nothing stored)
``share_claims``               *Share in channel*: post a ``/claim`` answer publicly (``q`` = topic)
``paper_reclip``               *Re-clip v3*: clip a paper's newer version as a new note linked to
                               this one (``u`` = the finding's id; once per note and version)
============================  ==============================================================

* Every action's ``value`` is compact JSON ``{"n": "<note_id>", "c": <claim number or null>}``; extra
  keys: ``q`` (the /claim topic, for re-rendering an ephemeral answer or sharing it), ``k`` (the
  answer kind: ``claim`` / ``note`` / ``stale``), ``u`` (a paper finding's id), ``e`` (echoes) and, in
  option values (≤ 150 characters: ``q`` is shortened to fit), ``r`` (the decay select) or ``a`` (the claim
  menu).
* A note-bearing section has ``block_id`` ``note:<note_id>``; its buttons live in an actions block with
  ``block_id`` ``actions:<note_id>``. A claim-bearing section has ``block_id`` ``claim:<note_id>:<n>``
  (two claims of one note may share a message; block ids must be unique in it).
* On a click the handler replaces ``note:<id>`` with a fresh :func:`note_section` carrying a status line
  and turns ``actions:<id>`` into a context line (:func:`mark_note`), then ``chat.update``\\ s the message,
  so a digest or reminder updates in place. Build digests with :func:`note_section` +
  :func:`note_actions` and they get this for free.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_BLOCK_ID = 255
MAX_ACTION_VALUE = 2000
MAX_OPTION_VALUE = 150
MAX_HEADER_TEXT = 150
MAX_URL = 3000
MAX_FALLBACK_TEXT = 3000  # the notification text; Slack allows far more, nobody reads it

RATES = ("slow", "medium", "fast")
SNOOZE_DAYS = 14
OWN_MARKS = ("📄", "🎬", "🚫", "⚠️", "🆕", "📰", "♻️")
PAPER_FLAGS = {"retracted": "🚫 *paper retracted*", "expression-of-concern": "⚠️ *expression of concern*",
               "superseded": "🆕 *superseded by a newer version*"}
BADGE_EMOJI = {"fresh": "🟢", "due soon": "🟡", "stale": "🔴", "outdated": "⚪"}
QUERY_IN_VALUE = 300  # characters of a topic kept in a button value (well under the 2000 limit)

# Action ids: the one place they are declared (the table in the docstring says what each does).
VALID, NEEDS_UPDATE, SNOOZE, DECAY, OPEN = "note_valid", "note_needs_update", "note_snooze", "note_decay", "note_open"
OUTDATED, SHARE, RECLIP = "claim_outdated", "share_claims", "paper_reclip"
CLAIM_MENU, CLAIM_VALID, ECHOES_VALID = "claim_menu", "claim_valid", "claim_echoes_valid"
CLAIM_CHOICES = (CLAIM_VALID, OUTDATED)  # what a claim menu option's ``a`` may name
CLAIM_ACTIONS = (*CLAIM_CHOICES, ECHOES_VALID)  # they act on the clicked note's own claim
RECORDED_ACTIONS = (VALID, NEEDS_UPDATE, SNOOZE, OUTDATED, CLAIM_MENU, ECHOES_VALID)  # and DECAY (a select, or one
# button per rate)
DECAY_ACTION = re.compile(rf"^{DECAY}(?:_({'|'.join(RATES)}))?$")
CLICK_ACTION = re.compile(rf"^(?:{'|'.join(RECORDED_ACTIONS)})$|{DECAY_ACTION.pattern}")

NOTE_BUTTONS = ("valid", "decay", "open")  # thread reply / search results
REVIEW_BUTTONS = ("valid", "needs_update", "snooze", "decay", "open")  # stale lists, reminders, digest

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")
_HTTP = re.compile(r"^https?://", re.IGNORECASE)
WEB_URL_ENV = "DESKBOT_WEB_URL"


# --------------------------------------------------------------------------- text helpers


def esc(text: object) -> str:
    """Escape Slack's three control characters so text renders literally and can never ping or link."""
    return str(text if text is not None else "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters with an ellipsis, never inside an ``&amp;``-style entity."""
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: max(0, limit - 1)])
    return cut + "…"


def plain(text: object, limit: int) -> str:
    """Escape then clip: the one call for any page-, note- or user-derived string."""
    return clip(esc(" ".join(str(text or "").split())), limit)


def link(url: str | None, label: str, limit: int = 300) -> str:
    """``<url|label>`` for http(s) URLs (escaped, ``|`` encoded), else just the escaped label."""
    text = plain(label, limit)
    if not url or not _HTTP.match(url) or len(url) > MAX_URL:
        return text
    safe = esc(url).replace("|", "%7C").replace(" ", "%20")
    return f"<{safe}|{text}>"


@functools.cache
def _dotenv_web_url() -> str:
    from bot.config import environment

    return environment().get(WEB_URL_ENV, "")


def note_page(note_id: str | None) -> str | None:
    """The note's page on ``deskbot web`` when ``DESKBOT_WEB_URL`` is set (an http(s) URL), else None.

    Read here, when a message is built, so the thread reply, /claim answers and the digest all link
    alike without threading one more setting through every caller: the environment, else ``./.env``
    (read once per process, through the one ``.env`` reader)."""
    base = os.environ.get(WEB_URL_ENV) or _dotenv_web_url()
    base = base.strip()
    if not note_id or not _HTTP.match(base):
        return None
    return f"{base.rstrip('/')}/note/{note_id}"


def mention(user_id: str | None) -> str:
    """``<@U…>`` for a Slack user id, else the escaped name (imported notes have plain owner names)."""
    if user_id and re.fullmatch(r"[UW][A-Z0-9]{1,20}", user_id):
        return f"<@{user_id}>"
    return esc(user_id or "someone")


def _unique(items: Iterable[Any], key: Any) -> list[Any]:
    """Drop repeats (block ids must be unique within a message or view)."""
    seen: set[Any] = set()
    out = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _block_id(prefix: str, *parts: object) -> str | None:
    value = ":".join([prefix, *(str(p) for p in parts)])
    return value if len(value) <= MAX_BLOCK_ID else None


# --------------------------------------------------------------------------- action values


def action_value(note_id: str | None, claim: int | None = None, **extra: Any) -> str:
    """Compact JSON ``{"n": note_id, "c": claim, ...}`` for a button value (≤ 2000 characters)."""
    data: dict[str, Any] = {"n": note_id, "c": claim}
    for key, value in extra.items():
        if value is not None:
            data[key] = value[:QUERY_IN_VALUE] if isinstance(value, str) else value
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(text) > MAX_ACTION_VALUE:  # only a pathological id gets here; keep the JSON valid
        text = json.dumps({"n": note_id, "c": claim}, separators=(",", ":"), ensure_ascii=False)
    return text


def parse_value(value: str | None) -> dict[str, Any]:
    """The dict behind an action value; ``{}`` for anything malformed (payloads are untrusted)."""
    try:
        data = json.loads(value or "")
    except (TypeError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    note_id = data.get("n")
    claim = data.get("c")
    out: dict[str, Any] = {
        "n": note_id if isinstance(note_id, str) and note_id else None,
        "c": claim if isinstance(claim, int) and not isinstance(claim, bool) and claim > 0 else None,
    }
    for key in ("q", "k", "r", "a"):
        if isinstance(data.get(key), str):
            out[key] = data[key]
    echoes = data.get("e")
    if isinstance(echoes, list) and echoes and all(_is_claim_ref(ref) for ref in echoes):
        out["e"] = [(ref[0], ref[1]) for ref in echoes]
    update = data.get("u")
    if isinstance(update, int) and not isinstance(update, bool) and update > 0:
        out["u"] = update
    return out


def _is_claim_ref(ref: object) -> bool:
    """``[note_id, claim number]`` as an echo offer's value carries it."""
    return (isinstance(ref, list) and len(ref) == 2 and isinstance(ref[0], str) and bool(ref[0])
            and isinstance(ref[1], int) and not isinstance(ref[1], bool) and ref[1] > 0)


# --------------------------------------------------------------------------- small blocks


def section(text: str, *, block_id: str | None = None, accessory: dict[str, Any] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)}}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str, block_id: str | None = None) -> dict[str, Any]:
    elements = [{"type": "mrkdwn", "text": clip(t, MAX_CONTEXT_TEXT)} for t in texts if t][:10]
    block: dict[str, Any] = {"type": "context", "elements": elements or [{"type": "mrkdwn", "text": " "}]}
    if block_id:
        block["block_id"] = block_id
    return block


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(" ".join(text.split()), MAX_HEADER_TEXT)}}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str | None = None, *, url: str | None = None, style: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value[:MAX_ACTION_VALUE]
    if url and _HTTP.match(url) and len(url) <= MAX_URL:
        element["url"] = url
    if style in ("primary", "danger"):
        element["style"] = style
    return element


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": clip(label, MAX_BUTTON_TEXT)}, "value": value[:MAX_OPTION_VALUE]}


def message(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """A message payload: fallback ``text`` plus at most 50 blocks."""
    return {"text": clip(text, MAX_FALLBACK_TEXT) or " ", "blocks": blocks[:MAX_BLOCKS]}


# --------------------------------------------------------------------------- notes


def _get(obj: Any, name: str) -> Any:
    return getattr(obj, name, None) if not isinstance(obj, Mapping) else obj.get(name)


def freshness_line(freshness: Any, rate: str | None, reason: str | None = None) -> str:
    """``🔴 stale since 2026-10-03 · decay slow — evergreen essay`` (reason escaped: it may quote the page)."""
    parts = []
    if freshness is not None:
        parts.append(f"{BADGE_EMOJI.get(freshness.state, '')} {esc(freshness.badge)}".strip())
    decay = f"decay {esc(rate or 'medium')}"
    if reason:
        decay += f" — {plain(reason, 200)}"
    parts.append(decay)
    return " · ".join(parts)


def note_section(
    note: Any, freshness: Any = None, *, status: str | None = None, extra: str | None = None
) -> dict[str, Any]:
    """The section that stands for a note anywhere (block_id ``note:<id>``).

    ``note`` is a ``Note``, a ``NoteRow`` or a mapping with the same field names; ``freshness`` a
    ``decay.Freshness`` (or None). ``status`` is one of our own lines (e.g. "✅ validated by <@U1> on
    2026-11-30") and ``extra`` any caller line (e.g. the digest's "owner @ann · 3 claims"); both are
    trusted mrkdwn and must be escaped by the caller if they carry page text.
    """
    note_id = _get(note, "id")
    title = _get(note, "title") or "(untitled)"
    url = _get(note, "url")
    lines = [f"*{link(url, title, 250)}*"]
    published = _get(note, "published")
    byline = [plain(x, 80) for x in (_get(note, "site"), _get(note, "author")) if x]
    if isinstance(published, date):
        byline.append(published.isoformat())
    if byline:
        lines.append(" · ".join(byline))
    lines.append(freshness_line(freshness, _get(note, "decay_rate"), _get(note, "decay_reason")))
    paper = [PAPER_FLAGS[f] for f in _get(note, "flags") or () if f in PAPER_FLAGS]
    if paper:  # a retracted paper says so wherever the note is listed: digest, reminders, /note, /stale, Home
        lines.append(" · ".join(paper))
    if extra:
        lines.append(clip(extra, 500))
    if status:
        lines.append(clip(status, 500))
    return section("\n".join(lines), block_id=_block_id("note", note_id))


def note_actions(
    note_id: str,
    *,
    url: str | None = None,
    rate: str | None = None,
    buttons: Sequence[str] = NOTE_BUTTONS,
    kind: str | None = None,
    query: str | None = None,
) -> dict[str, Any]:
    """The actions block of a note (block_id ``actions:<note_id>``); ``buttons`` picks and orders them.

    Known buttons: ``valid``, ``needs_update``, ``snooze``, ``decay``, ``open`` (only with an http URL).
    ``kind``/``query`` ride along in values so an ephemeral answer can be re-rendered after a click.
    """
    value = action_value(note_id, None, k=kind, q=query)
    elements: list[dict[str, Any]] = []
    for name in buttons:
        if name == "valid":
            elements.append(button("✅ Still valid", VALID, value, style="primary"))
        elif name == "needs_update":
            elements.append(button("✏️ Needs update", NEEDS_UPDATE, value))
        elif name == "snooze":
            elements.append(button(f"💤 Snooze {SNOOZE_DAYS} days", SNOOZE, value))
        elif name == "decay":
            options = [_option(r, _option_value(note_id, None, query, r=r, k=kind)) for r in RATES]
            select: dict[str, Any] = {
                "type": "static_select",
                "action_id": DECAY,
                "placeholder": {"type": "plain_text", "text": "Change decay"},
                "options": options,
            }
            if rate in RATES:
                select["initial_option"] = options[RATES.index(rate)]
            elements.append(select)
        elif name == "open" and (target := note_page(note_id) or url) and _HTTP.match(target):
            elements.append(button("🔗 Open note", OPEN, value, url=target))
    block: dict[str, Any] = {"type": "actions", "elements": elements[:25]}
    if (block_id := _block_id("actions", note_id)) is not None:
        block["block_id"] = block_id
    return block


def _option_value(note_id: str, claim: int | None, query: str | None, **extra: str | None) -> str:
    """An option's value (a select's or an overflow menu's): the action value plus ``extra``, with as much
    of ``q`` as fits in Slack's 150 characters."""
    for size in (QUERY_IN_VALUE, 60, 30):
        if not query:
            break
        candidate = action_value(note_id, claim, **extra, q=query[:size])
        if len(candidate) <= MAX_OPTION_VALUE:
            return candidate
    return action_value(note_id, claim, **extra)


def claim_menu(note_id: str, claim: int, *, kind: str | None = None, query: str | None = None) -> dict[str, Any]:
    """The overflow menu (…) accessory of a claim section: *Still valid* / *Outdated* for that claim alone."""
    return {
        "type": "overflow",
        "action_id": CLAIM_MENU,
        "options": [_option("✅ Still valid", _option_value(note_id, claim, query, a=CLAIM_VALID, k=kind)),
                    _option("⚪ Outdated", _option_value(note_id, claim, query, a=OUTDATED, k=kind))],
    }


def status_line(action: str, user_id: str | None, day: date, detail: str | None = None) -> str:
    """What a click did, in words: ``✅ validated by <@U1> on 2026-11-30``."""
    who = mention(user_id)
    lines = {
        "valid": f"✅ validated by {who} on {day.isoformat()}",
        "needs_update": f"✏️ flagged as needing an update by {who} on {day.isoformat()}",
        "snooze": f"💤 snoozed until {detail} by {who}",
        "decay": f"⏱️ decay set to {esc(detail)} by {who} on {day.isoformat()}",
        "outdated": f"⚪ claim {esc(detail)} marked outdated by {who} on {day.isoformat()}",
        "claim_valid": f"✅ claim {esc(detail)} validated by {who} on {day.isoformat()}",
    }
    return lines.get(action, f"{esc(action)} by {who}")


def mark_note(
    blocks: Iterable[dict[str, Any]], note_id: str, new_section: dict[str, Any] | None, status: str
) -> list[dict[str, Any]]:
    """Blocks of a clicked message with note ``note_id`` updated: its section replaced by ``new_section``
    (or the old one with ``status`` appended) and its actions block turned into a ``status`` context line."""
    out: list[dict[str, Any]] = []
    for block in blocks:
        block_id = block.get("block_id")
        if block_id == f"note:{note_id}":
            out.append(new_section if new_section is not None else _append(block, status))
        elif block_id == f"actions:{note_id}":
            out.append(context(status, block_id=block_id))
        else:
            out.append(block)
    return out


def mark_claim(blocks: Iterable[dict[str, Any]], note_id: str, claim: int, status: str) -> list[dict[str, Any]]:
    """Blocks with claim ``claim`` of ``note_id`` showing ``status`` and without its menu (or old button)."""
    out: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("block_id") == f"claim:{note_id}:{claim}":
            block = _append(block, status)
            block.pop("accessory", None)
        out.append(block)
    return out


def echo_offer(note_id: str, claim: int, echoes: Sequence[Any], limit: int = 5) -> dict[str, Any]:
    """After *Still valid* on a claim: where else the same claim is (``bot.kb.echoes.Echo``), and a
    *Validate its N echoes too* button for exactly those (never validated without that click)."""
    count = len(echoes)
    lines = [f"🔁 Claim {claim} is also in {count} other note{'s' if count != 1 else ''}:",
             *(_echo_line(e) for e in echoes[:limit])]
    if count > limit:
        lines.append(f"+{count - limit} more")
    value = action_value(note_id, claim, e=[[e.note_id, e.position] for e in echoes])
    label = f"Validate its {count} echo{'es' if count != 1 else ''} too"
    return message(f"Claim {claim} is also in {count} other note{'s' if count != 1 else ''}", [
        section(clip("\n".join(lines), 2900), block_id=_block_id("echo-offer", note_id, claim)),
        {"type": "actions", "block_id": _block_id("echo-offer-actions", note_id, claim) or "echo-offer-actions",
         "elements": [button(label, ECHOES_VALID, value, style="primary")]},
    ])


def echoes_validated(claim: int, echoes: Sequence[Any], user_id: str | None, day: date, gone: int = 0) -> str:
    """What *Validate its N echoes too* did: the echoes validated, and any that no longer echo the claim."""
    count = len(echoes)
    lines = [f"✅ {count} echo{'es' if count != 1 else ''} of claim {claim} validated by {mention(user_id)}"
             f" on {day.isoformat()}" + (":" if echoes else "")]
    lines += [_echo_line(e) for e in echoes[:5]]
    if gone:
        lines.append(f"⚠️ {gone} of the echoes shown no longer echo{'es' if gone == 1 else ''} claim {claim}"
                     " (the note changed since): not validated")
    return clip("\n".join(lines), 2900)


def _echo_line(echo: Any) -> str:
    return f"• {link(echo.place(), echo.note_title, 150)} claim {echo.position}: {plain(echo.text, 200)}"


def _append(block: dict[str, Any], status: str) -> dict[str, Any]:
    block = json.loads(json.dumps(block))  # a copy: the caller's payload stays as Slack sent it
    text = block.get("text") or {"type": "mrkdwn", "text": ""}
    old = text.get("text", "")
    room = MAX_SECTION_TEXT - len(status) - 1
    text["text"] = (clip(old, room) + "\n" + status).strip()
    block["text"] = text
    return block


# --------------------------------------------------------------------------- capture replies


def capture_reply(
    note: Any,
    freshness: Any,
    *,
    place_url: Any,
    notices: Sequence[str] = (),
    max_claims: int = 5,
    echoes: Mapping[int, Sequence[Any]] | None = None,
    offers: Sequence[tuple[int, str]] = (),
) -> dict[str, Any]:
    """The thread reply for a fresh clip: title, byline, summary, top claims with their source links,
    tags, decay with its reason, and the note's buttons. ``place_url(note, claim)`` links each claim.
    ``echoes`` (claim number → ``bot.kb.echoes.Echo``) adds "N claims echo what we already had"; ``offers``
    (finding id, label such as ``v3``) a *Re-clip* button per newer version the capture already knew of."""
    blocks = [note_section(note, freshness)]
    for notice in notices[:3]:
        mark = "" if notice.startswith(OWN_MARKS) else "⚠️ "  # it carries its own mark (📄 text used, 🚫 retracted…)
        blocks.append(context(f"{mark}{plain(notice, 300)}"))
    for update_id, label in offers[:2]:
        blocks.append(reclip_actions(note.id, update_id, label))
    if note.summary:
        blocks.append(section(plain(note.summary, 1200), block_id=_block_id("summary", note.id)))
    claims = list(note.claims)[:max_claims]
    if claims:
        blocks.append(context(f"*Key claims* ({len(note.claims)})"))
    for number, claim in enumerate(claims, start=1):
        where = place_url(note, claim)
        label = f"*{plain(claim.label, 100)}* — " if claim.label else ""
        source = f"  {link(where, 'source')}" if where else ""
        blocks.append(
            section(
                f"{number}. {label}{plain(claim.text, 1500)}{source}",
                block_id=_block_id("claim", note.id, number),
                accessory=claim_menu(note.id, number),
            )
        )
    if echoes:
        blocks.append(echo_section(note.id, echoes))
    if note.tags:
        blocks.append(context(" ".join(f"#{plain(t, 40)}" for t in note.tags[:12])))
    blocks.append(note_actions(note.id, url=note.url, rate=note.decay_rate, buttons=NOTE_BUTTONS))
    return message(f"Clipped: {plain(note.title, 200)}", blocks)


def reclip_actions(note_id: str, update_id: int, label: str) -> dict[str, Any]:
    """A *Re-clip v3* button in an actions block ``reclip:<finding id>`` (replaced by a status line once
    clicked, :func:`mark_reclip`)."""
    value = action_value(note_id, None, u=update_id)
    return {"type": "actions", "block_id": f"reclip:{update_id}",
            "elements": [button(f"Re-clip {label}", RECLIP, value, style="primary")]}


def reclip_offer(text: str, note_id: str, update_id: int, label: str, *, block_id: str) -> list[dict[str, Any]]:
    """A newer version offered (thread announcement, owner's DM): the line and its *Re-clip* button."""
    return [section(text, block_id=block_id), reclip_actions(note_id, update_id, label)]


def mark_reclip(blocks: Iterable[dict[str, Any]], update_id: int, status: str) -> list[dict[str, Any]]:
    """The offer's button turned into a context line saying what the click did."""
    return [context(status, block_id=f"reclip:{update_id}") if b.get("block_id") == f"reclip:{update_id}" else b
            for b in blocks]


def echo_section(note_id: str, echoes: Mapping[int, Sequence[Any]], limit: int = 8) -> dict[str, Any]:
    """"N claims echo what we already had:" — each with the earlier note's place and who posted it."""
    count = len(echoes)
    lines = [f"🔁 *{count} claim{'s' if count != 1 else ''} echo{'es' if count == 1 else ''} what we already had:*"]
    for number in sorted(echoes)[:limit]:
        where = []
        for e in echoes[number][:3]:
            where.append(f"{link(e.place(), e.note_title, 150)} (claim {e.position}, posted by {mention(e.owner)})")
        lines.append(f"• claim {number} → " + "; ".join(where))
    if count > limit:
        lines.append(f"+{count - limit} more")
    return section(clip("\n".join(lines), 2900), block_id=_block_id("echoes", note_id))


def duplicate_reply(
    title: str, url: str | None, *, first_day: date | None, first_user: str | None, permalink: str | None,
    notices: Sequence[str] = (),
) -> dict[str, Any]:
    """``already clipped on DATE by @user: TITLE`` with a link to the first thread when known, and what
    was (not) done with this posting (an upload matching a stored note)."""
    when = f" on {first_day.isoformat()}" if first_day else ""
    who = f" by {mention(first_user)}" if first_user else ""
    text = f"📎 Already clipped{when}{who}: {link(url, title, 250)}"
    if permalink:
        text += f" · {link(permalink, 'first thread')}"
    return message(f"Already clipped{when}: {plain(title, 200)}",
                   [section(text), *(context(f"⚠️ {plain(n, 300)}") for n in notices[:3])])


def failure_reply(url: str | None, error: str | None, *, will_retry: bool = False) -> dict[str, Any]:
    """A capture failure, in words; the job stays recorded for ``deskbot retry``."""
    what = link(url, url or "this link", 300) if url else "this file"
    text = f"⚠️ Could not clip {what}: {plain(error or 'unknown error', 600)}"
    text += " I will try again." if will_retry else " (`deskbot retry` re-queues it.)"
    return message(f"Could not clip: {plain(error or 'unknown error', 200)}", [section(text)])


# --------------------------------------------------------------------------- slash-command answers


def usage(command: str) -> dict[str, Any]:
    """How to use a command (an empty or word-less input gets this, never an error)."""
    texts = {
        "/claim": "Usage: `/claim TOPIC` — the top claims on a topic, e.g. `/claim rlvr` or `/claim RL scaling`.",
        "/note": "Usage: `/note WORDS` — notes whose title, summary or tags match, e.g. `/note continual learning`.",
        "/stale": "Usage: `/stale` — notes due for re-validation; `/stale mine` — only the ones you own.",
    }
    text = texts.get(command, "Usage: `/claim TOPIC`, `/note WORDS`, `/stale [mine]`.")
    return message(text, [section(text)])


def oops(what: str) -> dict[str, Any]:
    """A user-facing failure: what happened in words, never a stack trace."""
    text = f"⚠️ Sorry, {esc(what)} failed on our side. Please try again in a moment."
    return message(text, [section(text)])


def claim_answer(
    topic: str,
    answers: Sequence[Any],
    *,
    shared_by: str | None = None,
    interactive: bool = True,
    statuses: Mapping[tuple[str, int], str] | None = None,
    expanded: str | None = None,
) -> dict[str, Any]:
    """The ``/claim`` answer: claims with source, place link and freshness badge; *Share in channel*.

    ``answers`` are ``answers.ClaimAnswer``; ``shared_by`` marks the public copy (no buttons then).
    """
    shown = plain(topic, 100)
    answers = _unique(answers, lambda a: (a.hit.note_id, a.hit.position))
    if not answers:
        text = f"No claims found for *{shown}*. Try fewer or other words, or `/note {shown}`."
        return message(text, [section(text)])
    head = f"*Claims on “{shown}”* ({len(answers)})"
    if expanded:
        head += f" · also searched _{plain(expanded, 100)}_"
    if shared_by:
        head += f" · shared by {mention(shared_by)}"
    blocks = [section(head)]
    for number, a in enumerate(answers[:20], start=1):
        hit = a.hit
        label = f" _[{plain(hit.label, 80)}]_" if hit.label else ""
        source = link(a.link or hit.note_url, hit.note_title, 150)
        badge = f"{BADGE_EMOJI.get(a.freshness.state, '')} {esc(a.freshness.badge)}".strip()
        text = f"*{number}.* {plain(hit.text, 1500)}{label}\n— {source} ({esc(hit.note_kind)}) · {badge}"
        if page := note_page(hit.note_id):
            text += f" · {link(page, 'note')}"
        if hit.flag:
            text += f" · {PAPER_FLAGS.get(hit.flag, esc(hit.flag))}"
        also = getattr(a, "also_in", ())
        if also:
            where = ", ".join(link(e.link, e.title, 120) for e in also[:5])
            text += f"\nalso in: {where} ({len(also) + 1} sources)"
        status = (statuses or {}).get((hit.note_id, hit.position))
        if status:
            text += "\n" + status
        accessory = None
        if interactive and not hit.outdated and not status:
            accessory = claim_menu(hit.note_id, hit.position, kind="claim", query=topic)
        blocks.append(section(text, block_id=_block_id("claim", hit.note_id, hit.position), accessory=accessory))
    if interactive:
        blocks.append(
            {
                "type": "actions",
                "block_id": "share",
                "elements": [button("📣 Share in channel", SHARE, action_value(None, None, q=topic))],
            }
        )
    return message(f"Claims on {plain(topic, 100)}: {len(answers)}", blocks)


def notes_answer(
    heading: str,
    answers: Sequence[Any],
    *,
    empty: str,
    buttons: Sequence[str] = NOTE_BUTTONS,
    kind: str | None = None,
    query: str | None = None,
    more: int = 0,
    statuses: Mapping[str, str] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """A list of notes (``/note``, ``/stale``): one section + actions block per note, ≤ 50 blocks.

    ``answers`` are ``answers.NoteAnswer`` (a ``row``, its ``freshness`` and any claims due before it);
    ``today`` lets a due claim say how long ago it fell due.
    """
    if not answers:
        return message(empty, [section(empty)])
    blocks = [section(heading)]
    for a in _unique(answers, lambda a: a.row.id)[:15]:
        row = a.row
        status = (statuses or {}).get(row.id)
        extra = "\n".join(x for x in (due_claims_line(a, today), _row_extra(row)) if x)
        blocks.append(note_section(row, a.freshness, status=status, extra=extra))
        if status:
            blocks.append(context(status, block_id=_block_id("actions", row.id)))
        else:
            blocks.append(note_actions(row.id, url=row.url, rate=row.decay_rate, buttons=buttons, kind=kind,
                                       query=query))
    if more > 0:
        blocks.append(context(f"+{more} more (`deskbot stale --all` lists every one)"))
    return message(heading.replace("*", ""), blocks)


def due_claims_line(answer: Any, today: date | None = None) -> str:
    """``⏰ claim 2 states a price: due 2026-01-31 (2 days ago), before its note (2026-06-30)`` for a note
    listed because of its claims (empty otherwise); the claim's why is derived from its text, so escaped."""
    from bot.kb.answers import claim_due_phrase

    claims = _get(answer, "due_claims") or ()
    return clip("⏰ " + "; ".join(esc(claim_due_phrase(c, today)) for c in claims), 400) if claims else ""


def _row_extra(row: Any) -> str:
    parts = []
    owner = _get(row, "owner")
    if owner:
        parts.append(f"owner {mention(owner)}")
    count = _get(row, "claim_count")
    if count is not None:
        parts.append(f"{count} claim{'s' if count != 1 else ''}")
    summary = _get(row, "summary")
    if summary:
        parts.append(plain(summary, 200))
    return " · ".join(parts)


# --------------------------------------------------------------------------- App Home


def home_view(
    counts: Mapping[str, int],
    my_stale: Sequence[Any],
    recent: Sequence[Any],
    *,
    statuses: Mapping[str, str] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """App Home: counts, the viewer's due notes (with buttons) and recent clips. ≤ 50 blocks.

    ``my_stale`` are ``NoteAnswer`` (stale notes, and fresh ones with a claim due: the line names it);
    ``recent`` are ``NoteAnswer`` too (for their freshness badge). ``counts["claims_due"]``: notes still fresh
    with a claim due.
    """
    early = counts.get("claims_due", 0)
    blocks: list[dict[str, Any]] = [
        header("deskbot"),
        section(
            f"*{counts.get('notes', 0):,}* notes · *{counts.get('claims', 0):,}* claims · "
            f"*{counts.get('stale', 0):,}* stale" + (f" · *{early:,}* with a claim due" if early else "")
        ),
        divider(),
        section(f"*Your stale notes* ({len(my_stale)})" if my_stale else "*Your stale notes*: none — all fresh 🎉"),
    ]
    for a in _unique(my_stale, lambda a: a.row.id)[:8]:
        status = (statuses or {}).get(a.row.id)
        blocks.append(note_section(a.row, a.freshness, status=status, extra=due_claims_line(a, today) or None))
        if status:
            blocks.append(context(status, block_id=_block_id("actions", a.row.id)))
        else:
            blocks.append(note_actions(a.row.id, url=a.row.url, rate=a.row.decay_rate, buttons=REVIEW_BUTTONS,
                                       kind="home"))
    blocks += [divider(), section("*Recent clips*" if recent else "*Recent clips*: nothing clipped yet")]
    lines = []
    for a in _unique(recent, lambda a: a.row.id)[:15]:
        badge = BADGE_EMOJI.get(a.freshness.state, "")
        lines.append(f"{badge} {link(a.row.url, a.row.title, 120)}")
    if lines:
        blocks.append(section("\n".join(lines)))
    blocks.append(context("Post a link in a research channel to clip it · `/claim TOPIC` · `/note WORDS` · `/stale`"))
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}
