"""Does a page's text report an event? A report dates what happened to the days just before it was published.

A news report says when its event happened ("9月6日，公安部…", "WASHINGTON, Sept. 6 —", "on Friday",
"yesterday", "(Reuters) -"); an essay, a manual or an encyclopedia entry rarely names a day a few days before its own
publication date. This is evidence for the decay scorer (``decay_rules``) on pages whose markup says nothing
(no schema.org type, no og:type, no dated URL) — common on news sites outside the English-speaking web.

Only the opening of the text is read: the lead is where a report dates itself. A date that is the page's own
timestamp (followed by a clock time, after "published", "updated", "发布", "时间", alone on its line or in a
heading) is a byline, not an event.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

OPENING_CHARS = 1200  # the lead paragraph(s)
MAX_LAG_DAYS = 7  # an event reported up to a week after it happened

_MONTHS = {
    **{m: i for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)},
    "sept": 9, "januar": 1, "februar": 2, "märz": 3, "mai": 5, "juni": 6, "juli": 7, "oktober": 10,
    "dezember": 12, "janvier": 1, "février": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7, "août": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "enero": 1, "febrero": 2, "marzo": 3,
    "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8, "septiembre": 9, "octubre": 10,
    "noviembre": 11, "diciembre": 12,
}
_MONTH_WORD = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
               r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|mai|juni|juli"
               r"|oktober|dezember|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre"
               r"|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre"
               r"|diciembre)")
# (pattern, which groups are year, month, day; a month group may be a word)
_DATES: tuple[tuple[re.Pattern[str], tuple[int, int, int]], ...] = (
    (re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"), (1, 2, 3)),  # 2019年9月6日, 9月6日
    (re.compile(r"(?:(\d{4})\s*년\s*)?(\d{1,2})\s*월\s*(\d{1,2})\s*일"), (1, 2, 3)),  # 9월 6일
    (re.compile(r"(?<!\d)((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), (1, 2, 3)),  # 2019-09-06
    (re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2})(?![\d.]\d)"), (3, 2, 1)),  # 18.01.2018
    (re.compile(rf"\b{_MONTH_WORD}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+((?:19|20)\d{{2}}))?", re.I),
     (3, 1, 2)),  # Sept. 6, September 6, 2019
    (re.compile(rf"\b(\d{{1,2}})\.?\s+{_MONTH_WORD}\b\.?(?:\s+((?:19|20)\d{{2}}))?", re.I), (3, 2, 1)),  # 6 Sept
)
_BYLINE_BEFORE = re.compile(r"(publi\w*|updated?|posted|modified|last modified|发布\w*|更新\w*|时间|日期|来源|"
                            r"veröffentlicht|aktualisiert|stand|datum|mis à jour|publicado|actualizado|date)"
                            r"\W{0,4}$", re.I)
_CLOCK_AFTER = re.compile(r"^\W{0,3}(?:(?:at|um|à|a las)\s+)?\d{1,2}[:：h]\d{2}", re.I)  # "… 2020 at 08:45 AM"
_WIRE = re.compile(r"\((?:reuters|ap|afp|dpa|upi|xinhua|bloomberg)\)\s*[-—–]|\b(?:reuters|associated press|"
                   r"agence france-presse)\b\s*[-—–]|新华社\S{0,12}电|中新网\S{0,12}电|本报讯|记者\S{0,10}报道"
                   r"|\b(?:said|told|announced) on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
                   re.I)


_RELATIVE_DAY = re.compile(
    r"\b(?:on|last|this|late|early) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\byesterday\b"
    r"|\b(?:am|vom|seit) (?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)\b|\bgestern\b"
    r"|\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) (?:dernier|soir|matin)\b"
    r"|\b(?:el|este) (?:lunes|martes|miércoles|jueves|viernes|sábado|domingo)\b|\bayer\b"
    r"|\bthis week\b|\bdiese woche\b|\bcette semaine\b|\besta semana\b"
    r"|昨天|昨日|周[一二三四五六日]|星期[一二三四五六日天]|어제", re.I)


def report_cue(text: str, published: date | None) -> str | None:
    """Why the text reads as a report of an event, in words for people; ``None`` when it does not."""
    head = (text or "")[:OPENING_CHARS]
    if published is not None:
        for when, said in _dates(head, published):
            lag = (published - when).days
            if 0 <= lag <= MAX_LAG_DAYS:
                return f"a news report (dated {said})"
    wire = _WIRE.search(head)
    if wire:
        return f"a news report (dateline {wire.group(0).strip(' -—–')!r})"
    relative = _RELATIVE_DAY.search(head)
    if relative:
        return f"a news report (says {relative.group(0)!r})"
    return None


def _byline(head: str, match: re.Match[str]) -> bool:
    """The page's own timestamp, not an event: after "published"/"发布", before a clock time, alone on its
    line, or in a heading (a release's "On 2022-12-28", an episode's "for Friday, April 19")."""
    if _BYLINE_BEFORE.search(head[max(0, match.start() - 20):match.start()]):
        return True
    if _CLOCK_AFTER.match(head[match.end():match.end() + 16]):
        return True
    line = head[head.rfind("\n", 0, match.start()) + 1:].split("\n", 1)[0].strip()
    rest = line.replace(match.group(0), "", 1)
    return line.startswith("#") or not re.search(r"\w", rest)


def _dates(head: str, published: date) -> list[tuple[date, str]]:
    """Calendar dates named in ``head`` (a missing year is the publication's, or the year before)."""
    found: list[tuple[date, str]] = []
    for pattern, (y, m, d) in _DATES:
        for match in pattern.finditer(head):
            if _byline(head, match):
                continue
            month_text = match.group(m)
            month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower().rstrip("."), 0)
            if not month_text.isdigit() and month == 0:
                month = _MONTHS.get(month_text.lower()[:3], 0)
            try:
                day = int(match.group(d))
                year = int(match.group(y)) if match.group(y) else published.year
                when = date(year, month, day)
            except (TypeError, ValueError):
                continue
            if not match.group(y) and when > published + timedelta(days=1):
                try:
                    when = when.replace(year=year - 1)
                except ValueError:
                    continue
            found.append((when, match.group(0).strip()))
    return found
