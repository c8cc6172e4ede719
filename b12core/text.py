"""Text handling: keys for matching test names, headers and units; fast regex extraction; escaping."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_B_SPACE_12 = re.compile(r"\bb\s+12\b")
# Words that say where or how a test was measured, not what: removed for a second, looser match.
SPECIMEN_WORDS = frozenset(
    "serum plasma blood whole ser serpl plas bld level levels lvl conc concentration test assay "
    "result quantitative qn quant total measurement venous i in im of the spiegel s p b fs fp sp "
    # French, Spanish and Italian: the serum or plasma adjective ("Ferritine sérique", "Ferritina
    # sérica", "Vitamina B12 sierica", "Potassium plasmatique") and "en suero" / "siero"
    "serique seriques serica serico sericas sericos sierica sierico sieriche sierici suero siero en "
    "plasmatique plasmatiques plasmatica plasmatico plasmaticas plasmaticos plasmatiche plasmatici"
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


# What a lab prints after a test name that is not part of it, one mark at a time from the end:
# footnote signs and superscript digits ("Hemoglobin ¹", "Folate *"), a letter, number or sign in
# brackets ("MCV (a)", "[1]"), and a performing-lab code of one or two digits after a word, with
# or without a one-letter flag ("Vitamin B12 01", "Hemoglobin 02 A"). Digits that end a word are
# never a mark ("Vitamin B12", "CA 19-9", "HbA1c"), nor digits after a lone letter ("Vitamin B 12",
# "Hemoglobin A 2"), nor '#' and '%' (RET# and RET% are different tests).
_TRAILING_SIGN = re.compile(r"(?:\s*[*†‡§¶¹²³⁰⁴-⁹]+|\s*[(\[]\s*(?:[A-Za-z]|\d{1,2}|[*†‡§¶]+)\s*[)\]])\s*$")
_TRAILING_CODE = re.compile(r"^(?P<name>.*?(?P<word>\S+))\s+\d{1,2}(?:\s+[A-Za-z])?\s*$")
_LONE_LETTER = re.compile(r"[A-Za-z]")
_MAX_MARKS = 3
_BRACKETED = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_SYNONYM_SEPARATOR = re.compile(r"[,;]")


def name_without_marks(text: str) -> list[str]:
    """The name with its trailing marks taken off one at a time, the least cut first:
    ``Vitamin B12 01 ¹`` -> [``Vitamin B12 01``, ``Vitamin B12``]; [] when it ends in none."""
    names: list[str] = []
    current = str(text)
    for _ in range(_MAX_MARKS):
        shorter = _TRAILING_SIGN.sub("", current)
        code = _TRAILING_CODE.match(current) if shorter == current else None
        if code and not _LONE_LETTER.fullmatch(code["word"]):
            shorter = code["name"]
        shorter = shorter.rstrip(" ,;:")
        if shorter == current or not name_key(shorter):
            break
        names.append(shorter)
        current = shorter
    return names


def bracket_parts(text: str) -> tuple[str, list[str]]:
    """A name and the synonyms it gives in brackets, each tried on its own when the whole name is
    unknown: ``Folate (Folic Acid), Serum`` -> (``Folate , Serum``, [``Folic Acid``]); a list in
    brackets gives each of its items (``(hemoglobin, HGB)``)."""
    inner = [part.strip() for group in _BRACKETED.findall(str(text))
             for part in _SYNONYM_SEPARATOR.split(group) if part.strip()]
    return _BRACKETED.sub(" ", str(text)).strip(), inner


def only_specimen_words(text: str) -> bool:
    """True when a name part says only where or how the test was measured (``(Serum)``)."""
    return all(w in SPECIMEN_WORDS for w in name_key(text).split())


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


_STR_DTYPES = {pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}


def extract(texts: pd.Series, pattern: str) -> pd.DataFrame:
    """Named groups of an RE2 ``pattern`` for each text, by Arrow's regex kernel.

    A group that did not take part in the match, or a text that does not match, is NaN (as in
    ``Series.str.extract``), so ``.notna()`` says whether a part was written.
    """
    array = pa.array(texts.astype("str").fillna(""), type=pa.string())
    if isinstance(array, pa.ChunkedArray):  # an Arrow-backed column hands over its chunks
        array = array.combine_chunks()
    result = pc.extract_regex(array, pattern)
    matched = result.is_valid()
    columns = {}
    for i, field in enumerate(result.type):
        part = pc.if_else(matched, result.field(i), pa.scalar(None, pa.string()))
        part = pc.if_else(pc.equal(part, ""), pa.scalar(None, pa.string()), part)
        column = part.to_pandas(types_mapper=_STR_DTYPES.get)
        column.index = texts.index
        columns[field.name] = column
    return pd.DataFrame(columns, index=texts.index)
