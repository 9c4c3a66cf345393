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
)
_FIRST_WORD = re.compile(r"[\W_]*([^\W\d_]+)")  # "It's" → "It"


_PHRASE_STARTS = frozenset(phrase.split()[0] for phrase in _LEANING_PHRASES)


def leans_on_previous(sentence: str) -> bool:
    """Opens with a connective or a pronoun ("However", "He said", "Second", "This is why")."""
    match = _FIRST_WORD.match(sentence)
    if not match:
        return False
    first = match.group(1).lower()
    if first in LEANING_WORDS:
        return True
    if first in ("first", "firstly") and sentence[match.end(1) : match.end(1) + 1] == ",":
        return True  # "First, t-SNE constructs …" counts off stages named before; "First Minister" does not
    if first not in _PHRASE_STARTS:
        return False
    head = sentence[match.start(1) : match.start(1) + 24].lower()
    return any(head.startswith(p) and not head[len(p) : len(p) + 1].isalpha() for p in _LEANING_PHRASES)


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


def is_aside(sentence: str) -> bool:
    """A first-person aside or anecdote ("I was at a dinner with …"), not a statement about the subject."""
    text = sentence.strip(' "“')
    return bool(_ASIDE.search(text) or _ANECDOTE.search(text))


_FOIL = re.compile(
    r"\b(?:(?:another|one|a common|the usual|the obvious) (?:counter-?argument|objection|rebuttal)|"
    r"(?:you|one|people|some) (?:could|might|may|will|would) (?:argue|say|object|claim|think)|"
    r"(?:some|many) (?:people|critics|skeptics|sceptics) (?:will )?(?:say|argue|claim|think)|"
    r"sometimes people (?:will )?(?:say|argue|claim)|it['’]s tempting to|the conventional wisdom|"
    r"(?:critics|skeptics|sceptics|proponents) (?:say|argue|claim))\b|^somehow\b",
    re.I,
)


_FOIL_KEYS = ("counter", "objection", "rebuttal", "argue", "say", "object", "claim", "think", "tempting",
              "wisdom", "somehow")  # fmt: skip


def is_foil(sentence: str) -> bool:
    """A view stated in order to be rejected ("Another counterargument you could make …", "Somehow, …")."""
    low = sentence.lower()
    return any(key in low for key in _FOIL_KEYS) and bool(_FOIL.search(sentence.strip(' "“')))


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
