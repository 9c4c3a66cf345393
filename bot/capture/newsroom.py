"""Does a page carry a newsroom's credit lines? Editors, reporters and wire agencies sign news, not manuals.

A news report is furniture as much as text: "责任编辑：王芳", "原标题：…", "本报记者 李明", "通讯员", "(dpa)",
"(Reuters) -", "Reporting by … Editing by …", "… contributed to this report", "mit Material von dpa",
"avec AFP", "staff writer", "(AP Photo/…)". An essay, a manual or an encyclopedia entry carries none of
them. This is evidence for the decay scorer (``decay_rules``) on pages whose markup says nothing, the common
case outside the English-speaking web. It reads the whole extracted text (credits close a report as often as
they open it) and, through ``pagemeta``, the page's visible furniture around the article.

Deliberately left out (they fire on manuals and essays in the labelled corpus): "Updated", "来源：" (a law text
reposted on a university site names its 来源 too), "correspondent" (a profile's subject may be one).
"""

from __future__ import annotations

import re

# (phrase, pattern, literal words one of which the pattern needs: a cheap test before the regex on long pages)
_CREDITS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    ("an editor's credit", re.compile(r"责任编辑\s*[:：]|编审\s*[:：]"), ("责任编辑", "编审")),
    ("the original headline of a syndicated report", re.compile(r"原标题\s*[:：]"), ("原标题",)),
    ("a reporter's credit", re.compile(
        r"(?:本报|本台|本网|新华社|中新社|澎湃新闻|新京报|央视新闻)?记者\s*[\u4e00-\u9fff]{2,3}(?=\s|[）)，,]|报道|摄)"
        r"|通讯员\s*[\u4e00-\u9fff]{2,3}"), ("记者", "通讯员")),
    ("a wire agency's credit", re.compile(
        r"\((?:AP|AFP|dpa|Reuters|APA|SDA|KNA|epd|OTS|UPI|ANSA|EFE|Xinhua|Bloomberg)\)"
        r"|(?<![\w-])dpa(?:/\w+)?(?![\w-])|\bavec (?:l')?AFP\b|\bmit Material (?:von|der|aus) \w+"),
     ("AP)", "AFP", "dpa", "Reuters)", "APA)", "SDA)", "KNA)", "epd)", "OTS)", "UPI)", "ANSA)", "EFE)", "Xinhua)",
      "Bloomberg)", "mit Material")),
    ("a newsroom's credit line", re.compile(
        r"\bcontributed (?:reporting )?to this (?:report|story|article)\b"
        r"|\b(?:(?:Additional )?[Rr]eporting|Editing|Writing) by [A-Z][\w.'-]+(?: [A-Z][\w.'-]+)?"
        r"|\b[Ss]taff (?:[Ww]riter|[Rr]eporter)\b|\bAssociated Press (?:writer|reporter)\b|\(AP Photo"),
     ("contributed", "eporting by", "Editing by", "Writing by", "taff ", "Associated Press", "AP Photo")),
)


def newsroom_credit(text: str) -> str | None:
    """The first newsroom credit in ``text``, in words for people (``"an editor's credit ('责任编辑：')"``)."""
    text = text or ""
    for phrase, pattern, needles in _CREDITS:
        if not any(needle in text for needle in needles):
            continue
        found = pattern.search(text)
        if found:
            return f"{phrase} ({found.group(0).strip()!r})"
    return None
