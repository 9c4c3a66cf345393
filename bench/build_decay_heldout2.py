"""Copy the second, blind held-out set ("heldout2") into tests/fixtures/decay_pages and append its labels.

Run by hand once, after unpacking the named packages; kept as the record of where each page came from, of the
selection rule and of the hand-written labels. Tests never run it.

    pip download --no-deps --no-binary :all: gne==0.4.3 papis==0.16.1     # then unpack both sdists
    apt-get download cppreference-doc-en-html postgresql-doc-15 r-doc-html apache2-doc debian-reference-en
    dpkg-deb -x <each .deb> <its own folder>
    python bench/build_decay_heldout2.py GNE_DIR PAPIS_DIR DEB_ROOT

Protocol (see docs/decisions.md, "A blind second held-out set"): the pages were chosen by a rule fixed before
any was read, labelled by reading them, and committed with their labels *before* the suggester ever ran on
them. Selection rule:

- GNE 0.4.3 (PyPI sdist): every saved page under tests/, visiable_test/ and test_list_page/, except the
  project's own site (site/index.html) and repeated saves of one article (tests/thepaper/4.html and
  visiable_test/thepaper/1.html are tests/thepaper/2.html again). Mostly Chinese news, some other kinds.
- papis 0.16.1 (PyPI sdist), tests/downloaders/resources: the first page (by file name) of each publisher
  whose page carries citation_* meta tags: paper landing pages.
- Debian doc packages never used before: six cppreference pages (the C/C++ reference, a MediaWiki
  encyclopedia of the language), five PostgreSQL 15 manual pages, two R manuals, the Apache httpd glossary
  and chapter 1 of the Debian Reference, picked by topic from the file lists.

URLs: the address the page states about itself (canonical link, og:url, citation_abstract_html_url, the
mobile-agent address, or a share, login or script link carrying its own address) with url_from=page. A page
that names only its site gets that site's host (the host most of its own links point to, or the site it
names) and a neutral placeholder path, url_from=site-only: no date, no section word, so the URL tells the
scorer nothing the page does not. Debian documentation gets the upstream address of the same page
(url_from=upstream).
"""
import csv
import gzip
import sys
from pathlib import Path

GNE_LIC = ("package metadata MIT, LICENSE file GPL-3.0; pages (c) their publishers, saved by the GNE authors as "
           "test fixtures")
PAPIS_LIC = "package GPL-3.0-or-later; pages (c) their publishers, saved by the papis authors as test fixtures"
F, M, SL = "fast", "medium", "slow"
NEWS = "a dated news report of an event: the facts move on within weeks"

# (name, fixture path in the GNE sdist, url or None, url_from, rate, category, why)
GNE = [
 ("gne-163-longfor-risks", "tests/163/1.html", "https://news.163.com/gne-163-1.html", "site-only", F, "news", "a developer's half-year results and buyers' protests: next results replace the figures"),
 ("gne-163-yao-zhou-qi", "tests/163/2.html", "https://news.163.com/gne-163-2.html", "site-only", F, "news", "a match report from a running tournament"),
 ("gne-163-future-science-prize", "tests/163/3.html", "https://news.163.com/gne-163-3.html", "site-only", F, "news", "this year's prize winners: next year's list replaces the story"),
 ("gne-163-5g-chips", "tests/163/4.html", "https://news.163.com/gne-163-4.html", "site-only", F, "news", "the 5G chip race before a launch: products and standings change within weeks"),
 ("gne-163-police-phone-cut", "tests/163/5.html", "https://news.163.com/gne-163-5.html", "site-only", M, "opinion", "a signed comment on this week's incident: the argument holds for months"),
 ("gne-163-sos-note", "tests/163/6.html", "https://news.163.com/gne-163-6.html", "site-only", F, "news", NEWS),
 ("gne-163-amazon-pinduoduo", "tests/163/7.html", "https://news.163.com/gne-163-7.html", "site-only", F, "news", "a retail tie-up announced for a sales season"),
 ("gne-163-covid-zoning", "tests/163/8.html", "https://news.163.com/gne-163-8.html", "site-only", F, "news", "an epidemic-control notice: superseded by the next notice within weeks"),
 ("gne-163-motorway-closure", "tests/163/9.html", "https://www.163.com/gne-163-9.html", "site-only", F, "news", "a road closure for given dates: void once the works end"),
 ("gne-baijiahao-mermaid", "tests/baijiahao/1.html", "https://baijiahao.baidu.com/gne-baijiahao-1.html", "site-only", M, "feature", "a human-interest profile of one woman's career change: holds for months"),
 ("gne-baijiahao-last-pager", "tests/baijiahao/2.html", "https://baijiahao.baidu.com/gne-baijiahao-2.html", "site-only", F, "news", "a service shutdown reported on the day"),
 ("gne-baijiahao-trousers", "tests/baijiahao/3.html", "https://baijiahao.baidu.com/gne-baijiahao-3.html", "site-only", F, "product", "an advertorial for trousers: stock and offers turn over within weeks"),
 ("gne-baijiahao-guzheng", "tests/baijiahao/4.html", "https://baijiahao.baidu.com/gne-baijiahao-4.html", "site-only", M, "feature", "a profile of a young musician: holds for months"),
 ("gne-cjddsb-finance-month", "tests/cjddsb/1.html", None, "page", F, "news", "a local event report from a campaign month"),
 ("gne-cjn-wuhan-holiday", "tests/cjn/1.html", "https://news.cjn.cn/gne-cjn-1.html", "site-only", F, "news", "a round-up of this week's foreign coverage"),
 ("gne-cmse-docking-briefing", "tests/cmse/1.html", "http://www.cmse.gov.cn/gne-cmse-1.html", "site-only", F, "news", "a press briefing during a space mission: the mission's status moves within days"),
 ("gne-csdn-kcon-forum", "tests/csdn/1.html", "https://www.csdn.net/gne-csdn-1.html", "site-only", F, "news", "an event report with a product launch"),
 ("gne-ednchina-ai-chip", "tests/ednchina/1.html", "https://www.ednchina.com/news/201909251301.html", "page", F, "news", "a chip launch with 'fastest in the world' figures: overtaken within months"),
 ("gne-gamersky-nishuihan", "tests/gamersky/gamersky.html", None, "page", F, "news", "this week's update of an online game"),
 ("gne-gsc-geography-meeting", "tests/gsc/1.html", "http://www.gsc.org.cn/gne-gsc-1.html", "site-only", F, "news", "a society's report of this year's conference"),
 ("gne-guancha-ic-imports", "tests/guancha/2.html", None, "page", F, "news", "last year's trade figures and a speech: the next year's data replace them"),
 ("gne-guancha-apple-labour", "tests/guancha/3.html", None, "page", F, "news", "a company's answer to this week's allegations"),
 ("gne-guancha-trade-war-column", "tests/guancha/guancha.html", None, "page", M, "opinion", "a columnist's view of the trade dispute: holds while the dispute lasts, months"),
 ("gne-gzggw-deqing-investment", "tests/gzggw/1.html", "http://www.deqing.gov.cn/gne-gzggw-1.html", "site-only", F, "news", "January-October investment figures: replaced by the next month's"),
 ("gne-hexun-jingjinji-transport", "tests/hexun/1.html", None, "page", F, "news", "a ministry briefing reported the same day"),
 ("gne-huanqiu-ipac", "tests/huanqiu/1.html", "https://www.huanqiu.com/gne-huanqiu-1.html", "site-only", F, "news", "a new alliance formed today and its members"),
 ("gne-ifeng-paper-in-eyes", "tests/ifeng/1.html", None, "page", F, "news", "an investigation still under way"),
 ("gne-ifeng-principal-profile", "tests/ifeng/2.html", None, "page", M, "feature", "a profile of a school principal: holds for months"),
 ("gne-ifeng-changchun-livestream", "tests/ifeng/3.html", None, "page", F, "advertorial", "a sponsored piece on a month-long sales campaign"),
 ("gne-ifeng-host-apology", "tests/ifeng/ifeng.html", None, "page", F, "news", "celebrity news of last night"),
 ("gne-mingridapan-unctad", "tests/mingridapan/1.html", "http://www.mingridapan.com/gne-mingridapan-1.html", "site-only", F, "news", "a growth forecast: revised at the next report"),
 ("gne-njxfhn-fraud-ring", "tests/njxfhn/1.html", None, "page", F, "news", NEWS),
 ("gne-govcn-2007-resolution", "tests/other/1.html", "https://www.gov.cn/gne-other-1.html", "site-only", SL, "legal", "a 2007 resolution in the state gazette: a settled record (the save holds its title only)"),
 ("gne-people-father-poems", "tests/people/1.html", "http://culture.people.com.cn/gne-people-1.html", "site-only", SL, "essay", "classical poems about fathers with commentary: nothing in it dates"),
 ("gne-qq-data-crackdown", "tests/qq/2.html", "https://new.qq.com/gne-qq-2.html", "site-only", F, "news", "a regulatory crackdown in progress"),
 ("gne-qq-childrens-song", "tests/qq/qq.html", "https://new.qq.com/gne-qq-3.html", "site-only", F, "news", "a viral screenshot and the composer's family's reaction this week"),
 ("gne-readhub-5g-subsidies", "tests/readhub/readhub.html", None, "page", F, "news", "operators' promotion rules leaked yesterday"),
 ("gne-shanxi-silk-road-brazil", "tests/shanxi/1.html", "http://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml", "page", F, "news", "a provincial delegation's event abroad"),
 ("gne-sina-chinese-parks", "tests/sina/1.html", None, "page", M, "feature", "a soft story on a foreigner's video about parks: holds for months"),
 ("gne-sina-12306-leak-denial", "tests/sina/2.html", None, "page", F, "news", "a data-leak rumour and its denial the same day"),
 ("gne-sina-bond-bubble", "tests/sina/3.html", None, "page", F, "news", "investment chiefs' market views: stale with the next market move"),
 ("gne-sina-iphone-11-prices", "tests/sina/4.html", None, "page", F, "news", "launch prices of a new phone"),
 ("gne-sina-chan-tong-kai-release", "tests/sina/5.html", None, "page", F, "news", NEWS),
 ("gne-sina-kirin-990", "tests/sina/sina.html", None, "page", F, "news", "a chip launch and the race against rivals' dates"),
 ("gne-stcn-midday-notices", "tests/stcn/1.html", "http://kuaixun.stcn.com/2019/0926/15409036.shtml", "page", F, "news", "the day's company announcements"),
 ("gne-sxmu-supervision-law", "tests/sxmu/1.html", "http://www.sxmu.edu.cn/gne-sxmu-1.html", "site-only", SL, "legal", "the full text of a national law: changes only by amendment, years apart"),
 ("gne-thepaper-power-bank-prices", "tests/thepaper/1.html", "https://www.thepaper.cn/gne-thepaper-1.html", "site-only", F, "news", "rental prices this month"),
 ("gne-thepaper-nansha-cruise-port", "tests/thepaper/2.html", "https://www.thepaper.cn/gne-thepaper-2.html", "site-only", F, "news", "an opening date and routes announced ahead"),
 ("gne-thepaper-xi-qiushi-article", "tests/thepaper/3.html", "https://www.thepaper.cn/gne-thepaper-3.html", "site-only", M, "news", "a summary of a policy article: what it says stays, its relevance fades over months"),
 ("gne-thepaper-lancet-smell-loss", "tests/thepaper/5.html", "https://www.thepaper.cn/gne-thepaper-5.html", "site-only", F, "news", "an early-pandemic finding: overtaken by later studies within weeks"),
 ("gne-toutiao-mongolia-photos", "tests/toutiao/2.html", "https://www.toutiao.com/gne-toutiao-2.html", "site-only", SL, "feature", "a photo story on a country's food and tourism: changes slowly"),
 ("gne-toutiao-missing-boy", "tests/toutiao/3.html", "https://www.toutiao.com/gne-toutiao-3.html", "site-only", F, "news", "a search still under way"),
 ("gne-toutiao-cold-wave", "tests/toutiao/4.html", "https://www.toutiao.com/gne-toutiao-4.html", "site-only", F, "news", "a weather forecast: stale within days"),
 ("gne-toutiao-courier-promoted", "tests/toutiao/5.html", "https://www.toutiao.com/gne-toutiao-5.html", "site-only", M, "feature", "a profile of a courier honoured in the epidemic: holds for months"),
 ("gne-toutiao-freecell-quest", "tests/toutiao/toutiao.html", "https://www.toutiao.com/gne-toutiao-6.html", "site-only", M, "review", "a game's presentation with its price and missing translation: right until updates, months"),
 ("gne-wechat-galaxy-s20", "tests/wechat/1.html", "https://mp.weixin.qq.com/gne-wechat-1.html", "site-only", F, "news", "a phone launch with specifications and regional versions"),
 ("gne-wechat-python-exitstack", "tests/wechat/2.html", None, "page", SL, "tutorial", "a Python tip on a stable standard-library class"),
 ("gne-eastmoney-midday-roundup", "tests/xds/1.html", "https://fund.eastmoney.com/gne-xds-1.html", "site-only", F, "news", "a market round-up of one trading day"),
 ("gne-xinhuanet-france-strike", "tests/xinhuanet/1.html", "http://www.xinhuanet.com/gne-xinhuanet-1.html", "site-only", F, "news", "a strike still going on"),
 ("gne-zsnews-district-visit", "tests/zsnews/1.html", "http://www.zsnews.cn/gne-zsnews-1.html", "site-only", F, "news", "a local officials' visit"),
 ("gne-zyyfy-pharmacy-contest", "tests/zyyfy/1.html", "http://www.zyyfy.com/gne-zyyfy-1.html", "site-only", F, "news", "a hospital's news of yesterday's contest"),
 ("gne-021news-stock-limit-down", "visiable_test/021news/1.html", "http://www.021news.cn/gne-021news-1.html", "site-only", F, "news", "a share's fall on the day"),
 ("gne-163-car-window-thefts", "visiable_test/163/1.html", None, "page", F, "news", NEWS),
 ("gne-cmse-station-preparations", "visiable_test/cmse/1.html", "http://www.cmse.gov.cn/gne-cmse-2.html", "site-only", F, "news", "preparations for this year's launches"),
 ("gne-khan-trees-typhoon", "visiable_test/khan/1.html", None, "page", SL, "essay", "a columnist on how big trees withstand typhoons: botany does not date"),
 ("gne-mydrivers-change-5", "visiable_test/mydrivers/1.html", None, "page", F, "news", "a mission explained before its launch: outcome unknown"),
 ("gne-163-front-page-1", "test_list_page/163/1.html", "https://news.163.com/", "site-only", F, "homepage", "a news site's front page changes hourly"),
 ("gne-163-front-page-2", "test_list_page/163/2.html", "https://news.163.com/", "site-only", F, "homepage", "a news site's front page changes hourly"),
 ("gne-netease-game-forum", "test_list_page/netease_forum/1.html", "https://n.163.com/gne-forum-1.html", "site-only", F, "forum", "a forum's thread list changes hourly"),
 ("gne-tieba-hot-topics", "test_list_page/tieba/1.html", "https://tieba.baidu.com/gne-tieba-1.html", "site-only", F, "forum", "a forum's thread list changes hourly"),
]

# (name, file in papis tests/downloaders/resources, url or None, rate, category, why)
PAPIS = [
 ("paper-aps-prx-tearing-dynamo", "APS_PhysRevX.12.041027.html", None, M, "paper", "a 2022 research article in an active field: follow-ups within months to years"),
 ("paper-kobv-adjoint-schemes", "Fallback_kobv.html", None, M, "preprint", "a mathematics preprint in a project repository: may be revised before publication"),
 ("paper-peerj-reef-fish-scuba", "Fallback_peerj.html", None, M, "paper", "a 2018 ecology article: holds until replicated or contradicted, years"),
 ("paper-hal-knight-shift-1955", "HAL_HAL_jpa_00235190.html", None, SL, "paper", "a 1955 physics article: a historical record"),
 ("paper-iop-metrologia-1976", "IOPScience_002.html", None, SL, "paper", "a 1976 metrology article: a historical record"),
 ("paper-nber-ycc-australia", "NBER_w29971.html", None, M, "working-paper", "a working paper on a recent policy: revised before publication, months"),
 ("paper-euclid-delocalization", "ProjectEuclid_00127094_3129809.html", None, SL, "paper", "a published proof in a mathematics journal: does not age"),
 ("paper-sciencedirect-cr2-1997", "ScienceDirect_S0009261497040141.html", None, SL, "paper", "a 1997 computational chemistry article: a settled record"),
 ("paper-springer-identical-particles", "SpringerLink_BF02727953.html", None, SL, "paper", "a 1977 theory article, a classic: does not age"),
 ("paper-usenix-morphuzz", "USENIX_bulekov.html", "https://www.usenix.org/conference/usenixsecurity22/presentation/bulekov", M, "paper", "a 2022 security conference paper: tools and targets move within a year or two"),
]

CPP = "/usr/share/cppreference/doc/html/"
PG = "/usr/share/doc/postgresql-doc-15/html/"
RD = "/usr/share/R/doc/manual/"
AP = "/usr/share/doc/apache2-doc/manual/en/"
DR = "/usr/share/debian-reference/"
DEBS = {
 CPP: ("cppreference-doc-en-html_20170409-2_all.deb", "Debian cppreference-doc-en-html 20170409-2 ", "CC-BY-SA-3.0 / GFDL-1.2 (cppreference.com)", "https://en.cppreference.com/w/"),
 PG: ("postgresql-doc-15_15.20-0+deb12u1_all.deb", "Debian postgresql-doc-15 15.20 ", "PostgreSQL Licence (PostgreSQL documentation)", "https://www.postgresql.org/docs/15/"),
 RD: ("r-doc-html_4.2.2.20221110-2_all.deb", "Debian r-doc-html 4.2.2 ", "GPL-2+ / verbatim copying permitted (R manuals)", "https://cran.r-project.org/doc/manuals/r-release/"),
 AP: ("apache2-doc_2.4.71-1~deb12u1_all.deb", "Debian apache2-doc 2.4.71 ", "Apache-2.0 (Apache HTTP Server documentation)", "https://httpd.apache.org/docs/2.4/"),
 DR: ("debian-reference-en_2.100_all.deb", "Debian debian-reference-en 2.100 ", "GPL-2+ (Debian Reference)", "https://www.debian.org/doc/manuals/debian-reference/"),
}
CPP_WHY = "the C/C++ language reference: a standard changes every three years, compatibly"
# (name, base, file, upstream path, rate, category, why)
DOCS = [
 ("cppref-lambda", CPP, "en/cpp/language/lambda.html", "cpp/language/lambda", SL, "reference", CPP_WHY),
 ("cppref-vector", CPP, "en/cpp/container/vector.html", "cpp/container/vector", SL, "reference", CPP_WHY),
 ("cppref-strlen", CPP, "en/c/string/byte/strlen.html", "c/string/byte/strlen", SL, "reference", "a C library function unchanged since C89"),
 ("cppref-operator-precedence", CPP, "en/cpp/language/operator_precedence.html", "cpp/language/operator_precedence", SL, "reference", "a table of the language's grammar: fixed for decades"),
 ("cppref-sort", CPP, "en/cpp/algorithm/sort.html", "cpp/algorithm/sort", SL, "reference", CPP_WHY),
 ("cppref-raii", CPP, "en/cpp/language/raii.html", "cpp/language/raii", SL, "reference", "a programming idiom explained: a concept, not a release"),
 ("pg15-glossary", PG, "glossary.html", "glossary.html", SL, "reference", "a glossary of database terms: definitions age slowly"),
 ("pg15-acronyms", PG, "acronyms.html", "acronyms.html", SL, "reference", "a list of acronyms: expansions do not change"),
 ("pg15-sql-select", PG, "sql-select.html", "sql-select.html", SL, "reference", "SQL syntax reference of a mature, backwards-compatible engine"),
 ("pg15-datatype-numeric", PG, "datatype-numeric.html", "datatype-numeric.html", SL, "reference", "numeric types and their ranges: stable for decades"),
 ("pg15-tutorial-join", PG, "tutorial-join.html", "tutorial-join.html", SL, "reference", "an introductory tutorial on stable basics"),
 ("r-lang-definition", RD, "R-lang.html", "R-lang.html", SL, "reference", "the language definition: core semantics change rarely and compatibly"),
 ("r-faq", RD, "R-FAQ.html", "R-FAQ.html", M, "reference", "a FAQ with answers about current versions, mirrors and platforms: revised with releases"),
 ("apache-glossary", AP, "glossary.html", "glossary.html", SL, "reference", "a glossary of web-server terms: definitions age slowly"),
 ("debian-ref-tutorials", DR, "ch01.en.html", "ch01.en.html", SL, "reference", "a tutorial on the shell and file system basics: stable for years"),
]

URL_PATTERNS = (
    r'<link[^>]+rel=["\']?canonical["\']?[^>]*href=["\']([^"\']+)',
    r'<link[^>]+href=["\']([^"\']+)["\'][^>]*rel=["\']?canonical',
    r'<meta[^>]+property=["\']og:url["\'][^>]*content=["\']([^"\']+)',
    r'<meta[^>]+name=["\']citation_abstract_html_url["\'][^>]*content=["\']([^"\']+)',
    r'mobile-agent["\'][^>]*url=\s*([^"\'>; ]+)',
)


def self_url(raw: bytes) -> str:
    """The address the page states about itself (first pattern that matches)."""
    import html
    import re
    text = raw.decode("utf-8", "replace")
    for pattern in URL_PATTERNS:
        found = re.search(pattern, text, re.I)
        if found:
            return html.unescape(found.group(1))
    raise SystemExit("no self-stated URL")


def rows(gne: Path, papis: Path, debs: Path):
    for name, file, url, url_from, rate, cat, why in GNE:
        raw = (gne / file).read_bytes()
        yield name, raw, url or self_url(raw), rate, cat, url_from, f"GNE 0.4.3 (PyPI sdist) {file}", GNE_LIC, why
    res = papis / "tests/downloaders/resources"
    for name, file, url, rate, cat, why in PAPIS:
        raw = (res / file).read_bytes()
        yield (name, raw, url or self_url(raw), rate, cat, "page",
               f"papis 0.16.1 (PyPI sdist) tests/downloaders/resources/{file}", PAPIS_LIC, why)
    for name, base, file, upstream, rate, cat, why in DOCS:
        deb, src, lic, site = DEBS[base]
        raw = (debs / f"x_{deb}" / base.lstrip("/") / file).read_bytes()
        yield name, raw, site + upstream, rate, cat, "upstream", src + base + file, lic, why


def append_split(split: str, pages) -> None:
    """Write each page (gzipped) into the corpus folder and its label row into labels.tsv, replacing the rows
    of ``split`` an earlier run wrote. ``pages`` yields (name, raw, url, rate, category, url_from, source,
    licence, why). Shared by the held-out builders."""
    folder = Path(__file__).resolve().parent.parent / "tests/fixtures/decay_pages"
    with (folder / "labels.tsv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header, *kept = [r for r in reader if r]
    kept = [r for r in kept if r[4] != split]
    taken = {r[0] for r in kept}
    added = []
    for name, raw, url, rate, cat, url_from, source, lic, why in pages:
        assert name not in taken, name
        taken.add(name)
        (folder / f"{name}.html.gz").write_bytes(gzip.compress(raw, 9, mtime=0))
        added.append([name, url, rate, cat, split, url_from, source, lic, why])
    lines = ["\t".join(r) for r in [header, *kept, *added]]
    (folder / "labels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(len(added), "pages in", split)


def main(gne: str, papis: str, debs: str) -> None:
    append_split("heldout2", rows(Path(gne), Path(papis), Path(debs)))

if __name__ == "__main__":
    main(*sys.argv[1:4])
