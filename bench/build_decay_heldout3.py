"""Copy the third, blind held-out set ("heldout3") into tests/fixtures/decay_pages and append its labels.

Run by hand once, after unpacking the named packages; kept as the record of where each page came from, of the
selection rule and of the hand-written labels. Tests never run it.

    pip download --no-deps --no-binary :all: htmldate==1.4.0 trafilatura==0.8.2   # then unpack both sdists
    apt-get download bash-doc cmake-doc && dpkg-deb -x <each .deb> DEB_ROOT
    python bench/build_decay_heldout3.py HTMLDATE_DIR TRAFILATURA_DIR DEB_ROOT

Protocol (docs/decisions.md, "A blind third held-out set"): the rule below was fixed before any page was read;
each page was labelled by reading it (rate, category, one line of why) and committed with its label *before*
the suggester ever ran on it. Selection rule:

- htmldate 1.4.0 (PyPI sdist; never used before): every page in tests/cache/, with the address the test code
  (tests/unit_tests.py) gives for it (url_from=test-code), except a page whose address is already in the
  corpus (adac kindersitztest, blog.python.org, creativecommons.org/about, netzpolitik abmahnungen).
- trafilatura 0.8.2 (PyPI sdist): the pages of tests/cache/ that no earlier split took (the held-out split took
  50 of its 110), except exact byte copies of a page already taken (befifty.montauk, creativecommons.at) and
  the two synthetic markup tests that are no saved pages (exotic_tags.html, exotic_tags_tei.html). The
  earlier split's author chose those 50 by hand, so these 56 are what that person passed over; the scorer was
  never run on them. URL as in heldout: the one the page states (og:url, canonical) with url_from=page, else
  rebuilt from the cache file's name (site + topic words) with url_from=reconstructed.
- Debian doc packages never used before (reference pages, upstream address, url_from=upstream): bash-doc's
  two manuals (the man page and the Bash Reference Manual) and cmake-doc's language and build-system manuals
  and the reference pages of five basic commands (if, foreach, set, function, add_executable).

No package with saved English news pages beyond those already used was found (checked: htmldate 1.5+ and
1.11 sdists, which dropped the cache; readabilipy, boilerpy3, justext, html-text, news-please, goose3,
goose-extractor, newspaper 0.0.9.8, readability-lxml, breadability, date_guesser, eatiht, libextract sdists;
the npm packages @mozilla/readability, @postlight/parser, @extractus/article-extractor, read-art,
article-parser (synthetic pages only), html-metadata (synthetic)); the news half is German and French.
"""
import re
import sys
from pathlib import Path

HD_LIC = "package Apache-2.0; pages (c) their publishers, saved by the htmldate authors as test fixtures"
TC_LIC = "package GPL-3.0-or-later; pages (c) their publishers, saved by the trafilatura authors as test fixtures"
F, M, SL = "fast", "medium", "slow"
NEWS = "a dated news report of an event: the facts move on within weeks"

# (name, file in htmldate tests/cache, rate, category, why)
HD = [
 ("hd-500px-spring-in-china", "500px.com.spring.html", SL, "photo", "a photograph's page: the picture does not change"),
 ("hd-acredis-eyelid-surgery", "acredis.com.augenlidstraffung.html", M, "product", "a clinic's service page: methods and prices are revised now and then"),
 ("hd-kath-klosterzoeglinge", "archive.org.kath.ch.html", SL, "photo", "a 'picture of the day' with a caption: nothing in it moves"),
 ("hd-austria-info-home", "austria.info.html", F, "homepage", "a tourism portal's front page: offers change weekly"),
 ("hd-bayern-portal-home", "bayern.de.html", F, "homepage", "a state portal's front page led by this week's news"),
 ("hd-befifty-montauk", "befifty.montauk.html", SL, "essay", "a travel blog essay on a beach: holds for years"),
 ("hd-beltz-12-wege-pflege", "beltz.de.12wege.html", M, "product", "a publisher's book page: editions and price change slowly"),
 ("hd-beltz-didacta-panel", "beltz.de.didakta.html", F, "event", "a panel at a trade fair on given dates: void once held"),
 ("hd-todamax-kemulator", "blog.todamax.net.html", M, "tutorial", "running an old game in an emulator: the tools move with releases"),
 ("hd-wikimedia-interactive-maps", "blog.wikimedia.interactivemaps.html", F, "release-notes", "a feature announcement: the feature keeps changing after launch"),
 ("hd-wordpress-blog-home", "blog.wordpress.com.html", F, "homepage", "a blog's front page: the newest posts replace it"),
 ("hd-brigitte-riverdale", "brigitte.de.riverdale.html", F, "news", "TV news: how a series will honour an actor who died"),
 ("hd-carta-election-analysis", "carta.info.html", M, "analysis", "a pollster's reading of a state election: holds until the next election"),
 ("hd-channelpartner-seven-jobs", "channelpartner.de.berufe.html", M, "feature", "jobs with a future: a trend piece that holds for a year or two"),
 ("hd-creativecommons-at-faircoin", "creativecommons.at.faircoin.html", F, "event", "a hackathon at a summer camp: void once held"),
 ("hd-cric-grenoble-radio", "cric-grenoble.info.radio.html", F, "news", "a local dispute at a community radio: news of the week"),
 ("hd-deutschland-de-home", "deutschland.de.en.html", F, "homepage", "a portal's front page led by the coming election"),
 ("hd-die-partei-sh-home", "die-partei.net.sh.html", F, "homepage", "a party branch's front page with its latest notices"),
 ("hd-ebene11-autocad-dwg", "ebene11.com.autocad.html", M, "tutorial", "a workflow for one CAD program: changes with its versions"),
 ("hd-eff-annual-report-2015", "eff.org.2015.html", SL, "report", "a past year's annual report: a closed record"),
 ("hd-exporo-wiki-ecb", "exporo.de.ezb.html", SL, "encyclopedia", "a glossary entry on the European Central Bank: an institution's basics"),
 ("hd-eza-kneissl-luxembourg", "eza.gv.at.html", F, "news", "a ministry's press release on a ministers' meeting"),
 ("hd-facebook-visitaustria", "facebook.com.visitaustria.html", F, "social", "a social-media page: a feed of this week's posts"),
 ("hd-freundeskreis-car-cd-player", "freundeskreis-videoclips.de.html", M, "advice", "buying advice for car CD players: models change"),
 ("hd-futurezone-cc-explainer", "futurezone.at.cc.html", SL, "explainer", "how Creative Commons licences work: stable for years"),
 ("hd-github-htmldate", "github.com.html", M, "software", "a project's README: features change with releases"),
 ("hd-gnu-gpl3", "gnu.org.gpl.html", SL, "legal", "the GPL v3 licence text: fixed since 2007"),
 ("hd-goodform-shade-tips", "goodform.ch.blog.html", SL, "advice", "ways to make shade on a terrace: holds for years"),
 ("hd-greenpeace-indonesia", "greenpeace.org.forests.html", M, "organisation", "a campaign page: updated as the campaign moves"),
 ("hd-heimicke-chronicle", "heimicke.de.zahlen.html", SL, "reference", "a village's facts and history: settled"),
 ("hd-hertie-von-der-leyen", "hertie-school.org.leyen.html", F, "news", "a school's news item on a radio interview about the new Commission"),
 ("hd-hobbywerkstatt-roomba-wall", "hobby-werkstatt-blog.de.roomba.html", M, "tutorial", "a DIY electronics build: parts and robots change"),
 ("hd-horizont-vreni-frost", "horizont.net.html", M, "opinion", "a commentary on an appeal ruling: holds until the next ruling"),
 ("hd-hundeverein-unna-dates", "hundeverein-kreisunna.de.html", F, "schedule", "a club's training times from a given date: change each season"),
 ("hd-hundeverein-querfurt-dates", "hundeverein-querfurt.de.html", F, "schedule", "a club's 2016 dates: void once past"),
 ("hd-intel-terms-of-use", "intel.com.tos.html", M, "legal", "terms of use: revised from time to time"),
 ("hd-jovelstefan-parking-paris", "jovelstefan.de.parken.html", SL, "essay", "a personal anecdote: nothing to update"),
 ("hd-kinra-bonn-attack", "kinra.de.html", M, "opinion", "an opinion on surveillance after this week's attack: the argument holds for months"),
 ("hd-klimawandel-e-mobility", "klimawandel-global.de.html", M, "feature", "a trend piece on electric cars: figures age within a year or two"),
 ("hd-kurz-hydrogen-visit", "kurz.at.wasserstoff.html", F, "news", "a politician's visit to a factory: campaign news"),
 ("hd-labas-porte-chronicle", "la-bas.org.porte.html", M, "opinion", "a satirical radio column on a current trial"),
 ("hd-ldt-fall-in-love-black", "ldt.de.fallinlove.html", F, "fashion", "this autumn's looks: the next season replaces them"),
 ("hd-loldf-pma-show", "loldf.org.html", M, "podcast", "a radio programme on a bill under debate: holds for months"),
 ("hd-medef-adr-antitrust", "medef.fr.dispute.html", M, "position", "an employers' position paper: revised as the law moves"),
 ("hd-mediapart-police-violence", "mediapart.fr.violences.html", M, "opinion", "a blog opinion on police violence: holds for months"),
 ("hd-oberstdorf-herb-garden", "oberstdorfresort.de.kraeuter.html", SL, "feature", "a hut's herb garden: nothing dated"),
 ("hd-paris-luttes-grenades", "paris-luttes.info.html", M, "analysis", "an analysis of an inquiry report on a death: holds until the case moves"),
 ("hd-pbrunst-no-cyberterrorism", "pbrunst.de.html", M, "opinion", "a lawyer's comment on a news report"),
 ("hd-pferde-projects", "pferde.projekte.de.html", M, "organisation", "what an association does: revised every few years"),
 ("hd-pixabay-terms", "pixabay.com.tos.html", M, "legal", "terms of service with a revision date: revised from time to time"),
 ("hd-revolutionpermanente-bernanos", "revolutionpermanente.fr.antonin.html", F, "news", "an activist held in custody: a case that moves within weeks"),
 ("hd-rosneft-licensing", "rosneft.com.licensing.html", M, "organisation", "a company's licence portfolio: changes yearly"),
 ("hd-scs78-parade", "scs78.de.html", F, "news", "a sailing club's report of today's parade"),
 ("hd-stuttgart-home", "stuttgart.de.html", F, "homepage", "a city's front page led by this week's news"),
 ("hd-wordpress-support-home", "support.wordpress.com.html", M, "docs", "a support site's front page: features change with releases"),
 ("hd-tagesausblick-dow", "tagesausblick.de.dow.html", F, "analysis", "a daily stock-market analysis: stale within days"),
 ("hd-transgen-swine-fever", "transgen.de.aktuell.html", F, "news", "news of a research result on swine fever"),
 ("hd-unexpecteduser-2011", "unexpecteduser.2011.html", SL, "homepage", "an abandoned blog's archive page: nothing will change"),
 ("hd-verfassungsblog-decade", "verfassungsblog.de.decade.html", SL, "essay", "an editor's essay on ten years of a blog"),
 ("hd-viehbacher-debt-collection", "viehbacher.com.forderungsbetreibung.html", M, "organisation", "a law firm's service page: procedures change with the law"),
 ("hd-wara-guinea-poacher", "wara-enforcement.org.guinee.html", F, "news", "a court sentence of a poacher: news of the week"),
 ("hd-weltwoche-forbes", "weltwoche.ch.html", M, "interview", "an interview on a president's wealth: holds for months"),
 ("hd-wienbadminton-come-together", "wienbadminton.at.html", F, "news", "a federation's report on a tournament held that day"),
 ("hd-wunderweib-reimann", "wunderweib.html", F, "news", "celebrity news of a wedding surprise"),
]

# (name, file in trafilatura 0.8.2 tests/cache, rate, category, why)
TC = [
 ("tc-austria-info-salzburg-cycling", "austria.info.radfahren.html", M, "travel", "cycling in a city: routes and rentals change over a few years"),
 ("tc-basicthinking-tweets", "basicthinking.de.tweets.html", M, "feature", "twelve users on good tweets: holds while the platform does"),
 ("tc-wordpress-diverse-speakers", "blog.wordpress.com.diverse.html", M, "feature", "a diversity programme described: holds for months"),
 ("tc-bmjv-price-clauses", "bmjv.de.konsum.html", M, "advice", "consumer advice on price clauses: changes with the law"),
 ("tc-buchperlen-leandra-lou", "buchperlen.wordpress.com.html", SL, "review", "a book review: the book does not change"),
 ("tc-cdu-erfurt-waldorfschule", "cdu-fraktion-erfurt.de.waldorfschule.html", F, "news", "a council vote this week"),
 ("tc-changelog-sportscheck", "changelog.blog.zwischenbilanz.html", M, "interview", "an interview on a retailer's transformation"),
 ("tc-chineselyrics-zhi-neng", "chineselyrics4u.com.zhineng.html", SL, "reference", "song lyrics: the text of a released song does not change"),
 ("tc-chip-tools-tests", "chip.de.tests.html", F, "homepage", "a section front page of current tests and deals"),
 ("tc-cnet-eugh-privacy", "cnet.de.schutz.html", F, "news", "what users can do after yesterday's court ruling"),
 ("tc-crazy-julia-bride-tips", "crazy-julia.de.tipps.html", SL, "advice", "beauty tips for brides: hold for years"),
 ("tc-cc-de-nc-case", "de.creativecommons.org.endlich.html", F, "news", "a new court case on a licence term: the appeal will move it"),
 ("tc-denkanstoos-2012", "denkanstoos.com.2012.html", F, "event", "a meet-up on a given date: void once held"),
 ("tc-die-partei-luebeck-gema", "die-partei.net.luebeck.html", F, "news", "a party's notice on next year's tariff increase"),
 ("tc-dw-fruehburgunder", "dw.com.uncork.html", SL, "feature", "a culture feature on a grape variety"),
 ("tc-erp-news-ai-interview", "erp-news.info.interview.html", M, "interview", "an interview on digital assistants: the field moves within a year"),
 ("tc-fairkom-about", "fairkom.eu.about.html", M, "organisation", "what an organisation does: revised every few years"),
 ("tc-franceculture-prendre-parole", "franceculture.fr.idees.html", M, "podcast", "a radio programme on citizen participation"),
 ("tc-franziska-elea-vuitton", "franziska-elea.de.vuitton.html", M, "fashion", "a blogger's bag mishap: a personal story with a product"),
 ("tc-gruen-digital-conference", "gruen-digital.de.jahrestagung.html", F, "event", "a conference on a given Saturday: void once held"),
 ("tc-hundeverein-unna-history", "hundeverein-kreisunna.de.html", SL, "organisation", "a club's founding history: settled"),
 ("tc-iloveponys-barbour", "iloveponysmag.com.barbour.html", M, "fashion", "a sponsored outfit post: the products turn over"),
 ("tc-incurvy-facial", "incurvy.de.wellness.html", M, "review", "a treatment tried and described"),
 ("tc-internet-law-pseudonyms", "internet-law.de.pseudonymen.html", M, "analysis", "a legal analysis of a platform's name policy: holds until a ruling"),
 ("tc-jolie-adele", "jolie.de.adele.html", F, "news", "celebrity news"),
 ("tc-jovelstefan-gefaellt", "jovelstefan.de.gefallt.html", SL, "essay", "a personal anecdote: nothing to update"),
 ("tc-kulinaria-almond-biscuits", "kulinariaathome.com.mandelplätzchen.html", SL, "recipe", "a recipe: holds for ever"),
 ("tc-lady50plus-mystery-bag", "lady50plus.de.sekre.html", M, "product", "a handbag presented: the collection turns over"),
 ("tc-landwirt-sensors", "landwirt.com.sensortechnik.html", M, "feature", "sensors in the cow shed: the technology moves within a few years"),
 ("tc-nouvellerepublique-empty", "lanouvellerepublique.fr.martin.html", M, "empty", "saved without its article: only an editing template, nothing to judge"),
 ("tc-laviedesidees-journal-lists", "laviedesidees.fr.evaluation.html", SL, "essay", "an essay on research evaluation"),
 ("tc-love-hina-site-update", "love-hina.ch.0409.html", F, "news", "a fan site's update notice: the next update replaces it"),
 ("tc-luxurious-polo-rome", "luxuriousmagazine.com.polo.html", SL, "feature", "a travel feature on a polo event"),
 ("tc-majkaswelt-must-haves-2018", "majkaswelt.com.fashion.html", F, "fashion", "2018's must-haves: next season replaces them"),
 ("tc-modepilot-shower-head", "modepilot.de.duschkopf.html", M, "product", "a product presented at a press event"),
 ("tc-moritz-meyer-vreni-ruling", "moritz-meyer.net.vreni.html", M, "analysis", "what a ruling says: holds until the next instance"),
 ("tc-natgeo-redonda-goats", "nationalgeographic.co.uk.goats.html", M, "feature", "an island's recovery: the story goes on for years"),
 ("tc-novalanalove-ear-candy", "novalanalove.com.ear-candy.html", M, "fashion", "earrings for summer: products turn over"),
 ("tc-otto-straw-bags", "otto.de.twoforfashion.html", F, "fashion", "this summer's bags in a shop's blog"),
 ("tc-piraten-mv-demo", "piratenpartei-mv.de.grundeinkommen.html", F, "event", "a call to a demonstration on a given date"),
 ("tc-plentylife-pamela-reif", "plentylife.blogspot.pamela-reif.html", SL, "review", "a book review: the book does not change"),
 ("tc-psl-new-statutes", "psl.eu.luniversite.html", F, "news", "a decree just published"),
 ("tc-rechtambild-bgh-ruling", "rechtambild.de.kochbuch.html", SL, "legal", "a court ruling's text: fixed"),
 ("tc-rs-ingenieure-structures", "rs-ingenieure.de.tragwerksplanung.html", M, "organisation", "a firm's services: revised every few years"),
 ("tc-sauvons-universite-ag", "sauvonsluniversite.com.spip.html", F, "news", "yesterday's assembly's decisions"),
 ("tc-schleifen-letters", "schleifen.ucoz.de.briefe.html", SL, "essay", "a personal blog post"),
 ("tc-shingon-reiki-shamanism", "shingon-reiki.de.schamanismus.html", SL, "essay", "an essay on two practices"),
 ("tc-skateboard-captains-quest", "skateboardmsm.de.dormhagen.html", F, "news", "a contest announced for a given date"),
 ("tc-soundofscience-hceres", "soundofscience.fr.1927.html", F, "news", "a collective reply to a just-announced candidacy"),
 ("tc-speicherguide-hard-talks", "speicherguide.de.schwierige.html", SL, "advice", "how to hold difficult conversations"),
 ("tc-spiegel-relotius", "spiegel.de.albtraum.html", F, "news", "the magazine's account of a forgery scandal of that week"),
 ("tc-spreeblick-habeck", "spreeblick.com.habeck.html", M, "opinion", "a satirical column on a politician leaving a platform"),
 ("tc-telemedicus-haerting-review", "telemedicus.info.rezension.html", M, "review", "a review of a law handbook's 5th edition: the next edition replaces it"),
 ("tc-viehbacher-tax", "viehbacher.com.steuerrecht.html", M, "organisation", "a law firm's services: change with the law"),
 ("tc-wehranlage-horka-market", "wehranlage-horka.de.887.html", F, "event", "a historic market on given dates"),
 ("tc-womencantalksports-top10", "womencantalksports.com.top10.html", M, "list", "a top-10 list of sports commentators: the names change"),
]

BASH = "usr/share/doc/bash/"
CMAKE = "usr/share/doc/cmake-data/html/"
DEBS = {
 BASH: ("Debian bash-doc 5.2.15-2 ", "GFDL-1.3+ (Bash manuals)", "https://www.gnu.org/software/bash/manual/"),
 CMAKE: ("Debian cmake-doc 3.25.1-1 ", "BSD-3-clause (CMake documentation)", "https://cmake.org/cmake/help/v3.25/"),
}
CMD = "a basic command of the CMake language: its semantics have been stable for years"
# (name, base, file, upstream path, rate, category, why)
DOCS = [
 ("bash-man-page", BASH, "bash.html", "https://man7.org/linux/man-pages/man1/bash.1.html", SL, "reference", "the shell's manual page: the language changes rarely and compatibly"),
 ("bash-reference-manual", BASH, "bashref.html", "bash.html", SL, "reference", "the Bash reference manual: a mature language"),
 ("cmake-language-manual", CMAKE, "manual/cmake-language.7.html", "manual/cmake-language.7.html", SL, "reference", "the CMake language's syntax: unchanged for a decade"),
 ("cmake-buildsystem-manual", CMAKE, "manual/cmake-buildsystem.7.html", "manual/cmake-buildsystem.7.html", SL, "reference", "build-system concepts (targets, usage requirements): stable"),
 ("cmake-command-if", CMAKE, "command/if.html", "command/if.html", SL, "reference", CMD),
 ("cmake-command-foreach", CMAKE, "command/foreach.html", "command/foreach.html", SL, "reference", CMD),
 ("cmake-command-set", CMAKE, "command/set.html", "command/set.html", SL, "reference", CMD),
 ("cmake-command-function", CMAKE, "command/function.html", "command/function.html", SL, "reference", CMD),
 ("cmake-command-add-executable", CMAKE, "command/add_executable.html", "command/add_executable.html", SL, "reference", CMD),
]

TLDS = {"de", "com", "fr", "ch", "at", "net", "org", "eu", "info", "uk"}
URL_PATTERNS = (
    r'<meta[^>]+property=["\']og:url["\'][^>]*content=["\'](https?://[^"\']+)',
    r'<link[^>]+rel=["\']?canonical["\']?[^>]*href=["\'](https?://[^"\']+)',
    r'<link[^>]+href=["\'](https?://[^"\']+)["\'][^>]*rel=["\']?canonical',
)


def test_code_urls(htmldate: Path) -> dict[str, str]:
    """File name → address, as htmldate's unit tests give them."""
    source = (htmldate / "tests/unit_tests.py").read_text(encoding="utf-8")
    return {file: url for url, file in re.findall(r'"(https?://[^"]*)": *"([^"]*\.html)"', source)}


def self_url(raw: bytes, file: str) -> tuple[str, str]:
    """The address the page states about itself, else one rebuilt from the cache file's name."""
    import html
    text = raw.decode("utf-8", "replace")
    for pattern in URL_PATTERNS:
        found = re.search(pattern, text, re.I)
        if found:
            return html.unescape(found.group(1)), "page"
    parts = file.removesuffix(".html").split(".")
    cut = next(i for i, part in enumerate(parts) if part in TLDS) + 1  # the site ends at its first top-level domain
    host = ".".join(parts[:cut])
    host = host if cut > 2 else "www." + host
    return f"https://{host}/" + "-".join(parts[cut:]), "reconstructed"


def rows(htmldate: Path, trafilatura: Path, debs: Path):
    urls = test_code_urls(htmldate)
    for name, file, rate, cat, why in HD:
        raw = (htmldate / "tests/cache" / file).read_bytes()
        yield (name, raw, urls[file], rate, cat, "test-code", f"htmldate 1.4.0 (PyPI sdist) tests/cache/{file}",
               HD_LIC, why)
    for name, file, rate, cat, why in TC:
        raw = (trafilatura / "tests/cache" / file).read_bytes()
        url, url_from = self_url(raw, file)
        yield (name, raw, url, rate, cat, url_from, f"trafilatura 0.8.2 (PyPI sdist) tests/cache/{file}",
               TC_LIC, why)
    for name, base, file, upstream, rate, cat, why in DOCS:
        src, lic, site = DEBS[base]
        raw = (debs / base / file).read_bytes()
        url = upstream if upstream.startswith("https://") else site + upstream
        yield name, raw, url, rate, cat, "upstream", src + "/" + base + file, lic, why


def main(htmldate: str, trafilatura: str, debs: str) -> None:
    from build_decay_heldout2 import append_split  # run as a script: bench/ is on the path

    append_split("heldout3", rows(Path(htmldate), Path(trafilatura), Path(debs)))

if __name__ == "__main__":
    main(*sys.argv[1:4])
