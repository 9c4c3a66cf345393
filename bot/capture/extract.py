"""Turn fetched bytes (HTML, plain text, markdown) into an ``Extracted`` source: metadata + readable text.

Also home of the small text helpers every later stage shares (markdown → prose, sentence splitting,
boilerplate test), so that "a claim is a sentence of the source" means the same thing everywhere.
trafilatura is imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.capture import caps, linear
from bot.kb.notes import one_line
from bot.kb.terms import words

log = logging.getLogger(__name__)

# A page whose readable prose is shorter than this, or has fewer content sentences, is "little text":
# a paywall teaser, a JS-only shell, a link farm. Such pages are never summarised (nothing to invent from).
LITTLE_TEXT_CHARS = 400
LITTLE_TEXT_SENTENCES = 3
# Pages larger than this (characters of HTML) skip trafilatura's fallback extractors: on a 3 MB page they
# took 600 ms of the extraction's 900 and changed nothing; on ordinary pages they are the better result.
FAST_EXTRACTION_CHARS = 1_000_000
# Characters of one paragraph handed at once to the inline-markup and sentence code: a longer one (a text
# file without blank lines, a generated page) is cut into pieces of this size, at a space. Real paragraphs
# are far shorter; the cap bounds whatever a pathological paragraph costs any pattern below.
MAX_BLOCK_CHARS = 20_000


class ExtractionError(Exception):
    """A source could not be read at all (corrupt or encrypted file, undecodable bytes)."""


@dataclass
class Extracted:
    """What a source became: metadata, the readable text, and its places (pages, timed segments)."""

    url: str
    title: str
    kind: str = "article"  # article | video | paper
    author: str | None = None
    site: str | None = None
    published: date | None = None
    text: str = ""  # article markdown, a video's timestamped transcript, or a PDF's text
    little_text: bool = False
    segments: list[tuple[float, str]] = field(default_factory=list)  # video: (start seconds, text)
    snippets: list[tuple[float, str]] = field(default_factory=list)  # video: the caption snippets as fetched
    pages: list[str] = field(default_factory=list)  # PDF: text of each page, 1-based when cited
    meta: dict[str, Any] = field(default_factory=dict)  # kind-specific extras (video_id, duration, …)
    problem: str | None = None  # why the source is incomplete (no transcript, …), shown to the user


# --------------------------------------------------------------------------- decoding

# WHATWG: browsers decode these labels with the superset codec, so must we (curly quotes in "latin-1").
_SUPERSETS = {
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc-kr": "cp949",
    "tis-620": "cp874",
    "iso-8859-9": "cp1254",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _codec(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first bytes (``<meta charset>`` or ``http-equiv``)."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def decode_bytes(data: bytes | str, content_type_charset: str | None = None) -> str:
    """Decode a page like a careful browser: BOM, valid UTF-8, header charset, meta charset, then guess.

    Valid UTF-8 wins over a declaration because legacy bytes are almost never valid UTF-8 by chance,
    while pages that say ``iso-8859-1`` but are served as UTF-8 are common.
    """
    if isinstance(data, str):
        return data
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for label in (content_type_charset, declared_charset(data)):
        codec = _codec(label)
        if codec and codec not in ("utf-8", "utf-16", "utf-32"):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue
    from trafilatura.utils import detect_encoding

    for guess in detect_encoding(data[:200_000]):
        codec = _codec(guess)
        if codec:
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue
    return data.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- markdown → prose

_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_LINK = re.compile(r"\[((?:[^\[\]]|\\\[|\\\])*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<(?:https?|mailto):[^>\s]+>")
_SUP_OPEN = re.compile(r"<sup>", re.I)
_SUP_CLOSE = re.compile(r"</sup>", re.I)
_CITATION = re.compile(r"\[(?:\d{1,3}|[a-z]|citation needed|edit)\]")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")
_CODE = re.compile(r"`([^`]*)`")
_ESC_MARK = "\ue000"


def inline_plain(text: str) -> str:
    """Remove inline markdown (links keep their words, emphasis its text) so a sentence reads as rendered.

    The result is what a browser shows, which is what a ``#:~:text=`` fragment must match.
    """
    escapes: list[str] = []

    def keep(match: re.Match[str]) -> str:
        escapes.append(match.group(1))
        return f"{_ESC_MARK}{len(escapes) - 1}{_ESC_MARK}"

    # Emphasis, <sup>, images and tags go through bot.capture.linear: the regexes rescan the rest of the
    # paragraph after each unclosed marker (quadratic: 60 s of CPU for 100 KB of "**a ").
    text = linear.drop_spans(text, _SUP_OPEN, _SUP_CLOSE)
    text = linear.drop_images(text)
    text = _AUTOLINK.sub("", text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _ESCAPE.sub(keep, text)
    text = _CODE.sub(lambda m: m.group(1), text)
    text = linear.strip_strong(text)
    text = linear.strip_em_star(text)
    text = linear.strip_em_under(text)
    text = linear.drop_tags(text)
    text = re.sub(f"{_ESC_MARK}(\\d+){_ESC_MARK}", lambda m: escapes[int(m.group(1))], text)
    text = _CITATION.sub("", text)
    return one_line(text)


_HEADING_TAIL = re.compile(r"(?:\s+#+|¶)\s*$")  # "## Title ##" closing hashes, Sphinx's "¶" permalink


@dataclass(frozen=True)
class Block:
    """One prose block of a markdown text and where it sits: under which heading, as what kind of block."""

    text: str
    heading: str | None = None  # the nearest ``##``–``######`` heading above it (``#`` is the title)
    kind: str = "p"  # p | item (a list item) | quote (a block quote)


def iter_blocks(markdown: str) -> Iterator[Block]:
    """The readable paragraphs, list items and quotes of a markdown text, each as one plain line.

    Headings, code blocks and tables are left out: they are not statements a claim could be; a
    heading is kept as the ``heading`` of the blocks under it.
    """
    current: list[str] = []
    size = 0
    in_quote = in_fence = in_item = False
    heading: str | None = None
    for raw in [*(markdown or "").splitlines(), ""]:
        line = raw.strip()
        is_fence = bool(_FENCE.match(raw))
        is_heading = bool(_HEADING.match(raw))
        skip = not line or line.startswith("|") or is_heading or set(line) <= set("-=*_ ")
        quote = line.startswith(">")
        body = line.lstrip("> ").strip()
        item = bool(_LIST_ITEM.match(body))
        if current and not in_fence and (is_fence or skip or item or quote != in_quote):
            block = inline_plain(" ".join(current))
            current.clear()
            size = 0
            if block:
                yield Block(block, heading, "quote" if in_quote else "item" if in_item else "p")
        if is_heading and not in_fence:
            level = len(line) - len(line.lstrip("#"))
            text = _HEADING_TAIL.sub("", inline_plain(line.lstrip("#").strip()))
            heading = (text or None) if level >= 2 else None
        if is_fence:
            in_fence = not in_fence
            continue
        if in_fence or skip:
            continue
        in_quote = quote
        if not current:
            in_item = item
        for piece in _capped(_LIST_ITEM.sub("", body, count=1)):
            if current and size + len(piece) > MAX_BLOCK_CHARS:  # an endless "paragraph": cut it
                block = inline_plain(" ".join(current))
                current.clear()
                size = 0
                if block:
                    yield Block(block, heading, "quote" if in_quote else "item" if in_item else "p")
            current.append(piece)
            size += len(piece) + 1


def _capped(line: str) -> list[str]:
    """A line longer than ``MAX_BLOCK_CHARS`` in pieces, each cut at its last space (or hard)."""
    if len(line) <= MAX_BLOCK_CHARS:
        return [line]
    pieces = []
    while len(line) > MAX_BLOCK_CHARS:
        cut = line.rfind(" ", MAX_BLOCK_CHARS // 2, MAX_BLOCK_CHARS)
        cut = cut if cut > 0 else MAX_BLOCK_CHARS
        pieces.append(line[:cut])
        line = line[cut:].lstrip()
    return [*pieces, line] if line else pieces


def iter_prose_blocks(markdown: str) -> Iterator[str]:
    """The text of every block of ``iter_blocks``."""
    return (block.text for block in iter_blocks(markdown))


def prose_blocks(markdown: str) -> list[str]:
    """All prose blocks of a markdown text (see ``iter_prose_blocks``)."""
    return list(iter_prose_blocks(markdown))


def layout_blocks(text: str) -> list[str]:
    """Paragraphs of line-wrapped plain text (a PDF page): a blank line or a short line ends a block.

    Wrapped lines run to about the same width; a title, an author line, a heading or a paragraph's
    last line is shorter, so it closes the block instead of gluing onto the next sentence.
    """
    lines = [line.strip() for line in (text or "").splitlines()]
    widths = sorted(len(line) for line in lines if line)
    if not widths:
        return []
    full = widths[int(len(widths) * 0.75)] if len(widths) >= 4 else widths[-1]
    blocks: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        if current and (not line or len(line) < 0.7 * full):
            blocks.append(one_line(" ".join(current)))
            current = []
    if current:
        blocks.append(one_line(" ".join(current)))
    return blocks


def plain_text(markdown: str) -> str:
    """The prose of a markdown text, one paragraph per line."""
    return "\n".join(prose_blocks(markdown))


# --------------------------------------------------------------------------- sentences

_ABBREVIATIONS_TEXT = """
    mr mrs ms dr prof sr jr st vs etc e.g i.e eg ie inc ltd co corp no nos fig figs al approx est dept
    univ gen gov sen rep mt ft jan feb mar apr jun jul aug sep sept oct nov dec ca cf op vol ed eds pp p
    u.s u.k u.n e.u a.m p.m ph.d m.d b.a m.a"""
_ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())
# Only from the start of a punctuation run, and the run taken whole: tried from every dot of "....",
# the run was rescanned from each (quadratic); no match can start inside a run anyway.
_BOUNDARY = re.compile(r"(?<![.!?…])([.!?…]++)([\"'”’»)\]]*)(\s+)(?=[\"'“‘«(\[]?([^\W\d_]|\d))")
_CJK_BOUNDARY = re.compile(r"([。！？]+[」』）】\"”]*)")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _is_abbreviation(before: str) -> bool:
    token = before.rsplit(None, 1)[-1] if before.strip() else ""
    token = token.lstrip("\"'“‘([").lower().rstrip(".")
    if not token:
        return False
    if len(token) == 1 and token.isalpha():  # an initial: "W. W. Norton", "p. 270"
        return True
    return token in _ABBREVIATIONS


def _lowercase_start_ok(before: str, punct: str) -> bool:
    """A sentence may start in lowercase ("… is reached. httpkit can …") only after a plain word."""
    if punct not in (".", "!", "?") or not before.strip():
        return False
    token = before.rsplit(None, 1)[-1]
    return len(token) >= 3 and token.isalpha() and token.islower() and token not in _ABBREVIATIONS


def split_sentences(text: str) -> list[str]:
    """Split one paragraph into sentences (Latin punctuation with abbreviation care, and CJK 。！？).

    Never inside a quotation that closes later in the paragraph: ``He said, “No. Not yet.”`` is one
    sentence, so a claim never carries half a quote.
    """
    text = one_line(text)
    if not text:
        return []
    pieces: list[str] = []
    start = counted = 0
    opened = closed = straight = 0  # quotation marks in text[start:counted]
    last_close, last_straight = text.rfind("”"), text.rfind('"')
    for match in _BOUNDARY.finditer(text):
        end = match.end(2)
        # only its last word matters: a window, or skipped boundaries ("a. a. a. …") re-slice the whole text
        before = text[max(start, match.start(1) - 100) : match.start(1)]
        if match.group(1) == "." and _is_abbreviation(before):
            continue
        if match.group(4).islower() and not _lowercase_start_ok(before, match.group(1)):
            continue
        seen = text[counted:end]
        opened, closed, straight = opened + seen.count("“"), closed + seen.count("”"), straight + seen.count('"')
        counted = end
        if (opened > closed and last_close >= end) or (straight % 2 and last_straight >= end):
            continue  # inside a quotation that closes later: one sentence, whatever it quotes
        pieces.append(text[start:end])
        start = counted = match.end()
        opened = closed = straight = 0
    pieces.append(text[start:])
    out: list[str] = []
    for piece in pieces:
        if _CJK.search(piece):
            parts = [p for p in _CJK_BOUNDARY.split(piece) if p]
            merged = [
                parts[i] + (parts[i + 1] if i + 1 < len(parts) else "") for i in range(0, len(parts), 2)
            ]
            out.extend(one_line(m) for m in merged if one_line(m))
        elif piece.strip():
            out.append(piece.strip())
    return out


def iter_sentences(markdown: str) -> Iterator[str]:
    """Every sentence of the prose of a markdown text, in order, lazily (long pages stop early)."""
    for block in iter_prose_blocks(markdown):
        yield from split_sentences(block)


def sentences(markdown: str) -> list[str]:
    """Every sentence of the prose of a markdown text, in order."""
    return list(iter_sentences(markdown))


def text_weight(text: str) -> int:
    """Length that counts a CJK character like a short word, so the little-text bar fits every script."""
    cjk = len(_CJK.findall(text))
    return len(text) - cjk + 3 * cjk


# Interface chrome: single words match whole words, phrases match at a word start ("design in" is not
# "sign in"). Plain set/substring tests: ~10x faster than one big alternation regex.
_BOILER_WORDS_TEXT = """
    subscribe subscribed subscriber subscribers subscription newsletter newsletters cookie cookies
    advertisement inbox javascript copyright loading permalink login"""
_BOILER_WORDS = frozenset(_BOILER_WORDS_TEXT.split())
_BOILER_PHRASES = (
    " sign up",
    " sign in",
    " signed in",
    " log in",
    " all rights reserved",
    " share this",
    " share on",
    " click here",
    " read more",
    " follow us",
    " advertise with us",
    " privacy policy",
    " terms of use",
    " terms of service",
    " thanks for reading",
    " leave a comment",
    " leave a reply",
    " download the app",
    " download our app",
    " related articles",
    " related stories",
    " related posts",
    " continue reading",
    " unlimited access",
    " already a subscriber",
    " free trial",
    " paid subscri",
    " skip to",
    " jump to",
    " photo:",
    " photograph:",
    " image:",
    " credit:",
    " getty images",
    " was this page helpful",
    " edit this page",
    " accept all",
    " you need to enable",
    "http://",
    "https://",
    " www.",
    "©",
)


def is_boilerplate(sentence: str) -> bool:
    """Interface chrome that slipped into the text: subscribe prompts, share bars, captions, URLs."""
    low = " " + sentence.lower().replace("’", "'")
    if any(map(low.__contains__, _BOILER_PHRASES)):  # map: no Python frame per phrase (hot on long pages)
        return True
    return not _BOILER_WORDS.isdisjoint(words(low))


_ENDS = re.compile(r"[.!?…。！？][\"'”’»)\]」』）]*$")


def is_content_sentence(sentence: str, *, require_end: bool = True) -> bool:
    """A sentence that states something: ends like a sentence, long enough, not chrome, mostly letters.

    ``require_end=False`` is for unpunctuated speech (auto captions), where no sentence has an end.
    """
    if require_end and not _ENDS.search(sentence):
        return False  # a title, heading, byline or menu line, not a statement
    if is_boilerplate(sentence):
        return False
    if _CJK.search(sentence):
        return 12 <= len(sentence) <= 200
    n_words = len(words(sentence))
    if not 6 <= n_words <= 70:
        return False
    letters = sum(map(str.isalpha, sentence))
    return letters >= 0.6 * len(sentence.replace(" ", ""))


def is_punctuated(text: str) -> bool:
    """Whether a text marks its sentence ends (auto-generated captions do not)."""
    n_words = len(text.split())
    return n_words < 30 or len(_ANY_END.findall(text)) * 40 >= n_words


_ANY_END = re.compile(r"[.!?。！？](?:\s|$)")


def speech_sentences(text: str, *, punctuated: bool = True, window: int = 25) -> list[str]:
    """Sentences of spoken text; unpunctuated captions are cut into ~``window``-word runs instead."""
    if punctuated:
        return split_sentences(text)
    tokens = one_line(text).split(" ")
    return [" ".join(tokens[i : i + window]) for i in range(0, len(tokens), window) if tokens[i]]


def has_little_text(sentences: Iterable[str], *, require_end: bool = True) -> bool:
    """Fewer than 3 content sentences, or under ~400 characters of them."""
    count = weight = 0
    for sentence in sentences:
        if is_content_sentence(sentence, require_end=require_end):
            count += 1
            weight += text_weight(sentence)
            if count >= LITTLE_TEXT_SENTENCES and weight >= LITTLE_TEXT_CHARS:
                return False
    return True


def is_little_text(markdown: str) -> bool:
    """Too little real prose to summarise (paywall teaser, JS shell, link farm): see ``has_little_text``."""
    return has_little_text(iter_sentences(markdown))


# --------------------------------------------------------------------------- HTML

_TITLE_SEPARATORS = (" | ", " - ", " — ", " – ", " · ", " :: ", "｜")


def _clean_title(title: str, h1: str | None, site: str | None) -> str:
    """Drop the site-name tail of a ``<title>`` ("Fresnel lens - Wikipedia" → "Fresnel lens")."""
    title = one_line(title)
    if h1:
        h1 = one_line(h1)
        for sep in _TITLE_SEPARATORS:
            if title.startswith(h1 + sep) or title.startswith(h1 + sep.strip()):
                return h1
    for sep in _TITLE_SEPARATORS:
        head, found, tail = title.rpartition(sep)
        if not found or not head:
            continue
        tail_key = tail.strip().casefold()
        site_key = (site or "").casefold()
        if tail_key and (
            tail_key in site_key or (site_key and site_key in tail_key) or tail_key == "wikipedia"
        ):
            return head.strip()
    return title


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _first_h1(tree: Any) -> str | None:
    for element in tree.iter("h1"):
        text = one_line(element.text_content())
        if text:
            return text
    return None


_BLOCKS_IN_CELL = ".//td//p|.//td//h1|.//td//h2|.//td//h3|.//td//div|.//td//article|.//td//ul"
_PROSE_IN_CELL = ".//td//p|.//td//h1|.//td//h2|.//td//h3|.//td//h4"
_CELLS = "./tbody|./thead|./tfoot|./tr|./*/tr|./tr/td|./*/tr/td|./tr/th|./*/tr/th"


def _unwrap_layout_tables(tree: Any) -> None:
    """Turn layout tables (old sites put the whole page in one) into divs so the article is prose.

    A data table has short cells; a layout table holds paragraphs and headings. Header cells alone
    do not make a data table (LWN lays its articles out in a table with ``<th>`` rows): a table
    with ``<th>`` is layout when its cells hold at least two paragraphs or headings.
    """
    for table in list(tree.iter("table")):
        if not table.xpath(_BLOCKS_IN_CELL):
            continue
        if table.find(".//th") is not None and len(table.xpath(_PROSE_IN_CELL)) < 2:
            continue
        for part in table.xpath(_CELLS):
            part.tag = "div"
        table.tag = "div"


_NOT_CONTENT_TAGS = ("script", "style", "svg", "template", "noscript")
_JSON_LD = "application/ld+json"
# The comment containers trafilatura itself prunes from the raw page when comments are off (its
# ``REMOVE_COMMENTS_AND_LISTS_XPATH``): an id or class that starts "comment" (not "commentary"), Disqus.
_COMMENT_ID = re.compile(r"^(?:[Cc]omment(?!ary)|comol)")
_COMMENT_BOX_ID = re.compile(r"^(?:disqus_thread|dsq-comments)")
_COMMENT_CLASS = re.compile(r"^[Cc]omment(?!ary)|(?:article|post)-comments")
_COMMENT_BOXES = ("div", "section", "details", "ol", "ul")
_FORUM_POST = re.compile(r"DiscussionForumPosting")


def _drop_non_content(tree: Any) -> None:
    """Remove scripts (JSON-LD and bare ``src`` ones kept: metadata), styles, inline SVG and reader comments, once.

    trafilatura drops all of them too, but it does so after copying the whole tree (twice) and after
    the metadata pass has scanned it, with XPath regexes over every element: on a 3 MB page with 2,200
    comments that was 60 % of the extraction. The comment rule is trafilatura's own (comments are off
    in :func:`_main_text`), so the text is the same; on a forum thread (schema.org
    ``DiscussionForumPosting``) the "comments" are the posts and stay, as trafilatura keeps them.
    """
    scripts = [e for e in tree.iter("script") if e.get("type") == _JSON_LD]
    if not any(_FORUM_POST.search(script.text or "") for script in scripts):
        gone: set[Any] = set()
        for box in [e for e in tree.iter(*_COMMENT_BOXES) if _is_comment_box(e)]:
            inside = not gone.isdisjoint(box.iterancestors())  # a reply in a thread already gone stays with it
            gone.add(box)  # marked either way: the walk up from a reply nested below it stops here
            if not inside:
                _remove(box)
    for element in [e for e in tree.iter(*_NOT_CONTENT_TAGS) if not _kept_script(e)]:
        _remove(element)


def _kept_script(element: Any) -> bool:
    """JSON-LD (metadata), and a script that only names its source: no code to walk, and the address says
    which engine made the page (``pagemeta``'s platform reads ``…/wp-includes/…`` from this same tree)."""
    if element.tag != "script":
        return False
    return element.get("type") == _JSON_LD or (bool(element.get("src")) and not (element.text or "").strip())


def _remove(element: Any) -> None:
    """Take an element out of the tree, keeping its tail text (the words after it)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        element.drop_tree()
    else:
        parent.remove(element)


def _is_comment_box(element: Any) -> bool:
    ident, klass = element.get("id"), element.get("class")
    if ident and (_COMMENT_ID.search(ident) or (element.tag not in ("ol", "ul") and _COMMENT_BOX_ID.search(ident))):
        return True
    return bool(klass and _COMMENT_CLASS.search(klass))


_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "details", "dialog", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "ul",
    }
)
_MIXED_CONTAINERS = ("div", "section", "article", "main", "td", "blockquote")


def _wrap_loose_text(tree: Any) -> None:
    """Give prose that sits loose between blocks its own paragraph, as a browser's anonymous block does.

    ``<div><div class=img>…</div> He was … when the <em>Miami New Times</em> reported …</div>``: trafilatura
    cuts such loose text at every inline element and trims the pieces, so the sentence came out as "when
    the¶*Miami New Times*reported". Wrapped in ``<p>`` (split at the block children) it is one paragraph.
    Only containers that mix block children with loose text are touched.
    """
    for container in list(tree.iter(*_MIXED_CONTAINERS)):
        children = list(container)
        if not any(child.tag in _BLOCK_TAGS for child in children):
            continue
        if not ((container.text or "").strip() or any((child.tail or "").strip() for child in children)):
            continue
        container[:] = _anonymous_paragraphs(container, children)


def _anonymous_paragraphs(container: Any, children: list[Any]) -> list[Any]:
    """The container's new children: its blocks as they are, each run of loose text and inline tags a ``<p>``."""
    rebuilt: list[Any] = []
    paragraph: Any = None
    for child in [None, *children]:  # None: the container's own leading text
        tail = container.text if child is None else child.tail
        if child is None:
            container.text = None
        else:
            child.tail = None
            if child.tag in _BLOCK_TAGS:
                paragraph = None
                rebuilt.append(child)
            else:
                if paragraph is None:
                    paragraph = container.makeelement("p", {})
                    rebuilt.append(paragraph)
                paragraph.append(child)
        if not tail or (paragraph is None and not tail.strip()):
            continue
        if paragraph is None:
            paragraph = container.makeelement("p", {})
            rebuilt.append(paragraph)
        if len(paragraph):
            paragraph[-1].tail = (paragraph[-1].tail or "") + tail
        else:
            paragraph.text = (paragraph.text or "") + tail
    return rebuilt


_SPACE_BEFORE_PUNCT = re.compile(r"(?<=\w)[ \t]+(?=[,.](?:\s|$))")


def _main_text(tree: Any, url: str, *, fast: bool = False) -> tuple[str, bool]:
    """The page's main text as markdown prose without link markup, by trafilatura's balanced default.

    Link markup glued links to the next word ("[Court](…)has") and broke sentences, so the text keeps
    only the link words. ``favor_recall`` pulls in sidebars and drops text on some pages, so it is only
    the fallback when the default finds little text. A space that source line breaks left before a
    comma or full stop ("Digitimes , we") is closed up. Returns the text and whether it is little text.
    ``fast`` skips trafilatura's comparison with its fallback extractors (readability, jusText), which
    costs more than the main extraction on multi-megabyte pages.
    """
    import trafilatura

    options: dict[str, Any] = {
        "url": url,
        "output_format": "markdown",
        "include_links": False,
        "include_comments": False,
        "include_tables": True,
        "with_metadata": False,
        "fast": fast,
    }
    markdown = _SPACE_BEFORE_PUNCT.sub("", (trafilatura.extract(tree, **options) or "").strip())
    little = is_little_text(markdown)
    if little and _page_text_weight(tree) >= LITTLE_TEXT_CHARS:  # else there is nothing more to recall
        recall = _SPACE_BEFORE_PUNCT.sub("", (trafilatura.extract(tree, favor_recall=True, **options) or "").strip())
        if len(recall) > len(markdown):
            markdown, little = recall, is_little_text(recall)
    return markdown, little


def _page_text_weight(tree: Any) -> int:
    body = tree.find(".//body")
    return text_weight(one_line((body if body is not None else tree).text_content()))


def extract_article(html: bytes | str, url: str, *, content_type_charset: str | None = None) -> Extracted:
    """Title, author, date, site and main text (markdown prose, link words without their URLs) of a web page.

    ``meta`` holds the description and what the page says about itself (``page_meta``: schema.org, Open
    Graph), read from the same parsed tree: a page is parsed once. Pages with almost no prose (paywall, JS
    shell) come back with ``little_text=True`` and whatever metadata exists, never with invented text.
    """
    import trafilatura
    from trafilatura.utils import load_html

    from bot.capture.pagemeta import page_titles, pick_title, tree_meta

    text_html = _XML_DECL.sub("", decode_bytes(html, content_type_charset), count=1)
    caps.check_markup(text_html)  # a tag with thousands of attributes is quadratic in lxml: refused first
    tree = load_html(text_html) if text_html.strip() else None
    if tree is None:
        return Extracted(url=url, title=url, little_text=True, problem="not an HTML page")
    _drop_non_content(tree)
    _unwrap_layout_tables(tree)
    _wrap_loose_text(tree)
    # htmldate's "extensive" search reads copyright lines and footers as dates; trust only markup.
    date_params = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%d"}
    try:
        meta = trafilatura.extract_metadata(tree, default_url=url, date_config=date_params)
        markdown, little = _main_text(tree, url, fast=len(text_html) > FAST_EXTRACTION_CHARS)
    except Exception as exc:  # a parser bug on one odd page must not take the capture down
        log.warning("trafilatura failed on %s: %s", url, exc)
        h1 = _first_h1(tree)
        return Extracted(url=url, title=h1 or url, little_text=True, problem="the page could not be read")
    site = one_line(meta.sitename or "") or None
    h1 = _first_h1(tree)
    title = pick_title(page_titles(tree)) or _clean_title(meta.title or h1 or "", h1, site) or url
    author = one_line(meta.author or "") or None
    extras: dict[str, Any] = {"description": meta.description} if meta.description else {}
    evidence = tree_meta(tree)  # schema.org / Open Graph, for the decay suggestion: from this one parse
    if not evidence.empty:
        extras["page_meta"] = evidence.as_dict()
    return Extracted(
        url=url,
        title=title,
        kind="article",
        author=author,
        site=site,
        published=_parse_date(meta.date),
        text=markdown,
        little_text=little,
        meta=extras,
    )


_FRONTMATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def extract_text_file(data: bytes, url: str, *, content_type_charset: str | None = None) -> Extracted:
    """A text/plain or text/markdown source: the text as-is; title from front matter, heading or line 1."""
    text = decode_bytes(data, content_type_charset).replace("\r\n", "\n").strip()
    title = ""
    front = _FRONTMATTER.match(text)
    if front:
        for line in front.group(1).splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "title":
                title = value.strip().strip("\"'")
        text = text[front.end() :].strip()
    if not title:
        for line in text.splitlines():
            line = line.strip()
            if line:
                candidate = line.lstrip("#").strip()
                if line.startswith("#") or len(candidate) <= 120:
                    title = candidate
                break
    if not title:
        title = url.rstrip("/").rsplit("/", 1)[-1] or url
    return Extracted(url=url, title=title, kind="article", text=text, little_text=is_little_text(text))
