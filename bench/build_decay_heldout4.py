"""Copy the fourth, blind held-out set ("heldout4") into tests/fixtures/decay_pages and append its labels.

Run by hand once; kept as the record of where each page came from, of the selection rule and of the labels
written by reading each page. Tests never run it.

    apt-get download vim-doc && dpkg-deb -x vim-doc_*.deb DEB_ROOT
    python bench/build_decay_heldout4.py COPIES_DIR DEB_ROOT

Protocol and selection rule: docs/decisions.md, "A blind fourth held-out set for the decay suggestion". The web
pages are test fixtures of two repositories that no package ships (mozilla/readability's test pages and the
pages trafilatura's GitHub tests/cache gained after its last sdist with a cache), copied as text from the search
tool's index, 16,000 characters a read, into COPIES_DIR/NAME.html; each copy is checked here against the
length the index gave and the sha256 taken when it was copied. A page that declares a legacy charset is
written back in that charset (the index holds text, the capture reads bytes as a server sends them); otherwise
as UTF-8. The Vim pages are the first six chapters of the "Basic editing" list of Vim 9.0's reference manual.
"""
import re
import sys
from pathlib import Path

RD = "mozilla/readability"
TF = "adbar/trafilatura"
RD_LIC = "repository Apache-2.0; page (c) its publisher, saved by the readability authors as a test fixture"
TF_LIC = ("repository Apache-2.0 (GPL-3.0-or-later before 1.8); page (c) its publisher, saved by the trafilatura"
          " authors as a test fixture")
VIM_LIC = "Vim licence (charityware, GPL-compatible); Debian vim-doc 9.0.1378-2+deb12u2"

# (name, repo, path, commit, characters, sha256 of the copy) — the labels follow in LABELS
COPIES: list[tuple[str, str, str, str, int, str]] = [
    ("rd-france24-1", RD, "test/test-pages/france24-1/source.html", "61dc9b64b4eafdfe7fb8c2b1dc30b7911efa1d24", 147984,
     "93e3e3debc0161385a9ff58a3a0cde5d6c47dabf585aac043cf8a69f5ec794c9"),
    ("rd-gmw", RD, "test/test-pages/gmw/source.html", "c72e514c518428a90f18249aaf14a975ed95e8a7", 134867,
     "9dae2c47570271a0a532ccc4880b10b5ec837b67239a287455a6b9e19e00b3b7"),
    ("rd-herald-sun-1", RD, "test/test-pages/herald-sun-1/source.html", "0f147374b765443d7510b865db703479098f9c0e", 62020,
     "5d6a12bce90c32af0c3a4160c64df34cd01087e150ab9796f42efbb714dfd650"),
    ("rd-la-nacion", RD, "test/test-pages/la-nacion/source.html", "db15e5a37ef9ecb012b91d5ff213d7b2602654ee", 63202,
     "82111daedd6e01d6c706c2f1091788de233d9153d76ff490df6ce00fc6cc8240"),
    ("rd-lemonde-1", RD, "test/test-pages/lemonde-1/source.html", "b8252e4a9973b746effbdd10c5f375b9197b0570", 86694,
     "9d0cc46bc4f24f0645d993cbb29014615cc3d60aafd2f5ecd2220a9383e8f993"),
    ("rd-liberation-1", RD, "test/test-pages/liberation-1/source.html", "0f147374b765443d7510b865db703479098f9c0e", 140236,
     "011213972372d76ca32450ef30828e8996e350e64119a878d31b1b82c7eb5ee6"),
    ("rd-tmz-1", RD, "test/test-pages/tmz-1/source.html", "b8252e4a9973b746effbdd10c5f375b9197b0570", 92217,
     "26e953a225a4bf99b1c8cdc5ea26f3cb9bfef7016cab68982e6d88db0f64565f"),
    ("tf-eluniverso-repatriar", TF, "tests/cache/eluniverso.com.repatriar.html", "006051358f314c7beb60b5f5ec6f8922894a5a26", 147659,
     "009b27bcde8de2061bc2029a605198dceedf6fe743495d2527b38c8ab4262e67"),
    ("tf-heise-marsmenschen", TF, "tests/cache/heise.de.marsmenschen.html", "f9721a8ec3ff354f224cfc0797e304231b9dce86", 144251,
     "53ade334526c1e28cc1bdd5eca03077fa167d909218ace2eeadfc349c3252635"),
    ("tf-infobae-terremoto", TF, "tests/cache/infobae.com.terremoto.html", "006051358f314c7beb60b5f5ec6f8922894a5a26", 117318,
     "18d4ed18ee48038d7f51873c5ac168e5b95ec1ea24cb2fe833b95a50dd8afa2c"),
    ("tf-kulu-meta-outage", TF, "tests/cache/kulu-media.com.meta-outage.html", "db9ee363d20e3187139ad464d3a302baef7b7209", 76029,
     "74d0498c10eb8f1778fcf721ae5dcb9686c116162f5024c02fc233898a535f0e"),
    ("tf-sueddeutsche-genderdebatte", TF, "tests/cache/sueddeutsche.de.genderdebatte.html", "0e1265baf136b5af59848cdd527de2d2613a62ef", 130130,
     "78f13b07e7683f4af2515320a5553bd6b3180670e624d3f93059e9b59a4172e5"),
]
# name -> (url, rate, category, url_from, why), as written by the person who read the page
LABELS: dict[str, tuple[str, str, str, str, str]] = {
    "rd-france24-1": ('http://www.france24.com/en/20150512-bangladesh-third-blogger-hacked-death',
        "fast", "news", "page", "a France 24 wire report (2015-05-12) of a blogger's killing in Bangladesh: a dated event whose facts move on within weeks"),
    "rd-gmw": ('http://tech.gmw.cn/2017-03/10/content_23937776.htm',
        "medium", "feature", "reconstructed", 'a popular-science feature (gmw.cn, 2017-03-10, reprinted from NetEase) on why astronauts may not drink in space, mixing history with current NASA/ISS rules: holds for months, rules and experiments move on'),
    "rd-herald-sun-1": ('http://www.heraldsun.com.au/news/opinion/angry-media-wont-buckle-over-new-surveillance-laws/story-fni0fha6-1227261886014',
        "medium", "opinion", "page", "a political columnist's view (Laurie Oakes, 13 Mar 2015) on the data retention bill and press freedom: opinion on a current debate, ages in months"),
    "rd-la-nacion": ('http://www.lanacion.com.ar/2089096-una-solucion-no-violenta-para-la-cuestion-mapuche',
        "medium", "opinion", "page", 'a guest opinion column (Malamud & Schapiro, 7 Dec 2017) arguing for a non-violent answer to the Mapuche conflict: opinion on a current debate, ages in months'),
    "rd-lemonde-1": ('http://www.lemonde.fr/pixels/article/2015/05/04/que-contient-la-loi-sur-le-renseignement_4627068_4408996.html',
        "fast", "news", "page", 'a dated Le Monde report (4-5 May 2015) of the Assemblee vote on the intelligence bill and its provisions, before Senate and Constitutional Council review: the facts move on within weeks'),
    "rd-liberation-1": ('http://www.liberation.fr/monde/2015/04/30/un-troisieme-francais-mort-dans-le-seisme-au-nepal_1278483',
        "fast", "news", "page", 'an AFP wire report (30 April 2015) of a third French death in the Nepal earthquake, with casualty and repatriation counts: the facts move on within days'),
    "rd-tmz-1": ('http://www.tmz.com/2015/02/26/lupita-nyongo-pearl-dress-stolen-oscars/',
        "fast", "news", "page", "a dated celebrity-news report (TMZ, 26 Feb 2015, with a same-day update) of Lupita Nyong'o's Oscar dress being stolen: the story moves on within days"),
    "tf-eluniverso-repatriar": ('https://www.eluniverso.com/noticias/seguridad/kenia-brindara-apoyo-para-repatriar-restos-de-michele-sensi-contugi-y-su-esposa-tras-accidente-de-helicoptero-nota/',
        "fast", "news", "page", "a dated newsroom report (24 Aug 2026) that Kenya will help repatriate the remains of Ecuador's intelligence chief after a helicopter crash: the facts move on within weeks"),
    "tf-heise-marsmenschen": ('https://www.heise.de/newsticker/meldung/Zahlen-bitte-100-scheinbare-Kanaele-die-den-Hype-um-Marsmenschen-ausloesten-4438438.html',
        "slow", "feature", "page", "a heise 'Zahlen, bitte!' column piece (2019-06-05) retelling the history of Schiaparelli's 1877 Mars canals: history that holds for years"),
    "tf-infobae-terremoto": ('https://www.infobae.com/colombia/2026/08/24/terremoto-sacudio-el-bolsillo-de-los-colombianos-el-consumo-cayo-89-tras-el-fuerte-sismo-del-10-de-agosto/',
        "fast", "news", "page", 'a dated Infobae newsroom report (24 Aug 2026) of Bancolombia card data showing consumption fell 8.9% the week of the 10 August earthquake, with running casualty counts: the figures move on within weeks'),
    "tf-kulu-meta-outage": ('https://kulu-media.com/meta-outage-hits-facebook-instagram-and-messenger/',
        "fast", "news", "page", 'a news-desk report (12 Jun 2026) of a Meta outage still unfolding, cause unknown: the facts move on within days'),
    "tf-sueddeutsche-genderdebatte": ('https://www.sueddeutsche.de/kultur/genderdebatte-tief-in-der-sprache-lebt-die-alte-geschlechterordnung-fort-1.4003975',
        "medium", "opinion", "page", 'a guest op-ed (SZ, 7 June 2018) by two linguists arguing for gender-fair language on the eve of the Rechtschreibrat meeting: opinion on a current debate, ages over months'),
}

VIM = [(chapter, f"vim-ref-{chapter}") for chapter in ("starting", "editing", "motion", "scroll", "insert", "change")]
VIM_WHY = {
    "starting": "Vim's reference manual on starting Vim (arguments, vimrc, sessions): stable for decades",
    "editing": "Vim's reference manual on editing files (buffers, arglist, writing): stable for decades",
    "motion": "Vim's reference manual on cursor motions and operators: stable for decades",
    "scroll": "Vim's reference manual on scrolling commands: stable for decades",
    "insert": "Vim's reference manual on Insert mode: stable for decades",
    "change": "Vim's reference manual on changing text (delete, replace, shift, format): stable for decades",
}

_CHARSET = re.compile(r"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)


def page_bytes(text: str) -> bytes:
    """The page as a server would send it: in the charset it declares, if that can hold it."""
    declared = _CHARSET.search(text[:4096])
    if declared and declared.group(1).lower() not in ("utf-8", "utf8"):
        try:
            return text.encode(declared.group(1))
        except (LookupError, UnicodeEncodeError):
            pass
    return text.encode("utf-8")


def rows(copies: Path, debs: Path):
    import hashlib
    for name, repo, path, commit, chars, sha in COPIES:
        text = (copies / f"{name}.html").read_text(encoding="utf-8")
        assert len(text) == chars, (name, len(text), chars)
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == sha, name
        url, rate, cat, url_from, why = LABELS[name]
        lic = RD_LIC if repo == RD else TF_LIC
        yield (name, page_bytes(text), url, rate, cat, url_from,
               f"{repo} @ {commit[:12]} {path} (search index copy)", lic, why)
    for chapter, name in VIM:
        raw = (debs / "usr/share/doc/vim/html" / f"{chapter}.html").read_bytes()
        yield (name, raw, f"https://vimhelp.org/{chapter}.txt.html", "slow", "reference", "upstream",
               f"Debian vim-doc 9.0.1378 /usr/share/doc/vim/html/{chapter}.html", VIM_LIC, VIM_WHY[chapter])


def main(copies: str, debs: str) -> None:
    from build_decay_heldout2 import append_split  # run as a script: bench/ is on the path

    append_split("heldout4", rows(Path(copies), Path(debs)))


if __name__ == "__main__":
    main(*sys.argv[1:3])
