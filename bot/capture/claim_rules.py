"""What makes a sentence unfit to stand alone as a Key Claim (issue 14, item 2).

A claim is read on its own, months later, in a digest or a ``/claim`` answer: it must state something
checkable without the sentences around it. These tests are plain string rules (no model), so the
offline summarizer stays deterministic and fast; each names one way real pages go wrong.
"""

from __future__ import annotations

import re

# Words that make a sentence lean on the one before: connectives and pronouns whose referent is there.
_LEANING_TEXT = """
    however but and so or also yet still thus hence therefore instead besides moreover furthermore meanwhile
    nevertheless nonetheless then second secondly third thirdly fourth finally lastly indeed plus otherwise
    likewise similarly conversely again anyway accordingly consequently nor
    he she it they them his her its their this that these those such both which whose"""
LEANING_WORDS = frozenset(_LEANING_TEXT.split())
_LEANING_PHRASES = (
    "in addition",
    "as a result",
    "on the other hand",
    "for example",
    "for instance",
    "in fact",
    "even so",
    "after all",
    "at the same time",
    "in other words",
    "in that case",
    "to be clear",
    "that said",
    "for these reasons",
    "for this reason",
    "because of this",
    "as such",
    "none of this",
    "none of that",
    "none of these",
    "all of this",
    "all of that",
    "all this",
    "all that",
    "most of this",
)
_FIRST_WORD = re.compile(r"[\W_]*([^\W\d_]+)")  # "It's" → "It"


_FIRST_STEP = re.compile(r",|\s+(?:we|I|they|you|he|she)\b")  # after "First": a step of a list, not a name

_PHRASE_STARTS = frozenset(phrase.split()[0] for phrase in _LEANING_PHRASES)


def leans_on_previous(sentence: str) -> bool:
    """Opens with a connective or a pronoun ("However", "He said", "Second", "This is why"), or is a
    verdict on what was just said ("I think this is cope.")."""
    match = _FIRST_WORD.match(sentence)
    if not match:
        return False
    if is_verdict(sentence):
        return True
    first = match.group(1).lower()
    if first in LEANING_WORDS:
        return True
    if first in ("first", "firstly") and _FIRST_STEP.match(sentence[match.end(1) :]):
        return True  # "First, t-SNE constructs …" / "First we calculated …" count off steps named before;
        # "First Minister" does not
    if first not in _PHRASE_STARTS:
        return False
    head = sentence[match.start(1) : match.start(1) + 24].lower()
    return any(head.startswith(p) and not head[len(p) : len(p) + 1].isalpha() for p in _LEANING_PHRASES)


# "I find this super implausible.", "I think this is cope.", "I doubt it.": the author's judgement of the
# sentence before, whose demonstrative points back at it. Short by nature: a longer sentence says more.
_VERDICT = re.compile(
    r"^I (?:\w+ )?(?:think|find|believe|consider|call|doubt|suspect|reject|disagree with|agree with)"
    r" (?:this|that|it)\b(?:[^.!?]*)[.!]$"
)
VERDICT_WORDS = 8


def is_verdict(sentence: str) -> bool:
    """A short first-person judgement of what the sentence before said ("I find this super implausible.")."""
    text = sentence.strip()
    return len(text.split()) <= VERDICT_WORDS and bool(_VERDICT.match(text))


_CONCLUSION = re.compile(
    r"^[\W_]*(?:so|thus|hence|therefore|consequently|accordingly|as a result|for (?:these|this) reasons?|"
    r"this is why|that is why|that['’]s why)\b",
    re.I,
)


def draws_conclusion(sentence: str) -> bool:
    """Opens by concluding from the sentence before ("So if we had a human like learner, robotics would
    … be solved."): with that sentence, premise and conclusion make one claim."""
    return bool(_CONCLUSION.match(sentence))


def balanced(sentence: str) -> bool:
    """Every quotation mark and bracket opened is closed, and no ``[…]`` markup is left."""
    if "[" in sentence or "]" in sentence or sentence.count("(") != sentence.count(")"):
        return False
    return sentence.count('"') % 2 == 0 and sentence.count("“") == sentence.count("”")


_CAPTION = re.compile(
    r"^(?:clockwise from|from left|left to right|top:|above:|below:|pictured\b)|"
    r"\b(?:photograph|photo|photos|image|picture|illustration|credit|source|video):|"
    r"\((?:pictured|left|right|centre|center|above|below|top|bottom)\)|"
    r"\b(?:getty images|file photo|ap photo|reuters/|afp/|shutterstock)",
    re.I,
)


# Substrings one of which every match of the pattern below contains: a plain ``in`` test first keeps
# the regex off the ~all sentences that are no caption (several times faster on long pages).
_CAPTION_KEYS = ("clockwise", "from left", "left to right", "pictured", ":", "(", "getty", "reuters/", "afp/",
                 "file photo", "shutterstock")  # fmt: skip


def is_caption(sentence: str) -> bool:
    """A picture caption or credit ("Clockwise from top: …", "Photograph: Reuters")."""
    low = sentence.lower()
    return any(key in low for key in _CAPTION_KEYS) and bool(_CAPTION.search(sentence))


_EDIT_NOTE = re.compile(
    r"^(?:update|updated|correction|clarification|editor['’]?s note|edit|disclosure|note)\b.{0,40}?:|"
    r"\b(?:this|the) (?:article|story|post|piece|page) (?:was|has been|is) (?:updated|amended|corrected|edited)|"
    r"\ban earlier version of this\b",
    re.I,
)


def is_edit_note(sentence: str) -> bool:
    """An editor's note about the page itself ("Update: …", "An earlier version of this story …")."""
    return bool(_EDIT_NOTE.search(sentence))


_CALL = re.compile(
    r"^(?:read|subscribe|sign up|follow|click|tap|download|listen|watch|join|check out|donate|"
    r"register|get (?:the|our)|don['’]t miss|find out more|learn more|see also)\b|"
    r"\b(?:read (?:more|the full|our)|sign up for|subscribe to|follow us|in your inbox|our newsletter)\b",
    re.I,
)


def is_call_to_action(sentence: str) -> bool:
    """A call to read on, subscribe, follow, listen or watch: about the page, not the subject."""
    return bool(_CALL.search(sentence))


_ASIDE = re.compile(
    r"^(?:\(.*\)[.!]?$|"  # a whole sentence in parentheses
    r"(?:by the way|incidentally|as an aside|full disclosure)\b|"
    r"i (?:was|went|had|remember|recall|met|asked|wrote|recently|once|used to|spent|got|thought this|"
    r"['’]ve been|have been|['’]m not sure|am not sure|don['’]t know|should (?:note|mention|say)|want to|"
    r"['’]ll be like|must admit|confess|can['’]t help)\b)",
    re.I,
)


# First-person narrative in the past within the first few words ("For a decade I collected …", "When I
# needed an idea, I searched …"); verbs of holding a view ("I argued", "I expected") are claims, not stories.
_ANECDOTE = re.compile(
    r"^(?:[\w’',]+\s){0,4}I (?:(?!expected|believed|predicted|argued|concluded|learned|noticed|realised|realized|"
    r"suspected)\w+ed|was|went|had|spent|got|met|saw|sat|took|made|wrote|tried)\b"
)


_STORY = re.compile(r"^(?:[\w’',]+\s){0,4}I (?:was|went|met|sat|visited|remember|recall|spent|once)\b")


def opens_story(sentence: str) -> bool:
    """The first line of a first-person anecdote ("I was at a dinner with …", "For a decade I collected
    notes …"): what follows in the paragraph is the story ("The biologist said …"), an illustration
    rather than the author's claim."""
    text = sentence.strip(' "“')
    return bool(_STORY.match(text) or _ANECDOTE.search(text))


def is_aside(sentence: str) -> bool:
    """A first-person aside or anecdote ("I was at a dinner with …"), not a statement about the subject."""
    text = sentence.strip(' "“')
    return bool(_ASIDE.search(text) or _ANECDOTE.search(text))


_FOIL = re.compile(
    r"\b(?:(?:another|one|a common|the usual|the obvious) (?:counter-?argument|objection|rebuttal)|"
    r"(?:you|one|people|some) (?:could|might|may|will|would) (?:argue|say|object|claim|think)|"
    r"(?:some|many) (?:people|critics|skeptics|sceptics) (?:will )?(?:say|argue|claim|think)|"
    r"sometimes people (?:will )?(?:say|argue|claim)|it['’]s tempting to|the conventional wisdom|"
    r"(?:critics|skeptics|sceptics|proponents) (?:say|argue|claim)|"
    r"(?:people|many|others) (?:have )?(?:spent (?:a lot of |much |years )?time |been )"
    r"(?:talking|arguing|writing|debating) about)\b|^somehow\b",
    re.I,
)


_FOIL_KEYS = ("counter", "objection", "rebuttal", "argue", "say", "object", "claim", "think", "tempting",
              "wisdom", "somehow", "about")  # fmt: skip


_ANSWERED = re.compile(r"[.!?][\"”’']?\s+(?=I \w)")


def is_foil(sentence: str) -> bool:
    """A view stated in order to be rejected ("Another counterargument you could make …", "Somehow, …").

    A foil followed by the author's verdict on it ("… diffuse. I think this is cope.") is the author's own
    claim, stated with what it rejects: no longer a foil.
    """
    parts = _ANSWERED.split(sentence.strip())
    if len(parts) > 1 and is_verdict(parts[-1]):
        return False
    low = sentence.lower()
    return any(key in low for key in _FOIL_KEYS) and bool(_FOIL.search(sentence.strip(' "“')))


# A prediction with a time frame: "by 2030 …", "in the next decade or two", "may take another 5 to 10 years".
_FORECAST_WILL = re.compile(
    r"\b(?:will|won['’]t|['’]ll|would|may|might|expect|expects|expected|predict|predicts|forecast|likely|probably)\b",
    re.I,
)
_FORECAST_WHEN = re.compile(
    r"\b(?:by (?:the (?:end|middle) of )?(?:19|20)\d\d|next (?:year|decade|month|\d+ (?:years|months))|"
    r"(?:in|within|over) the (?:next|coming) (?:\w+ ){0,3}(?:years?|decades?|months?)|"
    r"(?:another|in|within) (?:\d+|a few|two|three|five|ten)(?: to \d+)? (?:more )?(?:years?|decades?|months?))\b",
    re.I,
)


def is_forecast(sentence: str) -> bool:
    """A prediction with a time frame: what a reader will want to check when the time comes."""
    return bool(_FORECAST_WHEN.search(sentence)) and bool(_FORECAST_WILL.search(sentence))


_OWN_VIEW = re.compile(
    r"\bI (?:\w+ )?(?:think|expect|believe|predict|suspect|doubt|argue|find|conclude)\b(?! (?:about|of)\b)"
)


def states_own_view(sentence: str) -> bool:
    """The writer saying where they stand ("I expect …", "what I think will be …") in their own voice:
    outside quotation marks, where an "I" is someone else's (a news story's interviewee)."""
    for match in _OWN_VIEW.finditer(sentence):
        before = sentence[: match.start()]
        if before.count('"') % 2 == 0 and before.count("“") == before.count("”"):
            return True
    return False


def is_question(sentence: str) -> bool:
    """A question asks rather than claims (a trailing quote or bracket after the mark still counts)."""
    return sentence.rstrip(" \"'”’)]").endswith("?")


def unfit(sentence: str) -> str | None:
    """Why a sentence can never be a claim, or None: caption, edit note, call to action, question, aside."""
    for name, test in (
        ("caption", is_caption),
        ("edit note", is_edit_note),
        ("call to action", is_call_to_action),
        ("question", is_question),
        ("aside", is_aside),
        ("unbalanced", lambda s: not balanced(s)),
    ):
        if test(sentence):
            return name
    return None
