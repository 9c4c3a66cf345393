"""Issue 14, item 4: tags worth clicking, in any language (function words from ``stopwordsiso``)."""

from __future__ import annotations

from bot.capture.extract import extract_article, sentences
from bot.capture.stopwords import language_of
from bot.capture.summarize import ExtractiveSummarizer, keyphrases, words
from tests.fixtures.pages.corpus import load_page


def page_sentences(name: str) -> list[str]:
    page = load_page(name)
    return sentences(extract_article(page.data, page.url).text)


def test_the_language_of_a_saved_page_is_found_by_its_function_words():
    assert language_of(w.lower() for s in page_sentences("iso-8859-1-nachtzuege") for w in words(s)) == "de"
    assert language_of(w.lower() for s in page_sentences("wiki-fresnel-lens") for w in words(s)) == "en"
    assert language_of([]) is None


def test_german_function_words_are_never_tags():
    german = page_sentences("iso-8859-1-nachtzuege")
    extra = ["Es gibt bereits Nachtzüge nach Wien, unter anderem über München.", "Es gibt bereits drei Nachtzüge."]
    tags = keyphrases([*german, *extra, *extra], "Die Rückkehr der Nachtzüge")
    assert tags and not {"gibt", "bereits", "anderem", "drei", "die", "der", "unter"} & set(tags)
    assert any(tag.startswith("nachtz") for tag in tags)


def test_french_elisions_are_read_as_the_word_after_them():
    texts = ["Le prix d'un billet de train augmente chaque année.", "Le prix d’un billet de train reste élevé."]
    tags = keyphrases(texts * 2, "")
    assert not {"d'un", "un", "le", "de"} & set(tags)
    assert "billet" in " ".join(tags) and "prix" in " ".join(tags)


def test_katakana_words_are_kept_whole():
    texts = ["新しいコンピューターネットワークの設計が進んでいる。", "コンピューターネットワークは安全である。"]
    assert "コンピューターネットワーク" in keyphrases(texts, "")


def test_generic_nouns_only_when_the_title_names_them():
    texts = ["The model answers questions about data quickly.", "Each model answers from the data it was given."]
    assert not {"model", "answer", "data"} & set(keyphrases(texts * 2, "Fast lookups"))
    assert "model" in " ".join(keyphrases(texts * 2, "A model that answers"))


def test_saved_pages_get_no_function_words_as_tags():
    summarizer = ExtractiveSummarizer()
    for name in ("iso-8859-1-nachtzuege", "windows-1252-cafes", "news-model-release", "blog-essay"):
        page = load_page(name)
        tags = summarizer.summarize(extract_article(page.data, page.url)).tags
        assert tags, name
        assert not {"drei", "name", "cost", "code", "model"} & set(tags), (name, tags)
