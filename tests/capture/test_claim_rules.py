"""Item 2 of issue 14: each rule that keeps a sentence from standing alone as a Key Claim.

Sentences are taken from the saved sources in the repository: the clipped essay (seed 001,
``seeds/thoughts-on-ai-progress-clip.md``), the hand-written note on it (seed 000) and the saved pages
under ``tests/fixtures/pages``. Captions and edit notes appear in none of them, so those two rules are
shown on caption lines in the shape news sites print them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.capture import claim_rules
from bot.capture.extract import extract_article, extract_text_file, iter_blocks, sentences, split_sentences
from bot.capture.summarize import ExtractiveSummarizer, source_sentences
from bot.kb.render import text_fragment
from tests.fixtures.decay_pages.corpus import page as decay_page
from tests.fixtures.pages.corpus import load_page

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "seeds" / "thoughts-on-ai-progress-clip.md"
SEED_NOTE = ROOT / "seeds" / "thoughts-on-ai-progress-summary.txt"
URL = "https://www.dwarkesh.com/p/thoughts-on-ai-progress-dec-2025"


@pytest.fixture(scope="module")
def clip():
    return extract_text_file(CLIP.read_bytes(), URL)


@pytest.fixture(scope="module")
def clip_sentences(clip) -> list[str]:
    return sentences(clip.text)


def sentence_starting(all_sentences: list[str], start: str) -> str:
    found = [s for s in all_sentences if s.startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


@pytest.mark.parametrize(
    "start",
    [
        "But the fact that we don’t have such a learner",
        "So clearly the labs’ actions hint at a world view",
        "Besides, even if you think the RLVR scaleup",
        "This gives the vibes of that old joke",
        "Instead, some lab is going to figure out",
        "And to be clear, I expect this (aka actual AGI)",
    ],
)
def test_sentences_opening_with_a_connective_or_pronoun_lean_on_the_one_before(clip_sentences, start):
    assert claim_rules.leans_on_previous(sentence_starting(clip_sentences, start))


@pytest.mark.parametrize(
    "start",
    [
        "In some fundamental sense, robotics is an algorithms problem",
        "Human workers are valuable precisely because",
        "Models keep getting more impressive at the rate",
        "There is huge variance in the amount of value",
    ],
)
def test_sentences_that_stand_alone_do_not_lean(clip_sentences, start):
    assert not claim_rules.leans_on_previous(sentence_starting(clip_sentences, start))


def test_pronoun_inside_an_opening_quote_and_on_saved_pages_leans():
    cafes = sentences(extract_article(load_page("windows-1252-cafes").data, "https://x.example/c").text)
    essay = sentences(extract_article(load_page("blog-essay").data, "https://x.example/e").text)
    assert claim_rules.leans_on_previous(sentence_starting(cafes, "Its owner gave every customer"))
    assert claim_rules.leans_on_previous(sentence_starting(essay, "It forces a decision"))
    assert not claim_rules.leans_on_previous(sentence_starting(essay, "Fast notes are cheap"))


def test_a_quotation_is_never_split(clip_sentences):
    whole = sentence_starting(clip_sentences, "I expect that by 2030 that the labs")
    assert whole.endswith("We also need X, Y, and Z thing to get to trillions in revenue.”")
    assert claim_rules.balanced(whole)
    assert not any(s.startswith("We also need X, Y, and Z") for s in clip_sentences)


def test_unbalanced_quotes_and_stray_brackets_are_unfit():
    # the halves the clip gave before quotations were kept whole
    assert claim_rules.unfit("I’ll be like, “We’ve made a lot of progress, but we’re not at AGI yet.") == "unbalanced"
    assert claim_rules.unfit("We also need X, Y, and Z thing to get to trillions in revenue.”") == "unbalanced"
    assert claim_rules.unfit("Human workers are valuable [1] precisely because of that.") == "unbalanced"


@pytest.mark.parametrize(
    "start",
    [
        "Another counterargument you could make is that",
        "Somehow this automated researcher is going to figure out",
        "Sometimes people will say that the reason that AIs",
        "One counterargument I’ve heard from the takeoff-within-5-years crew",
    ],
)
def test_foils_the_author_states_to_reject_are_recognised(clip_sentences, start):
    assert claim_rules.is_foil(sentence_starting(clip_sentences, start))


def test_the_authors_own_view_is_not_a_foil(clip_sentences):
    own = sentence_starting(clip_sentences, "People are using this cope to gloss over")
    assert not claim_rules.is_foil(own)


@pytest.mark.parametrize(
    ("start", "why"),
    [
        ("I was at a dinner with an AI researcher and a biologist.", "aside"),
        ("I thought this was a very interesting exchange", "aside"),
        ("What is the rational response?", "question"),
        ("Somehow this automated researcher is going to figure out", "question"),
    ],
)
def test_asides_and_questions_from_the_clip_are_unfit(clip_sentences, start, why):
    assert claim_rules.unfit(sentence_starting(clip_sentences, start)) == why


def test_first_person_anecdotes_on_a_saved_essay_are_asides():
    essay = sentences(extract_article(load_page("blog-essay").data, "https://x.example/e").text)
    for start in ("For a decade I collected notes", "When I needed an idea, I searched"):
        assert claim_rules.unfit(sentence_starting(essay, start)) == "aside"
    assert claim_rules.unfit(sentence_starting(essay, "I allow myself three claims per article")) is None


def test_the_authors_claims_in_the_first_person_stay_fit(clip_sentences):
    for start in ("I expect this to keep happening into the future.", "I think this is cope."):
        assert claim_rules.unfit(sentence_starting(clip_sentences, start)) is None


def test_calls_to_action_on_a_saved_news_page_are_unfit():
    page = load_page("news-model-release")
    text = sentences(extract_article(page.data, page.url).text)
    call = sentence_starting(text, "Newsletter:Get the Daily Circuit AI briefing")
    assert claim_rules.is_call_to_action(call)
    assert claim_rules.is_call_to_action("Sign up")
    fact = sentence_starting(text, "Zephyr-3 supports a context window")
    assert claim_rules.unfit(fact) is None


@pytest.mark.parametrize(
    "line",
    [
        "Clockwise from top: the Cordouan lighthouse, a first-order lens and its maker.",
        "A bronze statue of Fernando Pessoa outside A Brasileira. Photograph: Reuters",
        "Chief executive Lena Sorensen (pictured) at the launch event in Oslo.",
    ],
)
def test_captions_are_unfit(line):
    assert claim_rules.unfit(line) == "caption"


@pytest.mark.parametrize(
    "line",
    [
        "Update, 12 March: Northwind AI has since published the evaluation harness.",
        "This article was updated to correct the size of the funding round.",
        "An earlier version of this story misstated the price of output tokens.",
    ],
)
def test_edit_notes_are_unfit(line):
    assert claim_rules.unfit(line) == "edit note"


# --------------------------------------------------------------------------- the summarizer


@pytest.fixture(scope="module")
def clip_claims(clip):
    return ExtractiveSummarizer().summarize(clip).claims


def test_each_section_of_the_clip_gives_a_claim_labelled_with_its_heading(clip, clip_claims):
    headings = {b.heading for b in iter_blocks(clip.text) if b.heading}
    labelled = [c for c in clip_claims if c.label]
    assert len(labelled) >= 6
    assert {c.label for c in labelled} <= headings
    blocks = list(iter_blocks(clip.text))
    for claim in labelled:  # the claim sits in the section its label names
        for part in split_sentences(claim.text):
            assert any(part in b.text and b.heading == claim.label for b in blocks), (claim.label, part)


def test_clip_claims_stand_alone_and_keep_their_links(clip, clip_claims):
    ordered = [s for s, _, _ in source_sentences(clip)]
    runs = set(ordered) | {f"{a} {b}" for a, b in zip(ordered, ordered[1:], strict=False)}
    assert len(clip_claims) >= 8
    for claim in clip_claims:
        assert claim.text in runs  # verbatim: a sentence, or a leaning one with its antecedent
        assert claim.quote == claim.text and text_fragment(claim.quote)
        first = split_sentences(claim.text)[0]
        assert not claim_rules.leans_on_previous(first), claim.text
        assert claim_rules.unfit(claim.text) is None or claim_rules.balanced(claim.text)
        assert not claim_rules.is_foil(claim.text), claim.text
        assert claim_rules.balanced(claim.text)


def test_a_leaning_sentence_comes_with_its_antecedent_or_not_at_all(clip_claims):
    for claim in clip_claims:
        parts = split_sentences(claim.text)
        if len(parts) == 2:
            assert claim_rules.leans_on_previous(parts[1]) and not claim_rules.leans_on_previous(parts[0])


def test_bullet_clauses_without_a_period_are_candidates():
    """The seed note's Key Claims are full clauses in a list, none ending with a period."""
    text = SEED_NOTE.read_text("utf-8")
    bullets = [line.strip(" •") for line in text.split("Key Claims", 1)[1].split("Tags", 1)[0].splitlines()]
    bullets = [b for b in bullets if b]
    assert len(bullets) == 11 and not any(b.endswith(".") for b in bullets)
    intro = text.split("Summary", 1)[1].split("Key Claims", 1)[0].strip()
    markdown = f"# Thoughts on AI Progress\n\n{intro}\n\n" + "\n".join(f"- {b}" for b in bullets) + "\n"
    extracted = extract_text_file(markdown.encode(), "https://notes.example/seed-000")
    claims = ExtractiveSummarizer().summarize(extracted).claims
    assert any(c.text in bullets for c in claims), [c.text for c in claims]


def test_section_labels_on_a_saved_docs_page_are_its_headings_without_permalink_marks():
    page = load_page("docs-retries")
    extracted = extract_article(page.data, page.url)
    labels = [c.label for c in ExtractiveSummarizer().summarize(extracted).claims if c.label]
    assert labels and "How the delay is computed" in labels
    assert not any(label.endswith(("¶", "#")) for label in labels)


# --------------------------------------------------------------------------- the author's own argument


SEED_VIDEO_NOTE = ROOT / "seeds" / "what-are-we-scaling-video.md"


@pytest.mark.parametrize("start", ["I find this super implausible.", "I think this is cope."])
def test_a_verdict_judges_the_sentence_before_and_leans_on_it(clip_sentences, start):
    verdict = sentence_starting(clip_sentences, start)
    assert claim_rules.is_verdict(verdict)
    assert claim_rules.leans_on_previous(verdict)


@pytest.mark.parametrize(
    "start",
    [
        "I expect this to keep happening into the future.",  # a prediction, not a judgement of the sentence before
        "I expect a similar progression with continual learning.",
        "I thought this was a very interesting exchange",
    ],
)
def test_first_person_sentences_that_are_no_verdict(clip_sentences, start):
    assert not claim_rules.is_verdict(sentence_starting(clip_sentences, start))


def test_a_foil_answered_by_the_authors_verdict_is_one_claim_of_the_author(clip_sentences):
    """The clip's two foils, each followed by the author's verdict on it: the pair is the author's claim
    (a rhetorical question included), verbatim, and no longer weighed as a foil."""
    blocks = [b.text for b in iter_blocks(CLIP.read_text("utf-8"))]
    paragraphs = [b for b in blocks if b.startswith(("Sometimes people will say", "This gives the vibes"))]
    extracted = extract_text_file(("# Cope\n\n" + "\n\n".join(paragraphs) + "\n").encode(), "https://x.example/cope")
    claims = [c.text for c in ExtractiveSummarizer().summarize(extracted).claims]
    foil = sentence_starting(clip_sentences, "Sometimes people will say that the reason")
    question = sentence_starting(clip_sentences, "Somehow this automated researcher")
    assert f"{foil} I think this is cope." in claims
    assert f"{question} I find this super implausible." in claims
    assert claim_rules.is_foil(foil) and not claim_rules.is_foil(f"{foil} I think this is cope.")


def test_people_talking_about_a_view_the_author_then_dismisses_is_a_foil(clip_sentences):
    setup = sentence_starting(clip_sentences, "People have spent a lot of time talking about a software only singularity")
    assert claim_rules.is_foil(setup)
    assert not claim_rules.is_foil(sentence_starting(clip_sentences, "All these scenarios neglect what I think"))


@pytest.mark.parametrize(
    ("start", "concludes"),
    [
        ("So if we had a human like learner, robotics would", True),
        ("So clearly the labs’ actions hint at a world view", True),
        ("For these reasons, I expect it’s going to be much much easier", True),
        ("Somehow this automated researcher", False),
        ("“Solving” continual learning won’t be", False),
        ("But the fact that we don’t have such a learner", False),
    ],
)
def test_sentences_that_draw_a_conclusion_from_the_one_before(clip_sentences, start, concludes):
    assert claim_rules.draws_conclusion(sentence_starting(clip_sentences, start)) is concludes


def test_premise_and_conclusion_make_one_claim(clip_sentences, clip_claims):
    premise = sentence_starting(clip_sentences, "In some fundamental sense, robotics is an algorithms problem")
    conclusion = sentence_starting(clip_sentences, "So if we had a human like learner, robotics would")
    assert f"{premise} {conclusion}" in [c.text for c in clip_claims]


@pytest.mark.parametrize(
    ("start", "forecast"),
    [
        ("But human level continual learning may take another 5 to 10 years", True),
        ("Labs will probably release something next year", True),
        ("And to be clear, I expect this (aka actual AGI) in the next decade or two.", True),
        ("I expect that by 2030 that the labs will have made", True),
        ("AI has made a ton of progress in the last decade", False),
        ("If you showed me Gemini 3 in 2020", False),
    ],
)
def test_dated_predictions_are_forecasts(clip_sentences, start, forecast):
    assert claim_rules.is_forecast(sentence_starting(clip_sentences, start)) is forecast


def test_the_writers_own_view_is_told_from_someone_quoted():
    clip = sentences(CLIP.read_text("utf-8"))
    assert claim_rules.states_own_view(sentence_starting(clip, "All these scenarios neglect what I think will be"))
    assert claim_rules.states_own_view(sentence_starting(clip, "I expect that by 2030 that the labs"))
    # seed 004's note quotes the speaker: an "I expect" inside quotation marks is not the note's own view
    quoted = '"I expect actual brain-like intelligences within the next decade or two, which is pretty wild."'
    assert quoted in SEED_VIDEO_NOTE.read_text("utf-8")
    assert claim_rules.is_forecast(quoted) and not claim_rules.states_own_view(quoted)


def test_an_anecdote_is_told_in_its_paragraph_and_gives_no_claim(clip_sentences, clip_claims):
    assert claim_rules.opens_story(sentence_starting(clip_sentences, "I was at a dinner with an AI researcher"))
    assert not claim_rules.opens_story(sentence_starting(clip_sentences, "I thought this was a very interesting"))
    story = next(b.text for b in iter_blocks(CLIP.read_text("utf-8")) if b.text.startswith("I was at a dinner"))
    assert "The AI researcher says" in story
    assert not [c.text for c in clip_claims if any(part in story for part in split_sentences(c.text))]


def test_a_sections_closing_sentence_and_a_paragraph_set_apart_are_claims(clip_sentences, clip_claims):
    texts = [c.text for c in clip_claims]
    blocks = list(iter_blocks(CLIP.read_text("utf-8")))
    # the last sentence of "Economic diffusion lag is cope …": where the section lands
    closing = sentence_starting(clip_sentences, "The reason that lab revenue are 4 orders of magnitude off")
    section = [b.text for b in blocks if b.heading == "Economic diffusion lag is cope for missing capabilities"]
    assert section[-1].endswith(closing) and closing in texts
    # one-sentence paragraphs in an essay of longer ones: the author's punchline and the labs' supply chain
    for start in ("Models keep getting more impressive at the rate", "Currently the labs are trying to bake in"):
        alone = sentence_starting(clip_sentences, start)
        assert any(b.text == alone for b in blocks) and alone in texts


def test_a_long_essay_gets_two_claims_per_section_each_read_at_a_glance(clip_claims, clip_sentences):
    sections = {c.label for c in clip_claims if c.label}  # one labelled claim per section with sentences
    assert len(sections) == 7 and len(clip_claims) == 2 * len(sections)
    # quotas round up: the first and longest section (13 of 59 candidates), which states the thesis,
    # keeps four points (the tension, the dilemma, the supply chain, robotics), not three
    opening = [b.text for b in iter_blocks(CLIP.read_text("utf-8")) if b.heading == "What are we scaling?"]
    in_first = [c for c in clip_claims if any(split_sentences(c.text)[0] in b for b in opening)]
    assert len(in_first) == 4
    run_on = sentence_starting(clip_sentences, "I expect that by 2030 that the labs")  # 69 words, fit but no glance
    assert claim_rules.unfit(run_on) is None and len(run_on.split()) > 50
    assert run_on not in [c.text for c in clip_claims]


def test_none_of_this_points_back_at_the_paragraphs_before():
    essay = sentences(extract_article(load_page("blog-essay").data, "https://x.example/e").text)
    assert claim_rules.leans_on_previous(sentence_starting(essay, "None of this is efficient in the short run."))
    assert not claim_rules.leans_on_previous(sentence_starting(essay, "Fast notes are cheap"))


def test_a_saved_essays_opening_anecdote_gives_no_claim():
    page = load_page("blog-essay")
    extracted = extract_article(page.data, page.url)
    opening = sentence_starting(sentences(extracted.text), "For a decade I collected notes")
    assert claim_rules.opens_story(opening)
    story = next(b.text for b in iter_blocks(extracted.text) if b.text.startswith(opening))
    claims = [c.text for c in ExtractiveSummarizer().summarize(extracted).claims]
    assert claims and not [c for c in claims if any(part in story for part in split_sentences(c))]


def test_first_comma_counts_off_what_the_sentence_before_announced():
    """Wikipedia's t-SNE article (saved real page): "The t-SNE algorithm comprises two main stages. First, …"."""
    tsne = decay_page("wikipedia-tsne")
    text = extract_article(tsne.html(), tsne.url).text
    assert claim_rules.leans_on_previous(sentence_starting(sentences(text), "First, t-SNE constructs"))
    assert not claim_rules.leans_on_previous("First Minister Nicola Sturgeon said the vote would go ahead.")
    claims = ExtractiveSummarizer().summarize(extract_article(tsne.html(), tsne.url)).claims
    assert not any(claim.text.startswith("First,") for claim in claims)


def test_first_we_is_a_step_of_a_method_announced_before():
    """PeerJ's reef-fish paper (saved real page): a methods paragraph counts its steps without a comma."""
    paper = decay_page("paper-peerj-reef-fish-scuba")
    extracted = extract_article(paper.html(), paper.url)
    step = sentence_starting(sentences(extracted.text), "First we calculated the difference in total fish")
    assert claim_rules.leans_on_previous(step)
    assert not claim_rules.leans_on_previous("First Nations communities were consulted on the route.")
    claims = ExtractiveSummarizer().summarize(extracted).claims
    assert not any(claim.text.startswith("First we") for claim in claims)
