"""Parse every note format we meet into a ``Note``.

Formats, detected in this order:
1. deskbot's own export (frontmatter with ``deskbot: 1``): structured fields live in the frontmatter,
   the source text follows the ``<!-- deskbot:body -->`` marker. Exact round trip.
2. Plain text with a ``last_validated: … decay_rate: …`` line (seed ``000``): title line, sections
   ``Summary`` / ``Key Claims`` (• bullets) / ``Tags`` (#hashtags) / ``Related``.
3. Markdown with YAML frontmatter: a clip (seed ``001``, Obsidian Web Clipper) or a video note
   (seed ``004``: Summary, Highlights, Key Points, Mentions, Surprising Quotes, Transcript).
Every problem raises ``NoteError`` with a message that names what is wrong.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.kb.decay import DecayError, normalize_rate
from bot.kb.notes import Claim, Note, Quote, Validation, make_id, one_line, title_key, url_note_id

FORMAT_MARK = "deskbot"
BODY_MARKER = "<!-- deskbot:body -->"

try:  # libyaml is ~10x faster; fall back to pure Python where it is missing
    from yaml import CSafeDumper as YamlDumper  # noqa: F401 - re-exported for bot.kb.render
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]


class NoteError(ValueError):
    """A note that cannot be imported; ``str()`` is the user-facing reason."""


# The largest note file read: a 3-hour transcript is ~200 KB, a book ~1-2 MB. Parsing and storing take
# ~25x the file's size in memory, so this keeps a note far inside a capture's 512 MB budget.
MAX_NOTE_BYTES = 5 * 1024 * 1024


def _too_large(size: int) -> str:
    limit = MAX_NOTE_BYTES // 1024 // 1024
    return f"the note is too large ({size / 1024 / 1024:.1f} MB; notes are limited to {limit} MB)"


_PLAIN_DATES = re.compile(r"^\s*last_validated:\s*(\S+)(?:\s+decay_rate:\s*(\S+))?\s*$", re.M)
_PLAIN_DECAY = re.compile(r"^\s*decay_rate:\s*(\S+)\s*$", re.M)
_BULLET = re.compile(r"^\s*(?:[•\-*+·]|\d+[.)])\s+(.*)$")
_HASHTAG = re.compile(r"#([\w][\w\-/.]*)")
_H2 = re.compile(r"^##\s+(.+?)\s*#*\s*$")
_H3 = re.compile(r"^###\s+(.+?)\s*$")
_TIMESTAMP_LINK = re.compile(r"\[(\d{1,2}(?::\d{2}){1,2})\]\((https?://[^)\s]+)\)")
_KEY_POINT = re.compile(
    r"^\*\*(?P<label>.+?)\*\*\s*(?:\(\[(?P<ts>[\d:]+)\]\((?P<link>[^)]+)\)\))?\s*(?:[-–—:]\s*)?(?P<text>.*)$"
)
_QUOTE_SPEAKER = re.compile(r"^--\s*(?P<who>[^,\[]*?)\s*,?\s*(?:\[(?P<ts>[\d:]+)\]\((?P<link>[^)]+)\))?\s*$")

PLAIN_SECTIONS = {"summary", "key claims", "key points", "tags", "related", "highlights", "notes"}
CLAIM_SECTIONS = {"key claims", "key points", "claims"}
KNOWN_H2 = {
    "summary",
    "key claims",
    "key points",
    "claims",
    "highlights",
    "surprising quotes",
    "transcript",
    "tags",
    "related",
    "mentions",
}


def parse_file(path: str | Path) -> Note:
    """Read and parse one file; errors name the file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_NOTE_BYTES:  # refused before reading: a 50 MB note took ~2 GB to parse and store
            raise NoteError(f"{path}: {_too_large(size)}")
        raw = path.read_bytes()
    except OSError as exc:
        raise NoteError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")  # keep the note; mark bad bytes visibly
    return parse_text(text, source=str(path))


def parse_text(text: str, source: str = "<text>") -> Note:
    """Parse one note's text; ``source`` is only used to name the file in errors."""
    if len(text) > MAX_NOTE_BYTES:
        raise NoteError(f"{source}: {_too_large(len(text))}")
    try:
        return _within_limits(_parse(text, source))
    except NoteError as exc:
        raise NoteError(f"{source}: {exc}") from None
    except DecayError as exc:
        raise NoteError(f"{source}: {exc}") from None


def _parse(text: str, source: str) -> Note:
    split = split_frontmatter(text)
    if split:
        meta = _load_yaml(split[0])
        body = split[1]
        if meta.get(FORMAT_MARK):
            return _parse_deskbot(meta, body)
        return _parse_markdown(meta, body, source)
    if text.lstrip().startswith("---\n") or text.lstrip().startswith("---\r\n"):
        raise NoteError("malformed YAML frontmatter: no closing '---' line")
    if not text.strip():
        raise NoteError("empty note: no text")
    if _is_plain_note(text):
        return _parse_plain(text)
    return _parse_markdown({}, text, source)  # ordinary markdown (an Obsidian note): no frontmatter needed


# Items of one note: each becomes rows (and index entries) in the store, and lines in a reply. Real notes
# have 3-50 claims; 100,000 one-line bullets (2.5 MB) took 1 s and 140 MB to store, outside any budget.
MAX_ITEMS = 1_000


def _within_limits(note: Note) -> Note:
    for field in ("claims", "highlights", "quotes", "tags", "related", "validations"):
        count = len(getattr(note, field))
        if count > MAX_ITEMS:
            raise NoteError(f"{field}: {count:,} of them; a note holds at most {MAX_ITEMS:,}")
    return note


# ---------------------------------------------------------------- shared value parsers


def split_frontmatter(text: str) -> tuple[str, str] | None:
    """(yaml, body) when ``text`` opens with a ``---`` fenced block; a plain scan, no regex backtracking."""
    start = 1 if text.startswith("\ufeff") else 0
    first_end = text.find("\n", start)
    if first_end < 0 or text[start:first_end].rstrip() != "---":
        return None
    pos = first_end + 1
    while True:
        nxt = text.find("\n", pos)
        line = text[pos:] if nxt < 0 else text[pos:nxt]
        if line.rstrip() == "---":
            body = "" if nxt < 0 else text[nxt + 1 :]
            return text[first_end + 1 : pos].rstrip("\r\n"), body
        if nxt < 0:
            return None
        pos = nxt + 1


def _refuse_aliases(block: str) -> None:
    """YAML anchors and aliases are refused: nine nested levels of ``*a`` in 300 bytes stand for 10⁹ strings,
    and every ``repr``/``json.dumps`` of the loaded value would expand them (2.2 GB, then MemoryError).
    Notes never need them. Only a block holding ``&`` or ``*`` is scanned (as parser events, no values built)."""
    if "&" not in block and "*" not in block:
        return
    key: str | None = None  # the top-level key being read, to name it in the error
    depth = 0
    is_key = True
    for event in yaml.parse(block, Loader=YamlLoader):
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent) or anchor:
            where = f"{key}: " if key else ""
            raise NoteError(f"{where}YAML anchors and aliases (&{anchor} / *{anchor}) are not accepted in "
                            "frontmatter; write the value out")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
            is_key = is_key or depth == 1
        elif isinstance(event, yaml.ScalarEvent) and depth == 1:
            if is_key:
                key = event.value
            is_key = not is_key


def _load_yaml(block: str) -> dict[str, Any]:
    try:
        _refuse_aliases(block)
        meta = yaml.load(block, Loader=YamlLoader)  # noqa: S506 - a safe loader
    except NoteError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise NoteError(f"malformed YAML frontmatter{where}: {problem}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # e.g. 2026-13-01 read as a date
        raise NoteError(f"malformed YAML frontmatter: a value cannot be read ({exc})") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise NoteError("malformed YAML frontmatter: expected key: value pairs")
    return {str(k): v for k, v in meta.items()}


def parse_date(value: Any, field: str) -> date | None:
    """Accept YAML dates, ISO strings, and datetimes (their day)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _in_range(value.date(), field)
    if isinstance(value, date):
        return _in_range(value, field)
    if isinstance(value, (dict, list)):
        raise NoteError(f"{field}: expected a date (YYYY-MM-DD), got {_shape(value)}")
    text = str(value).strip()
    try:
        return _in_range(date.fromisoformat(text[:10]), field)
    except ValueError:
        raise NoteError(f"{field}: {text[:40]!r} is not a date (expected YYYY-MM-DD)") from None


MAX_YEAR = 2999  # a due date is computed from every date: 9999-12-31 plus the decay would overflow


def _in_range(day: date, field: str) -> date:
    if day.year > MAX_YEAR:
        raise NoteError(f"{field}: {day.isoformat()} is too far in the future (after {MAX_YEAR})")
    return day


def parse_datetime(value: Any, field: str) -> datetime | None:
    """Clipping times come as '2025-12-23 13:00', ISO 8601 with zone, or a bare date."""
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        raise NoteError(f"{field}: expected a date/time (YYYY-MM-DD HH:MM), got {_shape(value)}")
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise NoteError(f"{field}: {text[:40]!r} is not a date/time (expected YYYY-MM-DD HH:MM)") from None
    try:
        parsed = _naive_utc(parsed) if parsed.tzinfo else parsed
    except OverflowError:
        raise NoteError(f"{field}: {parsed.isoformat()} is out of range") from None
    _in_range(parsed.date(), field)
    return parsed


def _naive_utc(value: datetime) -> datetime:
    from datetime import UTC

    return value.astimezone(UTC).replace(tzinfo=None)


def _seconds(stamp: str) -> int:
    total = 0
    for part in stamp.split(":"):
        total = total * 60 + int(part)
    return total


def _t_from_link(link: str | None, stamp: str | None) -> int | None:
    if link:
        m = re.search(r"[?&#]t=(\d+)s?", link)
        if m:
            return int(m.group(1))
    return _seconds(stamp) if stamp else None


def _tags(value: Any, field: str = "tags") -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [t for t in re.split(r"[,\s]+", value) if t]
    if isinstance(value, list):
        return [_scalar_text(t, f"{field}[{n}]") for n, t in enumerate(value) if t is not None and str(t).strip()]
    raise NoteError(f"{field}: expected a list or a string, got {_shape(value)}")


def _authors(value: Any) -> str | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    names = [one_line(str(a)).removeprefix("[[").removesuffix("]]") for a in items if a]
    return ", ".join(n for n in names if n) or None


def _looks_like_url(value: Any) -> bool:
    return isinstance(value, str) and bool(re.match(r"^https?://\S+$", value.strip()))


def _decay(value: Any) -> str | None:
    if isinstance(value, (dict, list)):
        raise NoteError(f"decay_rate: expected slow, medium, fast or NNd / NNw, got {_shape(value)}")
    try:
        return normalize_rate(None if value is None else str(value))
    except DecayError as exc:
        raise NoteError(f"decay_rate: {exc}") from None


# ---------------------------------------------------------------- format 2: plain text (seed 000)


def _is_plain_note(text: str) -> bool:
    """Seed 000's shape: a ``last_validated:``/``decay_rate:`` line, or plain Summary/Key Claims headers."""
    lines = text.replace("\r\n", "\n").split("\n")
    return bool(_PLAIN_DATES.search(text) or _PLAIN_DECAY.search(text) or any(_is_plain_header(x) for x in lines))


def _parse_plain(text: str) -> Note:
    lines = text.replace("\r\n", "\n").split("\n")
    title = next((one_line(line) for line in lines if line.strip()), "")
    dates = _PLAIN_DATES.search(text)
    decay_only = _PLAIN_DECAY.search(text)
    last_validated = parse_date(dates.group(1), "last_validated") if dates else None
    rate_text = dates.group(2) if dates and dates.group(2) else (decay_only.group(1) if decay_only else None)
    decay_rate = _decay(rate_text)

    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines:
        if _is_plain_header(line):
            current = line.strip().lower()
            sections.setdefault(current, [])
        elif current is not None:
            sections[current].append(line)

    summary = _paragraphs(sections.get("summary", []))
    claims = [Claim(text=item) for item in _bullets(sections.get("key claims", []))]
    claims += [_key_point(item) for item in _bullets(sections.get("key points", []))]
    tags = _HASHTAG.findall(" ".join(sections.get("tags", [])))
    related = [one_line(r) for r in _bullets_or_lines(sections.get("related", []))]
    return Note(
        id=make_id("summary", title_key(title)),
        title=title,
        kind="summary",
        summary=summary,
        claims=claims,
        tags=tags,
        related=[r for r in related if r],
        last_validated=last_validated,
        decay_rate=decay_rate,
    )


def _is_plain_header(line: str) -> bool:
    return line.strip().lower() in PLAIN_SECTIONS and line == line.rstrip() and not line.startswith(" ")


def _paragraphs(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _bullets(lines: list[str]) -> list[str]:
    """Bullet items; a non-bullet line continues the previous item (wrapped text)."""
    items: list[list[str]] = []  # each item's lines, joined once: growing a string by += is quadratic
    for line in lines:
        m = _BULLET.match(line)
        if m:
            items.append([m.group(1)])
        elif line.strip() and items:
            items[-1].append(line.strip())
    joined = (one_line(" ".join(parts)) for parts in items)
    return [item for item in joined if item]


def _bullets_or_lines(lines: list[str]) -> list[str]:
    found = _bullets(lines)
    return found if found else [line.strip() for line in lines if line.strip()]


# ---------------------------------------------------------------- format 3: markdown with frontmatter


def _first_heading(body: str) -> str | None:
    """The first ``# heading`` outside fenced code."""
    fenced = False
    for line in body.replace("\r\n", "\n").split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.startswith("# ") and one_line(line[2:]):
            return one_line(line[2:])
    return None


def _file_title(source: str) -> str:
    """A note file's name as its title (Obsidian's own rule), or "" for text that is not a file."""
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    return "" if source.startswith("<") else one_line(name.rsplit(".", 1)[0] if "." in name else name)


def _parse_markdown(meta: dict[str, Any], body: str, path: str = "<text>") -> Note:
    meta = dict(meta)
    title = one_line(str(meta.pop("title", "") or ""))
    url_value = meta.pop("url", None)
    source = meta.get("source")
    if not url_value and _looks_like_url(source):
        url_value = meta.pop("source")
    if url_value is not None and not _looks_like_url(url_value):
        raise NoteError(f"url: {str(url_value)!r} is not an http(s) URL")
    url = str(url_value).strip() if url_value else None
    video_id = meta.get("video_id")
    is_video = bool(video_id) or bool(url and re.search(r"(youtube\.com/watch|youtu\.be/)", url))

    clipped = None
    for key in ("clipped", "created", "date_clipped", "saved"):
        if key in meta:
            clipped = parse_datetime(meta.pop(key), key)
            break
    published = None
    for key in ("published", "upload_date", "date"):
        if key in meta:
            published = parse_date(meta.pop(key), key)
            break
    last_validated = parse_date(meta.pop("last_validated", None), "last_validated")
    decay_rate = _decay(meta.pop("decay_rate", None))
    tags = _tags(meta.pop("tags", None))
    author = _authors(meta.pop("author", None) or meta.pop("authors", None))
    if is_video and not author and meta.get("channel"):
        author = one_line(str(meta["channel"]))
    channel = meta.pop("slack_channel", None)
    owner = meta.pop("owner", None) or meta.pop("slack_user", None)
    site = meta.pop("site", None) or meta.pop("site_name", None)
    description = meta.pop("description", None)
    related = [str(r) for r in _tags(meta.pop("related", None))] if "related" in meta else []

    parts = _split_h2(body, is_video)
    if not title:
        title = parts.h1 or _first_heading(body) or _file_title(path)
    if not title:
        raise NoteError("missing title (no 'title:' in frontmatter, no '# heading' and no file name)")

    summary = parts.sections.pop("summary", "").strip()
    if not summary and description:
        summary = one_line(str(description))
    claims: list[Claim] = []
    for name in ("key claims", "claims"):
        claims += [_claim_from_bullet(b) for b in _bullets(parts.sections.pop(name, "").split("\n"))]
    claims += [_key_point(b) for b in _bullets(parts.sections.pop("key points", "").split("\n"))]
    highlights = _highlights(parts.sections.pop("highlights", ""))
    quotes = _quotes(parts.sections.pop("surprising quotes", ""))
    if "tags" in parts.sections:
        tags += _HASHTAG.findall(parts.sections.pop("tags"))
    if "related" in parts.sections:
        related += _bullets_or_lines(parts.sections.pop("related").split("\n"))
    body_text = parts.body.strip()

    if is_video:
        kind = "video"
    elif url and re.search(r"(arxiv\.org/(abs|pdf)/|\.pdf($|\?))", url):
        kind = "paper"
    elif not url and (claims or summary) and not body_text:
        kind = "summary"
    else:
        kind = "article"
    return Note(
        id=url_note_id(_identity_url(url)) if url else make_id(kind, title_key(title)),
        title=title,
        kind=kind,
        url=url,
        clipped=clipped,
        channel=str(channel) if channel else None,
        owner=str(owner) if owner else None,
        author=author,
        site=str(site) if site else None,
        published=published,
        tags=tags,
        summary=summary,
        claims=claims,
        highlights=highlights,
        quotes=quotes,
        sections={k.title(): v.strip() for k, v in parts.original_sections.items() if k in parts.sections},
        body=body_text,
        related=[one_line(r) for r in related if one_line(r)],
        last_validated=last_validated,
        decay_rate=decay_rate,
        extra=_plain_extra(meta),
    )


def _identity_url(identity: str) -> str:
    """Ids derive from the canonical URL when the capture package is there, else the URL itself."""
    if not identity.startswith(("http://", "https://")):
        return identity
    try:
        from bot.kb.links import canonical_url
    except ImportError:  # pragma: no cover - capture is optional for parsing
        return identity
    try:
        return canonical_url(identity)
    except Exception:  # noqa: BLE001 - a URL we cannot canonicalise still has an identity
        return identity


def _plain_extra(meta: dict[str, Any]) -> dict[str, Any]:
    """Unknown frontmatter is kept; dates become ISO strings so they survive any round trip."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        out[key] = value.isoformat() if isinstance(value, (date, datetime)) else value
    return out


class _Parts:
    def __init__(self) -> None:
        self.h1: str | None = None
        self.sections: dict[str, str] = {}
        self.original_sections: dict[str, str] = {}
        self.body = ""


def _split_h2(body: str, is_video: bool) -> _Parts:
    """Split a markdown body into known ``##`` sections; an article body stays whole.

    Sections are parsed only when the first ``##`` heading is one we know (or for videos),
    so an article that happens to contain a "## Summary" deep inside is not torn apart.
    """
    parts = _Parts()
    lines = body.replace("\r\n", "\n").split("\n")
    h2_positions = [i for i, line in enumerate(lines) if _H2.match(line)]
    first_known = bool(h2_positions) and _H2.match(lines[h2_positions[0]]).group(1).lower() in KNOWN_H2  # type: ignore[union-attr]
    if not (is_video or first_known):
        parts.body = body
        return parts
    start = h2_positions[0] if h2_positions else len(lines)
    preamble = lines[:start]
    for line in preamble:
        if line.startswith("# ") and parts.h1 is None:
            parts.h1 = one_line(line[2:])
    current: str | None = None
    buffer: list[str] = []
    body_lines: list[str] = []
    in_transcript = False
    for line in lines[start:]:
        m = _H2.match(line)
        if in_transcript:
            body_lines.append(line)
            continue
        if m:
            if current is not None:
                parts.sections[current] = "\n".join(buffer)
            current = m.group(1).strip().lower()
            buffer = []
            if current == "transcript":
                in_transcript = True
                current = None
            continue
        buffer.append(line)
    if current is not None and not in_transcript:
        parts.sections[current] = "\n".join(buffer)
    parts.original_sections = {k: v for k, v in parts.sections.items()}
    preamble_text = "\n".join(line for line in preamble if not line.startswith("# ")).strip()
    parts.body = "\n".join(body_lines) if in_transcript else preamble_text
    return parts


def _claim_from_bullet(item: str) -> Claim:
    if item.startswith("**"):
        return _key_point(item)
    return Claim(text=item)


def _key_point(item: str) -> Claim:
    m = _KEY_POINT.match(item)
    if not m or not m.group("text"):
        return Claim(text=item)
    return Claim(
        text=m.group("text"),
        label=m.group("label"),
        t=_t_from_link(m.group("link"), m.group("ts")),
    )


def _quote_blocks(section: str) -> list[tuple[str | None, list[str]]]:
    """Group ``>`` lines into blocks, remembering the ``###`` heading above each."""
    blocks: list[tuple[str | None, list[str]]] = []
    heading: str | None = None
    current: list[str] | None = None
    for line in section.split("\n"):
        h3 = _H3.match(line)
        if h3:
            heading = one_line(h3.group(1)).strip('"“”')
            current = None
            continue
        if line.startswith(">"):
            if current is None:
                current = []
                blocks.append((heading, current))
            current.append(line[1:].strip())
        else:
            current = None
    return blocks


def _quote_from_block(heading: str | None, lines: list[str]) -> Quote | None:
    speaker = None
    t = None
    text_lines = []
    for line in lines:
        m = _QUOTE_SPEAKER.match(line)
        if m:
            speaker = one_line(m.group("who") or "") or None
            t = _t_from_link(m.group("link"), m.group("ts"))
        else:
            text_lines.append(line)
    text = one_line(" ".join(text_lines)).strip()
    if len(text) >= 2 and text[0] in "\"“" and text[-1] in "\"”":
        text = text[1:-1].strip()
    return Quote(text=text, heading=heading, speaker=speaker, t=t) if text else None


def _highlights(section: str) -> list[Quote]:
    return [q for h, block in _quote_blocks(section) if (q := _quote_from_block(h, block))]


def _quotes(section: str) -> list[Quote]:
    return [q for _, block in _quote_blocks(section) if (q := _quote_from_block(None, block))]


# ---------------------------------------------------------------- format 1: deskbot export


def _parse_deskbot(meta: dict[str, Any], body: str) -> Note:
    """deskbot's own export; every field is type-checked, so a hand-edited file fails with its field's name."""
    version = meta.get(FORMAT_MARK)
    if version != 1:
        raise NoteError(f"deskbot: unsupported format version {version!r} (this deskbot reads 1)")
    note_id, title = _text(meta, "id"), _text(meta, "title")
    if not note_id or not title:
        raise NoteError("deskbot note without id or title")
    if any(ch < " " or ch == "\x7f" for ch in note_id):
        raise NoteError(f"id: {note_id[:40]!r} contains control characters (a newline, a NUL…)")
    _, marker, source_text = body.partition(BODY_MARKER + "\n")
    return Note(
        id=note_id,
        title=title,
        kind=_text(meta, "kind") or "article",
        url=_text(meta, "url"),
        clipped=parse_datetime(meta.get("clipped"), "clipped"),
        channel=_text(meta, "slack_channel"),
        owner=_text(meta, "owner"),
        author=_text(meta, "author"),
        site=_text(meta, "site"),
        published=parse_date(meta.get("published"), "published"),
        tags=_tags(meta.get("tags")),
        summary=_text(meta, "summary") or "",
        claims=[_claim_from_dict(c, f"claims[{n}]") for n, c in enumerate(_list(meta, "claims"))],
        highlights=[_quote_from_dict(q, f"highlights[{n}]") for n, q in enumerate(_list(meta, "highlights"))],
        quotes=[_quote_from_dict(q, f"quotes[{n}]") for n, q in enumerate(_list(meta, "quotes"))],
        sections={str(k): _scalar_text(v, f"sections.{k}") for k, v in _mapping(meta, "sections").items()},
        body=source_text if marker else "",
        related=[_scalar_text(r, f"related[{n}]") for n, r in enumerate(_list(meta, "related"))],
        source_id=_text(meta, "source_id"),
        last_validated=parse_date(meta.get("last_validated"), "last_validated"),
        decay_rate=_decay(meta.get("decay_rate")),
        decay_reason=_text(meta, "decay_reason"),
        validations=[_validation_from_dict(v, f"validations[{n}]") for n, v in enumerate(_list(meta, "validations"))],
        extra=dict(_mapping(meta, "extra")),
        flags=[_scalar_text(f, f"flags[{n}]") for n, f in enumerate(_list(meta, "flags"))],
    )


# ---------------------------------------------------------------- typed frontmatter values
# YAML gives any shape to any key; each reader accepts the shapes a field can have and otherwise raises a
# NoteError that starts with the field's name ("claims[2].t: expected a whole number, got text").


def _shape(value: Any) -> str:
    names = {dict: "key: value pairs", list: "a list", str: "text", bool: "true/false", int: "a number",
             float: "a number", date: "a date", datetime: "a date/time"}
    return names.get(type(value), type(value).__name__)


def _scalar_text(value: Any, field: str) -> str:
    if isinstance(value, (dict, list)) or value is None:
        raise NoteError(f"{field}: expected text, got {_shape(value)}")
    return str(value)


def _text(meta: dict[str, Any], key: str, field: str | None = None) -> str | None:
    value = meta.get(key)
    return None if value is None or value == "" else _scalar_text(value, field or key)


def _list(meta: dict[str, Any], key: str) -> list[Any]:
    value = meta.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise NoteError(f"{key}: expected a list, got {_shape(value)}")
    return value


def _mapping(meta: dict[str, Any], key: str) -> dict[str, Any]:
    value = meta.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise NoteError(f"{key}: expected key: value pairs, got {_shape(value)}")
    return {str(k): v for k, v in value.items()}


def _whole(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9:
        raise NoteError(f"{field}: expected a whole number, got {_shape(value)}")
    return value


def _flag(value: Any, field: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise NoteError(f"{field}: expected true or false, got {_shape(value)}")
    return value


def _entry(data: Any, field: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise NoteError(f"{field}: expected key: value pairs, got {_shape(data)}")
    return {str(k): v for k, v in data.items()}


def _claim_from_dict(data: Any, field: str = "claims") -> Claim:
    entry = _entry(data, field)
    text = _text(entry, "text", f"{field}.text")
    if not text:
        raise NoteError(f"{field}.text: a claim needs its text")
    claim = Claim(
        text=text,
        label=_text(entry, "label", f"{field}.label"),
        quote=_text(entry, "quote", f"{field}.quote"),
        t=_whole(entry.get("t"), f"{field}.t"),
        page=_whole(entry.get("page"), f"{field}.page"),
        outdated=bool(_flag(entry.get("outdated"), f"{field}.outdated")),
        supported=_flag(entry.get("supported"), f"{field}.supported"),
    )
    claim.last_validated = parse_date(entry.get("last_validated"), f"{field}.last_validated")
    claim.also_in = _also_in(entry.get("also_in"))
    return claim


def _quote_from_dict(data: Any, field: str) -> Quote:
    entry = _entry(data, field)
    text = _text(entry, "text", f"{field}.text")
    if not text:
        raise NoteError(f"{field}.text: a quote needs its text")
    return Quote(text=text, heading=_text(entry, "heading", f"{field}.heading"),
                 speaker=_text(entry, "speaker", f"{field}.speaker"), t=_whole(entry.get("t"), f"{field}.t"))


def _validation_from_dict(data: Any, field: str) -> Validation:
    entry = _entry(data, field)
    return Validation(
        at=parse_datetime(entry.get("at"), f"{field}.at") or datetime(1970, 1, 1),
        by=_text(entry, "by", f"{field}.by"),
        verdict=_text(entry, "verdict", f"{field}.verdict") or "valid",
        claim=_whole(entry.get("claim"), f"{field}.claim"),
    )


def _also_in(refs: Any) -> list[dict[str, Any]]:
    """``also_in: [{note: <id>, claim: <0-based index>}]``; entries of another shape are dropped."""
    if not isinstance(refs, list):
        return []
    return [
        {"note": str(r["note"]), "claim": r["claim"]}
        for r in refs
        if isinstance(r, dict) and r.get("note") and isinstance(r.get("claim"), int) and r["claim"] >= 0
    ]
