"""Verdana advance widths, so badges and chart labels can be sized without a font engine.

Badges are drawn in Verdana 11px, as shields.io badges are; the browser picks the real font, but
the SVG needs each text's width at build time to size its boxes. The numbers here are Verdana
Regular's horizontal advances in font units (1000 per em), as published in the font's metrics;
a character's width in px is ``advance / 1000 * font_size``.

``char_advance`` extends the table to all of Unicode with rules chosen to over- rather than
under-estimate: accented letters take their base letter's width, marks and invisible format
characters take none, East Asian wide characters a full em, emoji a little more, and anything
else a generous ``FALLBACK_ADVANCE``.
"""

from __future__ import annotations

import unicodedata

UNITS_PER_EM = 1000

# Advances of the printable ASCII characters U+0020 (space) .. U+007E (~), in code-point order.
_ASCII_ADVANCES = (
    351,
    393,
    458,
    818,
    635,
    1076,
    726,
    268,
    454,
    454,
    635,
    818,
    363,
    454,
    363,
    454,  # space../
    635,
    635,
    635,
    635,
    635,
    635,
    635,
    635,
    635,
    635,
    454,
    454,
    818,
    818,
    818,
    545,  # 0..?
    1000,
    683,
    685,
    698,
    770,
    632,
    574,
    775,
    751,
    420,
    454,
    692,
    556,
    842,
    748,
    787,  # @..O
    603,
    787,
    695,
    683,
    616,
    731,
    683,
    988,
    685,
    615,
    685,
    454,
    454,
    454,
    818,
    635,  # P.._
    635,
    600,
    623,
    520,
    623,
    595,
    351,
    623,
    632,
    274,
    344,
    591,
    274,
    972,
    632,
    606,  # `..o
    623,
    623,
    426,
    520,
    394,
    632,
    591,
    818,
    591,
    591,
    525,
    634,
    454,
    634,
    818,  # p..~
)

ADVANCES: dict[str, int] = {chr(0x20 + i): w for i, w in enumerate(_ASCII_ADVANCES)}

# Latin-1 symbols and the typographic punctuation the site itself writes (the ellipsis that
# truncates, the middle dot of rank badges, dashes, curly quotes). Accented letters are not
# listed: they fall back to their base letter through Unicode decomposition.
ADVANCES.update(
    {
        "\u00a0": 351,
        "¡": 393,
        "¢": 635,
        "£": 635,
        "¤": 635,
        "¥": 635,
        "¦": 454,
        "§": 635,
        "¨": 635,
        "©": 1000,
        "ª": 545,
        "«": 644,
        "¬": 818,
        "\u00ad": 454,
        "®": 1000,
        "¯": 635,
        "°": 541,
        "±": 818,
        "²": 541,
        "³": 541,
        "´": 635,
        "µ": 639,
        "¶": 635,
        "·": 363,
        "¸": 635,
        "¹": 541,
        "º": 545,
        "»": 644,
        "¼": 1000,
        "½": 1000,
        "¾": 1000,
        "¿": 545,
        "Æ": 984,
        "Ð": 775,
        "×": 818,
        "Ø": 787,
        "Þ": 605,
        "ß": 620,
        "æ": 955,
        "ð": 611,
        "÷": 818,
        "ø": 606,
        "þ": 623,
        "Œ": 1069,
        "œ": 981,
        "Ł": 561,
        "ł": 284,
        "ı": 274,
        "\u2013": 635,
        "\u2014": 1000,
        "\u2018": 268,
        "\u2019": 268,
        "\u201a": 268,
        "\u201c": 458,
        "\u201d": 458,
        "\u201e": 458,
        "\u2020": 635,
        "\u2021": 635,
        "\u2022": 545,
        "\u2026": 818,
        "\u2030": 1521,
        "\u2039": 454,
        "\u203a": 454,
        "\u20ac": 635,
        "\u2122": 976,
        "\u2212": 818,
    }
)

# Characters the table does not know. Verdana's widest ordinary letters (M, W) are 842-988;
# most Greek and Cyrillic letters are 600-850, so 800 rarely under-estimates by much.
FALLBACK_ADVANCE = 800
# CJK ideographs, kana, Hangul and fullwidth forms are one em in every font that has them.
WIDE_ADVANCE = 1000
# Colour emoji fonts draw slightly wider than an em at the same size.
EMOJI_ADVANCE = 1200

# Blocks whose symbols browsers usually draw with a colour emoji font.
_EMOJI_RANGES = ((0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF))


def char_advance(ch: str) -> int:
    """Advance width of one character in font units (1000 per em), per the rules above."""
    known = ADVANCES.get(ch)
    if known is not None:
        return known
    category = unicodedata.category(ch)
    # Combining marks, zero-width and bidi format characters, controls: drawn with no advance.
    if category in ("Mn", "Me", "Cf", "Cc"):
        return 0
    cp = ord(ch)
    if any(lo <= cp <= hi for lo, hi in _EMOJI_RANGES):
        return EMOJI_ADVANCE
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return WIDE_ADVANCE
    base = unicodedata.normalize("NFD", ch)[0]
    if base != ch and base in ADVANCES:
        return ADVANCES[base]
    return FALLBACK_ADVANCE
