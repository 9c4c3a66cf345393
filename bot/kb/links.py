"""URL identity: one canonical form per work (the key note ids derive from), and which URLs are capturable.

The canonical form is an *identity key* for duplicate detection, not a URL to fetch; fetch what the
user posted (see ``bot.capture.fetch``).

Decisions:

- ``http`` and ``https`` are treated as the same work: the canonical form is always ``https``. Sites that
  serve different content on the two schemes are vanishingly rare, while the same article shared once as
  ``http://`` and once as ``https://`` is common.
- Userinfo (``user:pw@``) and fragments are dropped; a default port (80, 443) is dropped.
- Only the tracking parameters ``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``mc_eid`` and ``ref_src`` are
  removed; any other parameter may select content, so it is kept (sorted, percent-encoding normalised).
- YouTube videos become ``https://www.youtube.com/watch?v=ID`` with no other parameter (a ``t=`` start time
  or ``list=`` does not change which video it is). arXiv ``abs``/``pdf``/``html`` pages become
  ``https://arxiv.org/abs/ID`` keeping an explicit version, since ``v1`` and ``v2`` can differ materially.
- ``canonical_url`` never raises: input that is not an http(s) URL is returned stripped but unchanged.
- DOI links (``doi.org``, ``dx.doi.org``) become ``https://doi.org/<doi in lower case>`` (DOIs are
  case-insensitive), and ``doi:10.…`` written in a message's text counts as a link to it.
- ``courlan`` is not used: its normaliser has its own heuristics (and changes between releases), while
  an identity key must be exactly reproducible; ``urllib.parse`` gives that control.
"""

from __future__ import annotations

import re
import string
from urllib.parse import SplitResult, parse_qs, quote, unquote_plus, urlsplit

from bot.kb.doi import clean_doi, doi_url, valid_doi

__all__ = ["arxiv_id", "canonical_url", "idna_host", "is_capturable_url", "youtube_id"]

_TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "ref_src"})
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"


_YT_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YT_PATH_PREFIXES = frozenset({"shorts", "embed", "live", "v", "e"})
_YT_NOT_IDS = frozenset({"videoseries"})
_ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
_ARXIV_PATH = re.compile(
    r"/(?:abs|pdf|html)/"
    r"(?P<id>\d{4}\.\d{4,5}|[A-Za-z-]+(?:\.[A-Z]{2})?/\d{7})"
    r"(?P<v1>v\d+)?(?:\.pdf)?(?P<v2>v\d+)?/?"
)
# Registered names (after IDNA) with RFC 3986 sub-delims, or an IPv6 literal (brackets already removed).
_HOST = re.compile(r"[a-z0-9._~%!$&'()*+,;=-]+|[0-9a-f:.]+(?:%[a-z0-9._~-]+)?")


def idna_host(host: str) -> str:
    """Lowercase ASCII (punycode) form of a hostname, so ``Bücher.de`` and ``xn--bcher-kva.de`` match.

    Raises ``ValueError`` when the name cannot be encoded. Uses the ``idna`` package (IDNA 2008 with UTS 46
    mapping) when installed, else Python's IDNA 2003 codec.
    """
    host = host.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        import idna
    except ImportError:  # pragma: no cover - idna is normally installed alongside requests
        pass
    else:
        try:
            return idna.encode(host, uts46=True).decode("ascii")
        except (UnicodeError, ValueError):
            pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"invalid hostname: {host!r}") from exc


def youtube_id(url: str) -> str | None:
    """The 11-character video id of any YouTube video URL form, else None (playlists, channels...)."""
    parts = _split(url)
    if parts is None:
        return None
    host = (parts.hostname or "").rstrip(".")
    segments = [s for s in parts.path.split("/") if s]
    candidate: str | None = None
    if host in ("youtu.be", "www.youtu.be"):
        candidate = segments[0] if segments else None
    elif _is_domain(host, "youtube.com") or _is_domain(host, "youtube-nocookie.com"):
        if segments[:1] == ["watch"]:
            values = parse_qs(parts.query).get("v")
            candidate = values[0] if values else None
        elif len(segments) >= 2 and segments[0] in _YT_PATH_PREFIXES:
            candidate = segments[1]
    if candidate and candidate not in _YT_NOT_IDS and _YT_ID.fullmatch(candidate):
        return candidate
    return None


def arxiv_id(url: str) -> str | None:
    """The arXiv identifier (with ``vN`` if the URL names a version) of an abs/pdf/html URL, else None."""
    parts = _split(url)
    if parts is None or (parts.hostname or "").rstrip(".") not in _ARXIV_HOSTS:
        return None
    match = _ARXIV_PATH.fullmatch(parts.path)
    if match is None or (match["v1"] and match["v2"]):
        return None
    return match["id"] + (match["v1"] or match["v2"] or "")


def canonical_url(url: str) -> str:
    """The identity key of a URL: two URLs for the same work map to the same string (see module doc)."""
    raw = url.strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return raw
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return raw
    if video := youtube_id(raw):
        return f"https://www.youtube.com/watch?v={video}"
    if paper := arxiv_id(raw):
        return f"https://arxiv.org/abs/{paper}"
    if (parts.hostname or "").lower().rstrip(".") in _DOI_HOSTS:
        doi = clean_doi(parts.path.lstrip("/"))
        if valid_doi(doi):
            return doi_url(doi)  # DOIs are case-insensitive: one work, one key
    try:
        host = idna_host(parts.hostname)
    except ValueError:
        return raw
    if not _HOST.fullmatch(host):
        return raw
    if ":" in host:
        host = f"[{host}]"
    default_port = 80 if scheme == "http" else 443
    netloc = host if port in (None, default_port, 443) else f"{host}:{port}"
    path = _remove_dot_segments(_normalise_escapes(parts.path or "/", _PATH_SAFE))
    if path != "/":
        path = path.rstrip("/") or "/"
    query = _canonical_query(parts.query)
    return f"https://{netloc}{path}" + (f"?{query}" if query else "")


def _split(url: str) -> SplitResult | None:
    """urlsplit that tolerates a missing scheme (``youtu.be/ID``) and never raises."""
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return None
    return parts


def _is_domain(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _normalise_escapes(value: str, safe: str) -> str:
    """Encode what must be, upper-case escapes, decode needless ones, so ``%7e``, ``~`` and ``%7E`` agree."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PCT.sub(fix, quote(value, safe=safe))


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4 on an absolute path, so ``/a/./b/../c`` equals ``/a/c``."""
    if "." not in path:
        return path
    segments = path.split("/")
    out: list[str] = []
    for segment in segments:
        if segment == ".":
            continue
        if segment == "..":
            if len(out) > 1:
                out.pop()
            continue
        out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")
    return "/".join(out) or "/"


def _canonical_query(query: str) -> str:
    """Drop tracking parameters and sort the rest; pieces are kept verbatim otherwise (``a`` != ``a=``)."""
    kept: list[tuple[str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        piece = _normalise_escapes(piece, _QUERY_SAFE)
        key = unquote_plus(piece.partition("=")[0]).lower()
        if key.startswith("utm_") or key in _TRACKING_PARAMS:
            continue
        kept.append((key, piece))
    return "&".join(piece for _, piece in sorted(kept))


def is_capturable_url(url: str) -> bool:
    """An http(s) URL with a host, and not one of Slack's own file links (those need a token, not a fetch)."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return False
    try:
        host = idna_host(parts.hostname or "")
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not host or not _HOST.fullmatch(host):
        return False
    if host == "files.slack.com" or _is_domain(host, "slack-files.com"):
        return False
    return not (_is_domain(host, "slack.com") and parts.path.startswith(("/files/", "/files-pri/")))
