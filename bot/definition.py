"""Questions that ask what a term is (什么是乙酰胺, 乙酰胺是什么) or what else it is called
(凉茶舖又叫什么, 蓍的别名是什么), and the sentence that answers them: one that opens with the term
and, after an aside in brackets, goes on with a copula (「乙酰胺是由乙酸衍生出的酰胺」,
「牛车水（…）是新加坡的唐人街」) or with its other name (「凉茶舖，又名凉茶店」). Language
knowledge that holds for any Chinese text."""

from __future__ import annotations

import re

from bot.features import ANAPHORS

ALIASES = (
    "又称|又叫|又名|别名|别称|简称|俗称|也叫|也称|还叫|亦称|全称|旧称|古称|原名|本名|通称|或称"
    "|亦作|又作|又译|英文名|学名|外号|绰号|昵称|小名"
)
WHAT = re.compile(
    r"^(?:请问)?(?:什么是|什么叫做|什么叫|何谓|何为)(?P<a>.+)$"
    r"|^(?P<b>.+?)(?:是指什么|指的是什么|是什么意思|是什么东西|是什么|指什么|是何物|是啥)$"
)
# The other name itself is asked: the alias word stands right before the question word
# (「黄帝纪元，又称轩辕纪年，此种概念最早由谁提出」 only mentions one).
ALIAS = re.compile(
    rf"^(?P<a>.+?)的?(?:(?:{ALIASES})(?:是|为|叫)?"
    r"|(?:又|也|还|亦|通常|一般|常|俗)?被?(?:叫|称)(?:做|作|为|之为)?)(?:什么|哪些|啥|何)$"
)
# A term asked about is a name or a short phrase, not a clause.
TERM_CHARS = (1, 12)
QUOTES = "“”\"'‘’「」『』《》"
END = "?？。.!！ "
OPENING = re.compile(r"^[“\"'‘「『《]")
# After the term: a closing quote, an aside in brackets, a comma; then what it is.
BETWEEN = re.compile(r"^[”\"'’」』》]?\s*(?:[（(][^）)]*[）)])?\s*[，,、]?\s*")
COPULA = re.compile(rf"^(?:是|为|係|乃|即|指|{ALIASES})")
OTHER_NAME = re.compile(rf"^(?:{ALIASES})")


def asked_term(question: str) -> tuple[str, bool]:
    """The term a question asks about and whether it asks for the term's other name; ("",
    False) when it asks neither what a term is nor what else it is called."""
    text = question.strip(END)
    for pattern, alias in ((ALIAS, True), (WHAT, False)):
        m = pattern.match(text)
        if m:
            term = next(g for g in m.groups() if g).strip(QUOTES)
            low, high = TERM_CHARS
            if low <= len(term) <= high and term not in ANAPHORS:
                return term, alias
            return "", False
    return "", False


def answers(term: str, alias: bool, sentence: str) -> bool:
    """True when the sentence opens with the term and goes on to say what it is (or, for an
    other name asked, what else it is called)."""
    text = OPENING.sub("", sentence.lstrip())
    if not term or not text.startswith(term):
        return False
    rest = BETWEEN.sub("", text[len(term) :], count=1)
    return bool((OTHER_NAME if alias else COPULA).match(rest))
