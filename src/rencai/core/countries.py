"""Nationalities: ISO 3166 alpha-2 codes as stored, country names as people read and type them.

Names come from babel's CLDR data (a runtime dependency already), in Chinese and English, so a page shows
"中国" / "China" where the database holds "CN", and an import accepts the code or either name.
"""

from functools import cache

from babel import Locale
from django.utils.translation import get_language

CHINA = "CN"
# Spellings people use that CLDR does not list as the country's name
EXTRA_NAMES = {"中华人民共和国": CHINA, "PRC": CHINA, "PR China": CHINA, "台湾": "TW", "Taiwan": "TW"}
# CLDR codes that are no country: unknown region, EU, eurozone, UN, outlying Oceania, pseudo-locales
NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})
# Names as the Chinese government writes them
OFFICIAL_NAMES = {"zh": {"TW": "中国台湾"}, "en": {"TW": "Taiwan, China"}}


@cache
def _names(language: str) -> dict[str, str]:
    """Code -> name in `language` ("zh" or "en"), for the two-letter codes only (CLDR also has regions)."""
    locale = Locale.parse("zh_Hans" if language == "zh" else "en")
    names = {
        code: name
        for code, name in locale.territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }
    return names | OFFICIAL_NAMES[language]


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def country_name(code: str) -> str:
    """`CN` -> "中国" (or "China" on an English page); an unknown code is shown as it is."""
    return _names(_language()).get((code or "").upper(), code or "")


@cache
def _lookup() -> dict[str, str]:
    lookup = {code.casefold(): code for code in _names("en")}
    for language in ("en", "zh"):
        lookup.update({name.casefold(): code for code, name in _names(language).items()})
    lookup.update({name.casefold(): code for name, code in EXTRA_NAMES.items()})
    return lookup


def country_code(text: str) -> str | None:
    """The code of a country given by code or by its Chinese or English name; None if unknown."""
    return _lookup().get((text or "").strip().casefold())


def country_choices() -> list[tuple[str, str]]:
    """(code, name) for a select, in the page's language: China first, then by name."""
    names = _names(_language())
    others = sorted((item for item in names.items() if item[0] != CHINA), key=lambda item: item[1])
    return [(CHINA, names[CHINA]), *others]
