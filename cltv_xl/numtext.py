"""Numbers typed as text, read with the separators of the caller's culture.

Excel's Office.js runtime sends the culture of the calling Excel (``culture_info_name``, e.g.
``"de-DE"``) with every worksheet-function call. A number typed as text is read with that
culture's decimal and thousands separators: ``"1,5"`` is 1.5 under de-DE, and under en-US it
is not a number at all (a comma there groups thousands, in threes), so it is an error rather
than a guess. ``"1.234,56"`` is 1234.56 under de-DE.

Where no culture is known (classic desktop xlwings, plain Python calls), a text is read only
when every culture of :data:`SEPARATORS` that can read it gives the same value: ``"1.5"`` and
``"1.234,56"`` are unambiguous, ``"1,234"`` (1.234 or 1234) is an error.

Accepted forms: an optional sign (``-``, ``+``, ``−``), digits with the culture's thousands
separator between groups of three, an optional decimal part, an optional trailing ``%``
(divides by 100). Spaces around the text are ignored.
"""

from __future__ import annotations

import re

#: (decimal separator, thousands separators) by language or culture. A culture not listed
#: falls back to its language (``"de-LU"`` -> ``"de"``); an unknown language is "unknown".
SEPARATORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "en": (".", (",",)),
    "ja": (".", (",",)),
    "zh": (".", (",",)),
    "ko": (".", (",",)),
    "he": (".", (",",)),
    "th": (".", (",",)),
    "de": (",", (".",)),
    "es": (",", (".",)),
    "it": (",", (".",)),
    "nl": (",", (".",)),
    "pt": (",", (".",)),
    "da": (",", (".",)),
    "id": (",", (".",)),
    "tr": (",", (".",)),
    "el": (",", (".",)),
    "ro": (",", (".",)),
    "hr": (",", (".",)),
    "sl": (",", (".",)),
    "sr": (",", (".",)),
    "fr": (",", ("\u202f", "\u00a0", " ")),
    "sv": (",", ("\u00a0", " ")),
    "nb": (",", ("\u00a0", " ")),
    "nn": (",", ("\u00a0", " ")),
    "fi": (",", ("\u00a0", " ")),
    "pl": (",", ("\u00a0", " ")),
    "cs": (",", ("\u00a0", " ")),
    "sk": (",", ("\u00a0", " ")),
    "hu": (",", ("\u00a0", " ")),
    "ru": (",", ("\u00a0", " ")),
    "uk": (",", ("\u00a0", " ")),
    "de-CH": (".", ("'", "\u2019")),
    "de-LI": (".", ("'", "\u2019")),
    "fr-CH": (".", ("'", "\u2019", "\u202f")),
    "it-CH": (".", ("'", "\u2019")),
    "es-MX": (".", (",",)),
    "es-US": (".", (",",)),
    "pt-PT": (",", ("\u00a0", " ")),
}

#: The separator styles tried when the culture is unknown.
_STYLES = (("en", ".", (",",)), ("de", ",", (".",)), ("fr", ",", (" ",)), ("ch", ".", ("'",)))


class NumberTextError(ValueError):
    """A text is not a number in the given culture, or is ambiguous without one."""


def separators(culture: str | None) -> tuple[str, tuple[str, ...]] | None:
    """(decimal, thousands) separators of a culture name such as ``"de-DE"``, or None."""
    if not culture:
        return None
    name = str(culture).strip().replace("_", "-")
    lang, _, region = name.partition("-")
    exact = f"{lang.lower()}-{region.upper()}" if region else lang.lower()
    return SEPARATORS.get(exact) or SEPARATORS.get(lang.lower())


def _pattern(decimal: str, groups: tuple[str, ...]) -> re.Pattern[str]:
    group = "|".join(re.escape(g) for g in groups)
    return re.compile(
        rf"(?P<int>\d{{1,3}}(?:(?:{group})\d{{3}})+|\d+)?"
        rf"(?:{re.escape(decimal)}(?P<frac>\d+))?"
    )


def _read(body: str, decimal: str, groups: tuple[str, ...]) -> float | None:
    match = _pattern(decimal, groups).fullmatch(body)
    if match is None or not (match["int"] or match["frac"]):
        return None
    whole = re.sub(r"\D", "", match["int"] or "0")
    return float(f"{whole}.{match['frac'] or '0'}")


def parse_number_text(text: str, culture: str | None = None) -> float:
    """Read a number typed as text, with the separators of ``culture`` (see module docs).

    Raises :class:`NumberTextError` with a message that says what was expected.
    """
    raw = text
    body = text.strip()
    scale = 1.0
    if body.endswith("%"):
        scale, body = 0.01, body[:-1].rstrip()
    sign = 1.0
    if body[:1] in ("-", "+", "\u2212"):
        sign, body = (1.0 if body[0] == "+" else -1.0), body[1:].lstrip()
    if re.fullmatch(r"\d+(\.\d+)?[eE][+-]?\d+", body):  # scientific notation is culture-free
        return sign * float(body) * scale
    if not re.search(r"\d", body):
        raise NumberTextError(f"{raw!r} is not a number")
    seps = separators(culture)
    if seps is not None:
        value = _read(body, *seps)
        if value is None:
            decimal, groups = seps
            raise NumberTextError(
                f"{raw!r} is not a number in {culture} (decimal separator {decimal!r}, "
                f"thousands separator {groups[0]!r} between groups of three digits)"
            )
        return sign * value * scale
    readings = {v for _, d, g in _STYLES if (v := _read(body, d, g)) is not None}
    if len(readings) == 1:
        return sign * readings.pop() * scale
    if not readings:
        raise NumberTextError(f"{raw!r} is not a number")
    raise NumberTextError(
        f"{raw!r} is ambiguous without a known culture (it reads as "
        f"{' or '.join(f'{v:g}' for v in sorted(readings))}); type it as a number"
    )
