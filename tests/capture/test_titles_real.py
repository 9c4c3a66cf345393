"""Titles picked by agreement on saved real pages (tests/fixtures/decay_pages) whose markup adds site names,
breadcrumbs, photo credits or bylines to the headline; the expected titles are the headline the page shows."""

from __future__ import annotations

import pytest

from bot.capture.extract import extract_article
from tests.fixtures.decay_pages.corpus import page


@pytest.mark.parametrize(
    ("name", "title"),
    [
        # <title> "… » Local » Noticias » Ultima Hora Mallorca": breadcrumb arrows separate the site's path
        ("elmundo-infanta-imputacion", "Anticorrupción decidirá en Madrid si recurre la imputación de la Infanta"),
        # "… › Meedia"
        (
            "meedia-freenet-tv",
            "Einstieg ins TV-Geschäft: Wie Freenet Privatkunden für Antennen-TV in HD-Qualität gewinnen will",
        ),
        # <title>/JSON-LD "… （写真＝ロイター） ：日本経済新聞", og "…（写真＝ロイター）", <h1> "… 編集委員 中沢克二"
        ("nikkei-trump-xi", "米朝首脳直通電話 習氏に挑むトランプ戦術の成否"),
        # og and <h1> state the whole headline; <title> adds " / Boing Boing" after it
        ("boingboing-millennials", "Hating Millennials - the prejudice you're allowed to boast about"),
        # a full-width colon without a space before it belongs to the headline ("動画：…")
        ("afpbb-nigeria-attack", "動画：ナイジェリアで少女らによる自爆攻撃、ロケット弾も撃ち込まれ31人死亡"),
        # <title> "git-commit(1)", <h1> "git-commit(1) Manual Page": the label after the name is not the title
        ("git-commit", "git-commit(1)"),
        # Sphinx numbers the chapters of a numbered toctree: <h1> "3. Data model¶"; the reST source says "Data model"
        ("py-reference-datamodel", "Data model"),
        ("py-tutorial-floatingpoint", "Floating Point Arithmetic: Issues and Limitations"),
    ],
)
def test_the_headline_without_what_the_markup_adds(name: str, title: str) -> None:
    saved = page(name)
    assert extract_article(saved.html(), saved.url).title == title
