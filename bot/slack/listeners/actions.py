"""Button clicks (``block_actions``): record what the user said, then update the message in place.

The contract (action ids, values, block ids) is documented in ``bot.slack.blocks``. Each click is handled
in two steps, both Bolt listeners:

1. before the ack: parse the value and write to the store (``store.validate`` / ``set_decay`` /
   ``snooze``) — milliseconds, durable before Slack hears "ok"; repeats are no-ops (same user, note
   and day for validations; same rate / date for decay and snooze);
2. lazily, after the ack: update where the click came from — ``chat.update`` of the message (thread
   reply, shared answer, reminder DM, weekly digest) with the note's section re-rendered plus a status
   line and its buttons turned into a context line; for an ephemeral answer (``/claim``, ``/note``,
   ``/stale``) the answer is rebuilt and replaces the original through ``response_url``; for App Home
   the view is re-published.

A claim's overflow menu (*Still valid* / *Outdated*) acts on that claim alone, through the same
``bot.kb.reviews`` functions as ``deskbot validate NOTE --claim N``. After *Still valid* on a claim with
echoes, the one who clicked gets an ephemeral offer (the echoes, and *Validate its N echoes too*): echoes
are validated only by that second click, and only those shown that still echo the claim.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.slack import blocks, queue, reclips
from bot.slack.post_once import webhook

if TYPE_CHECKING:
    from slack_bolt import Ack, App, Respond
    from slack_sdk import WebClient

    from bot.slack.deps import Deps

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Click:
    """One parsed action: who clicked what, on which note / claim, with which extras."""

    action_id: str
    user: str | None
    note_id: str | None
    claim: int | None
    kind: str | None  # claim | note | stale | home: which answer to rebuild after the click
    query: str | None
    rate: str | None
    update: int | None = None  # a paper finding (the Re-clip button)
    echoes: tuple[tuple[str, int], ...] = ()  # the echoes an offer showed (note id, claim number)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Click:
        action = (body.get("actions") or [{}])[0]
        raw = action.get("value")
        if raw is None:  # a select or an overflow menu: the chosen option carries the value
            raw = (action.get("selected_option") or {}).get("value")
        value = blocks.parse_value(raw)
        action_id = str(action.get("action_id") or "")
        rate = value.get("r")
        if found := blocks.DECAY_ACTION.match(action_id):
            rate = found.group(1) or rate
            action_id = blocks.DECAY
        if action_id == blocks.CLAIM_MENU:  # the option says which claim action it is
            action_id = value["a"] if value.get("a") in blocks.CLAIM_CHOICES else ""
        return cls(action_id=action_id, user=(body.get("user") or {}).get("id"), note_id=value.get("n"),
                   claim=value.get("c"), kind=value.get("k"), query=value.get("q"),
                   rate=rate if rate in blocks.RATES else None, update=value.get("u"),
                   echoes=tuple(value.get("e") or ()))


def record(deps: Deps, click: Click) -> bool:
    """Write what the click means, at most once (see the module doc); False when there was nothing to
    write (an unknown note or claim, a malformed value, a repeat)."""
    from bot.kb.decay import DecayError

    store, now = deps.store, deps.clock()
    today, who, note = now.date(), click.user, click.note_id
    if note is None:
        return False
    if click.action_id not in blocks.CLAIM_ACTIONS:  # a note's dates live on the note shown for its work (a
        note = store.shown_ids([note])[0]            # summary covering the clip); a claim stays its note's own
    try:
        if click.action_id == blocks.VALID and queue.first_time(store, f"act:valid:{note}:{who}:{today}"):
            store.validate(note, by=who, at=now)
        elif click.action_id == blocks.NEEDS_UPDATE and queue.first_time(
                store, f"act:needs-update:{note}:{who}:{today}"):
            store.validate(note, by=who, at=now, verdict="needs-update")
        elif click.action_id == blocks.SNOOZE:
            until = today + timedelta(days=blocks.SNOOZE_DAYS)
            if not queue.first_time(store, f"act:snooze:{note}:{until}"):
                return False
            store.snooze(note, until, by=who, at=now)
        elif click.action_id == blocks.DECAY and click.rate:
            row = store.note_row(note)
            if row is None or row.decay_rate == click.rate:
                return False
            store.set_decay(note, click.rate, by=who, at=now)
        elif click.action_id == blocks.OUTDATED and click.claim and queue.first_time(
                store, f"act:outdated:{note}:{click.claim}"):
            from bot.kb.reviews import outdate_claim

            outdate_claim(store, note, click.claim, by=who, at=now)
        elif click.action_id == blocks.CLAIM_VALID and click.claim and queue.first_time(
                store, f"act:claim-valid:{note}:{click.claim}:{who}:{today}"):
            from bot.kb.reviews import validate_claim

            validate_claim(store, note, click.claim, by=who, at=now)  # its echoes: offered after the ack
        elif click.action_id == blocks.ECHOES_VALID and click.claim and click.echoes and queue.first_time(
                store, f"act:echoes-valid:{note}:{click.claim}:{who}:{today}:{sorted(click.echoes)}"):
            from bot.kb.reviews import offered_echoes, validate_echoes

            validate_echoes(store, offered_echoes(store, note, click.claim, click.echoes), by=who, at=now)
        else:
            return False
    except (KeyError, IndexError, DecayError) as exc:  # the note or claim is gone: describe() says so
        log.info("click %s on %s not recorded (%s)", click.action_id, note, type(exc).__name__)
        return False
    return True


def _fresh_section(deps: Deps, note_id: str, status: str) -> dict[str, Any] | None:
    from bot.kb import decay

    note = deps.store.get_note(note_id)
    row = deps.store.note_row(note_id)
    if note is None or row is None:
        return None
    note.decay_rate = row.decay_rate
    return blocks.note_section(note, decay.freshness(row.due, deps.today()), status=status)


def _rebuild(deps: Deps, click: Click, status: str) -> dict[str, Any] | None:
    """An ephemeral answer rebuilt with the click's status shown (None: we cannot tell which answer)."""
    from bot.slack.replies import claim_reply, note_reply, stale_reply

    today, note_id = deps.today(), click.note_id
    if note_id is None:
        return None
    if click.kind == "claim" and click.query and click.claim:
        payload = claim_reply(deps.store, click.query, today, statuses={(note_id, click.claim): status})
    elif click.kind == "note" and click.query:
        payload = note_reply(deps.store, click.query, today, statuses={note_id: status})
    elif click.kind == "stale":
        payload = stale_reply(deps.store, click.query or "", today, click.user, aliases=deps.users.of,
                              statuses={note_id: status})
    else:
        return None
    shown = any(str(b.get("block_id", "")).startswith((f"note:{note_id}", f"claim:{note_id}:"))
                for b in payload["blocks"])
    if not shown:  # e.g. a validated note leaves the stale list: say what happened to it on top
        row = deps.store.note_row(note_id)
        title = blocks.link(row.url, row.title, 150) if row else "the note"
        payload["blocks"] = [payload["blocks"][0], blocks.context(f"{status}: {title}"),
                             *payload["blocks"][1:]][: blocks.MAX_BLOCKS]
    return payload


def update_surface(deps: Deps, body: dict[str, Any], click: Click, status: str, client: WebClient,
                   respond: Respond) -> None:
    """Show ``status`` where the click happened (message, ephemeral answer or App Home)."""
    container = body.get("container") or {}
    note_id = click.note_id or ""
    if container.get("type") == "view" or click.kind == "home":
        from bot.slack.replies import publish_home

        publish_home(deps, client, str(click.user), statuses={note_id: status})
        return
    if click.action_id == blocks.ECHOES_VALID:  # the offer (ephemeral) becomes what its button did
        respond(replace_original=True, response_type="ephemeral", text=status, blocks=[blocks.section(status)])
        return
    original = body.get("message")
    if original and not container.get("is_ephemeral"):
        old = original.get("blocks") or []
        if click.action_id in blocks.CLAIM_CHOICES and click.claim:
            new = blocks.mark_claim(old, note_id, click.claim, status)
        else:
            new = blocks.mark_note(old, note_id, _fresh_section(deps, note_id, status), status)
        client.chat_update(channel=container.get("channel_id") or (body.get("channel") or {}).get("id"),
                           ts=container.get("message_ts") or original.get("ts"),
                           text=original.get("text") or "deskbot", blocks=new)
        return
    rebuilt = _rebuild(deps, click, status)
    if rebuilt is not None:
        respond(replace_original=True, response_type="ephemeral", **rebuilt)
    else:
        respond(replace_original=False, response_type="ephemeral", text=status)


def register(app: App, deps: Deps) -> None:
    def acknowledge_click(ack: Ack, body: dict[str, Any]) -> None:
        """Before the ack: the durable part (store write)."""
        try:
            record(deps, Click.parse(body))
        except Exception:  # noqa: BLE001 - the lazy step tells the user; Slack still gets its ack
            log.exception("recording a click failed")
        ack()

    def show_click(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """After the ack: the visible part (the store write already happened)."""
        click = Click.parse(body)
        try:
            status = describe(deps, click)
            offer = echo_offer(deps, click) if click.action_id == blocks.CLAIM_VALID else None
            if status:
                update_surface(deps, body, click, status, client, respond)
            if offer:  # to the one who clicked, below the message: the claim's echoes, validated only on request
                respond(replace_original=False, response_type="ephemeral", **offer)
        except Exception:  # noqa: BLE001 - never a stack trace to a user
            log.exception("updating the message after %s failed", click.action_id)
            respond(replace_original=False, response_type="ephemeral",
                    text="⚠️ Your click was recorded, but the message could not be updated.")

    app.action(blocks.CLICK_ACTION)(ack=acknowledge_click, lazy=[show_click])

    @app.action(blocks.OPEN)
    def acknowledge_open(ack: Ack) -> None:
        ack()  # a URL button: Slack opens the link; nothing to record

    def acknowledge_share(ack: Ack) -> None:
        ack()

    def share_claims(body: dict[str, Any], respond: Respond) -> None:
        from bot.slack.replies import claim_reply

        click = Click.parse(body)
        if not click.query or not any(ch.isalnum() for ch in click.query):
            respond(replace_original=False, response_type="ephemeral", text="Nothing to share: no topic.")
            return
        try:  # posted for everyone: never re-sent on a broken connection (bot.slack.post_once.webhook)
            payload = claim_reply(deps.store, click.query, deps.today(), shared_by=click.user)
            answer = webhook(str(respond.response_url)).send_dict(
                {"response_type": "in_channel", "replace_original": False, **payload})
        except OSError as exc:
            log.warning("the shared /claim answer may not have been posted (%s); not re-sending", type(exc).__name__)
        except Exception:  # noqa: BLE001 - never a stack trace to a user
            log.exception("sharing /claim %r failed", click.query[:50])
            respond(replace_original=False, response_type="ephemeral", **blocks.oops("sharing"))
        else:
            if answer.status_code != 200:
                log.warning("Slack refused the shared /claim answer (HTTP %s)", answer.status_code)

    app.action(blocks.SHARE)(ack=acknowledge_share, lazy=[share_claims])

    def acknowledge_reclip(ack: Ack, body: dict[str, Any]) -> None:
        """Before the ack: queue the re-clip (one job per note and version; the work is the job's)."""
        try:
            asked = ask_reclip(deps, body)
            if asked.status == reclips.QUEUED:
                deps.worker.wake()
        except Exception:  # noqa: BLE001 - the lazy step tells the user; Slack still gets its ack
            log.exception("queueing a re-clip failed")
        ack()

    def show_reclip(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """After the ack: the offer's button becomes a line saying what happens (read again: never writes)."""
        click = Click.parse(body)
        try:
            update_surface_reclip(deps, body, click, client, respond)
        except Exception:  # noqa: BLE001 - never a stack trace to a user
            log.exception("updating the message after a re-clip click failed")
            respond(replace_original=False, response_type="ephemeral",
                    text="⚠️ Your click was recorded, but the message could not be updated.")

    app.action(blocks.RECLIP)(ack=acknowledge_reclip, lazy=[show_reclip])


def ask_reclip(deps: Deps, body: dict[str, Any]) -> reclips.Asked:
    click = Click.parse(body)
    container = body.get("container") or {}
    return reclips.ask(deps.store, click.note_id, click.update, by=click.user,
                       channel=container.get("channel_id") or (body.get("channel") or {}).get("id"),
                       message_ts=container.get("message_ts"))


def reclip_status(deps: Deps, click: Click) -> str:
    """The line that replaces the *Re-clip* button, from what the store holds now."""
    from bot.capture.papers.reclip import offer

    found = offer(deps.store, click.update) if click.update else None
    if found is None or found.note_id != click.note_id:
        return "⚠️ this version can no longer be re-clipped (the note or the finding is gone)"
    if found.reclip_note_id:
        row = deps.store.note_row(found.reclip_note_id)
        title = blocks.link(row.url, row.title, 150) if row else found.reclip_note_id
        return f"♻️ {blocks.esc(found.label)} re-clipped: {title}"
    who = blocks.mention(click.user) if click.user else "someone"
    return (f"♻️ Re-clipping {blocks.esc(found.label)} (asked by {who} on {deps.today().isoformat()}): "
            "the new note is posted in the paper's thread")


def update_surface_reclip(deps: Deps, body: dict[str, Any], click: Click, client: WebClient,
                          respond: Respond) -> None:
    status = reclip_status(deps, click)
    original = body.get("message")
    container = body.get("container") or {}
    if original and not container.get("is_ephemeral") and click.update:
        client.chat_update(channel=container.get("channel_id") or (body.get("channel") or {}).get("id"),
                           ts=container.get("message_ts") or original.get("ts"),
                           text=original.get("text") or "deskbot",
                           blocks=blocks.mark_reclip(original.get("blocks") or [], click.update, status))
        return
    respond(replace_original=False, response_type="ephemeral", text=status)


def describe(deps: Deps, click: Click) -> str | None:
    """The status line of an already-recorded click, without writing anything (the lazy step)."""
    row = deps.store.note_row(click.note_id) if click.note_id else None
    if row is None:
        return "⚠️ this note is no longer in the knowledge base" if click.note_id else None
    if click.claim and click.claim > row.claim_count:
        return "⚠️ that claim is no longer part of the note"
    today, who = deps.today(), click.user
    if click.action_id == blocks.VALID:
        return blocks.status_line("valid", who, today)
    if click.action_id == blocks.NEEDS_UPDATE:
        return blocks.status_line("needs_update", who, today)
    if click.action_id == blocks.SNOOZE:
        return blocks.status_line("snooze", who, today, (today + timedelta(days=blocks.SNOOZE_DAYS)).isoformat())
    if click.action_id == blocks.DECAY and click.rate:
        return blocks.status_line("decay", who, today, click.rate)
    if click.action_id == blocks.CLAIM_VALID and click.claim:
        return blocks.status_line("claim_valid", who, today, str(click.claim))
    if click.action_id == blocks.ECHOES_VALID and click.claim and click.echoes:
        from bot.kb.reviews import offered_echoes

        found = offered_echoes(deps.store, str(click.note_id), click.claim, click.echoes)
        return blocks.echoes_validated(click.claim, found, who, today, gone=len(set(click.echoes)) - len(found))
    if click.action_id == blocks.OUTDATED and click.claim:
        from bot.kb.reviews import echoes_of_claim

        line = blocks.status_line("outdated", who, today, str(click.claim))
        flagged = len(echoes_of_claim(deps.store, click.note_id, click.claim))
        if flagged:
            line += f" · {flagged} echo{'es' if flagged != 1 else ''} in other notes flagged for review"
        return line
    return None


def echo_offer(deps: Deps, click: Click) -> dict[str, Any] | None:
    """After *Still valid* on a claim that has echoes: the ephemeral offer to validate them too (None when
    the claim has none, or is gone: the status line already said so)."""
    from bot.kb.reviews import echoes_of_claim

    row = deps.store.note_row(click.note_id) if click.note_id else None
    if row is None or not click.claim or click.claim > row.claim_count:
        return None
    found = echoes_of_claim(deps.store, row.id, click.claim)
    return blocks.echo_offer(row.id, click.claim, found) if found else None
