"""Settings: every environment variable, read once and validated (never at import).

``.env`` in the working directory is read too (real environment variables win). Secrets are
kept on the object but never appear in ``repr`` or logs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.kb.decay import DecayError, parse_table


class ConfigError(ValueError):
    """A setting that cannot work; the message names the variable and what it should look like."""


def _positive_int(value: str | None, name: str, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    if not value.strip().isdigit() or int(value) <= 0:
        raise ConfigError(f"{name}: expected a positive whole number, got {value!r}")
    return int(value)


def environment(*, dotenv: bool = True) -> dict[str, str]:
    """The one ``.env`` reader: ``os.environ`` over ``./.env`` (the real environment wins)."""
    merged: dict[str, str] = {}
    if dotenv and Path(".env").is_file():
        from dotenv import dotenv_values

        merged.update({k: v for k, v in dotenv_values(".env").items() if v is not None})
    merged.update(os.environ)
    return merged


@dataclass(frozen=True)
class Settings:
    db_path: str = "./deskbot.db"
    bot_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = "https://slack.com/api/"
    port: int = 3000
    channels: tuple[str, ...] = ()
    digest_channel: str | None = None
    digest: str = "mon 09:00"
    tz: str = "UTC"
    decay_table: Mapping[str, int] = field(default_factory=lambda: parse_table(None))
    vault: str | None = None
    fetch_allow: str | None = None
    summarizer: str = "auto"
    reminder_fallback: str | None = None
    busy_timeout_ms: int = 10_000
    reminder_time: str = "08:00"
    digest_empty: str = "post"
    crossref_url: str = "https://api.crossref.org/"
    ncbi_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
    arxiv_url: str = "https://export.arxiv.org/"
    biorxiv_url: str = "https://api.biorxiv.org/"
    unpaywall_url: str = "https://api.unpaywall.org/"
    contact_email: str | None = None
    ncbi_api_key: str | None = field(default=None, repr=False)
    youtube_proxy: str | None = field(default=None, repr=False)  # may carry proxy credentials
    youtube_proxy_rotating: bool = False
    youtube_url: str = "https://www.youtube.com/"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        """Build from ``env`` (default: ``os.environ`` plus ``./.env``)."""
        get = (environment(dotenv=dotenv) if env is None else env).get
        try:
            decay_table = parse_table(get("DESKBOT_DECAY"))
        except DecayError as exc:
            raise ConfigError(str(exc)) from None
        port_text = get("PORT", "3000") or "3000"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"PORT: expected a port number 1-65535, got {port_text!r}")
        channels = tuple(c.strip().lstrip("#") for c in (get("DESKBOT_CHANNELS") or "").split(",") if c.strip())
        summarizer = (get("DESKBOT_SUMMARIZER") or "auto").strip().lower()
        if summarizer not in {"auto", "extractive", "anthropic", "openai", "llm"}:
            raise ConfigError(
                f"DESKBOT_SUMMARIZER: expected auto, extractive, anthropic, openai or llm, got {summarizer!r}"
            )
        api_url = get("SLACK_API_URL") or "https://slack.com/api/"
        schedule = _schedule_settings(get)
        return cls(
            db_path=get("DESKBOT_DB") or "./deskbot.db",
            bot_token=get("SLACK_BOT_TOKEN") or None,
            signing_secret=get("SLACK_SIGNING_SECRET") or None,
            app_token=get("SLACK_APP_TOKEN") or None,
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            port=int(port_text),
            channels=channels,
            digest_channel=(get("DESKBOT_DIGEST_CHANNEL") or (channels[0] if channels else None)),
            decay_table=decay_table,
            vault=get("DESKBOT_VAULT") or None,
            fetch_allow=get("DESKBOT_FETCH_ALLOW") or None,
            summarizer=summarizer,
            reminder_fallback=get("DESKBOT_REMINDER_FALLBACK") or None,
            busy_timeout_ms=_positive_int(get("DESKBOT_BUSY_TIMEOUT_MS"), "DESKBOT_BUSY_TIMEOUT_MS", 10_000),
            **schedule,
            **_paper_settings(get),
        )


def _schedule_settings(get: Callable[[str], str | None]) -> dict[str, str]:
    """The clock's settings, checked now so a typo fails at start, not at 09:00 on Monday."""
    digest = (get("DESKBOT_DIGEST") or "mon 09:00").strip()
    parse_digest_spec(digest)
    reminder_time = (get("DESKBOT_REMINDER_TIME") or "08:00").strip()
    parse_time_of_day(reminder_time, "DESKBOT_REMINDER_TIME")
    tz = (get("DESKBOT_TZ") or "UTC").strip()
    parse_tz(tz)
    empty = (get("DESKBOT_DIGEST_EMPTY") or "post").strip().lower()
    if empty not in {"post", "skip"}:
        raise ConfigError(f"DESKBOT_DIGEST_EMPTY: expected post or skip, got {empty!r}")
    return {"digest": digest, "reminder_time": reminder_time, "tz": tz, "digest_empty": empty}


# --------------------------------------------------------------------------- schedule parsers

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_SPEC = re.compile(r"([a-z]+)\s+(\S+)")


@dataclass(frozen=True)
class WeeklyAt:
    """A weekly schedule: ``weekday`` 0 = Monday, at ``at`` local time."""

    weekday: int
    at: time

    @property
    def day(self) -> str:
        return _DAYS[self.weekday]


def parse_time_of_day(text: str, variable: str) -> time:
    """``HH:MM`` on a 24-hour clock; anything else is a ConfigError naming ``variable``."""
    match = _TIME.fullmatch((text or "").strip())
    if not match:
        raise ConfigError(f"{variable}: expected a 24-hour time like 08:00, got {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def parse_digest_spec(text: str) -> WeeklyAt:
    """``mon 09:00`` (a weekday, then a 24-hour time). Strict: ``monday 9am`` is refused with an example."""
    match = _SPEC.fullmatch((text or "").strip().lower())
    day = match.group(1) if match else ""
    weekday = _DAYS.index(day) if day in _DAYS else _FULL_DAYS.index(day) if day in _FULL_DAYS else -1
    if not match or weekday < 0 or not _TIME.fullmatch(match.group(2)):
        raise ConfigError(
            f"DESKBOT_DIGEST: expected a weekday and a 24-hour time like 'mon 09:00' "
            f"(days: {', '.join(_DAYS)}), got {text!r}"
        )
    return WeeklyAt(weekday, parse_time_of_day(match.group(2), "DESKBOT_DIGEST"))


def parse_tz(name: str) -> ZoneInfo:
    """An IANA time zone (``Europe/London``); unknown names are a ConfigError, not a silent UTC."""
    try:
        return ZoneInfo((name or "").strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DESKBOT_TZ: unknown time zone {name!r} (use an IANA name like Europe/London)") from None


def _paper_settings(get: Callable[[str], str | None]) -> dict[str, Any]:
    """The scholarly APIs' base URLs (a stand-in in tests, a mirror in production), the contact for their polite
    pools, and the YouTube proxy; a malformed URL or address fails at start, not at the first paper."""
    from urllib.parse import urlsplit

    out: dict[str, Any] = {}
    for name, default in (("CROSSREF", "https://api.crossref.org/"),
                          ("NCBI", "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"),
                          ("ARXIV", "https://export.arxiv.org/"), ("BIORXIV", "https://api.biorxiv.org/"),
                          ("UNPAYWALL", "https://api.unpaywall.org/")):
        value = (get(f"DESKBOT_{name}_URL") or default).strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"DESKBOT_{name}_URL: expected an http(s) base URL, got {value!r}")
        out[f"{name.lower()}_url"] = value if value.endswith("/") else value + "/"
    email = (get("DESKBOT_CONTACT_EMAIL") or "").strip() or None
    if email and ("@" not in email or " " in email):
        raise ConfigError(f"DESKBOT_CONTACT_EMAIL: expected an email address, got {email!r}")
    out["contact_email"] = email
    out["ncbi_api_key"] = (get("DESKBOT_NCBI_API_KEY") or "").strip() or None
    proxy = (get("DESKBOT_YOUTUBE_PROXY") or "").strip() or None
    if proxy and urlsplit(proxy).scheme not in ("http", "https", "socks5", "socks5h"):
        raise ConfigError("DESKBOT_YOUTUBE_PROXY: expected a proxy URL like http://user:pass@host:port")
    out["youtube_proxy"] = proxy
    rotating = (get("DESKBOT_YOUTUBE_PROXY_ROTATING") or "").strip().lower()
    if rotating not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ConfigError(f"DESKBOT_YOUTUBE_PROXY_ROTATING: expected true or false, got {rotating!r}")
    out["youtube_proxy_rotating"] = rotating in ("1", "true", "yes")
    youtube = (get("DESKBOT_YOUTUBE_URL") or "https://www.youtube.com/").strip()
    if urlsplit(youtube).scheme not in ("http", "https"):
        raise ConfigError(f"DESKBOT_YOUTUBE_URL: expected an http(s) base URL, got {youtube!r}")
    out["youtube_url"] = youtube if youtube.endswith("/") else youtube + "/"
    return out
