"""Keys for matching what exports print: test names, column headers and unit spellings."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_B_SPACE_12 = re.compile(r"\bb\s+12\b")
# Words that say where or how a test was measured, not what: removed for a second, looser match.
SPECIMEN_WORDS = frozenset(
    "serum plasma blood whole ser serpl plas bld level levels lvl conc concentration test assay "
    "result quantitative qn quant total measurement venous i in im of the spiegel s p b fs fp sp"
    .split()
)


def fold(text: str) -> str:
    """Lower case without accents: ``Hämoglobin`` -> ``hamoglobin``, ``ß`` -> ``ss``."""
    decomposed = unicodedata.normalize("NFKD", str(text).replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def name_key(text: str) -> str:
    """A test name or header reduced to lower-case words: tolerant of case, accents, punctuation
    and spacing. ``%`` and ``#`` survive as words because ``RET%`` and ``RET#`` differ."""
    folded = fold(text).replace("%", " pct ").replace("#", " num ")
    folded = _B_SPACE_12.sub("b12", folded)
    return " ".join(_NON_ALNUM.sub(" ", folded).split())


def stripped_name_key(text: str) -> str:
    """``name_key`` without specimen and filler words (``Vitamin B12, Serum`` -> ``vitamin b12``)."""
    words = [w for w in name_key(text).split() if w not in SPECIMEN_WORDS]
    return " ".join(words) if words else name_key(text)


def unit_key(text: str) -> str:
    """A unit spelling reduced for lookup: no spaces, lower case, micro signs as ``u``."""
    key = unicodedata.normalize("NFKC", str(text)).strip().lower()
    key = key.replace("μ", "u").replace("µ", "u")
    key = "".join(key.split())
    for old, new in (("micromol", "umol"), ("mcmol", "umol"), ("mcg", "ug"), ("microgram", "ug")):
        key = key.replace(old, new)
    return key


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def markdown_literal(text: str) -> str:
    """Text escaped so a Markdown renderer shows it as written (no links, images, HTML or math).

    File names and cell contents come from users; messages that quote them pass through here
    before any Streamlit element that renders Markdown.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
