"""Every Chinese msgid in the source has English, and English pages really use it.

The msgids are extracted the way `makemessages` does: Python files by keyword, templates through Django's own
`templatize` (which turns `{% translate %}` / `{% blocktranslate %}` into gettext calls, `{{ var }}` into
`%(var)s` and a literal `%` into `%%`, exactly as the template tags look them up at run time), then babel's
Python extractor on the result. The catalogue is the union of the parts under
`locale/en/LC_MESSAGES/parts/`, which `locale/build.py` merges into django.po/.mo.
"""

import re
from collections import defaultdict
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract, extract_python
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse
from django.utils.translation.template import templatize

from tests.onestop.builders import build_services, submitted_gold_card

SOURCE = Path(__file__).resolve().parents[1] / "src" / "rencai"
PARTS = SOURCE / "locale" / "en" / "LC_MESSAGES" / "parts"

# The gettext functions Django's makemessages passes to xgettext (plus xgettext's own `_`/`gettext`/
# `ngettext`); the numbers are the argument positions, "c" marks the context argument.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
CHINESE = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _sources() -> list[Path]:
    files = []
    for path in sorted(SOURCE.rglob("*")):
        parts = set(path.relative_to(SOURCE).parts)
        if not path.is_file() or parts & {"migrations", "tests", "__pycache__", "static", "locale"}:
            continue
        if path.suffix == ".py" or (path.suffix in {".html", ".txt"} and "templates" in parts):
            files.append(path)
    return files


def extract_msgids() -> dict[tuple[str | None, str | tuple[str, ...]], list[str]]:
    """(context, msgid or (singular, plural)) -> ["file:line", ...] for every marked string of the project."""
    found: dict[tuple[str | None, str | tuple[str, ...]], list[str]] = defaultdict(list)
    for path in _sources():
        source = path.read_text(encoding="utf-8")
        if path.suffix != ".py":
            source = templatize(source, origin=str(path))
        messages = extract(
            extract_python, BytesIO(source.encode("utf-8")), keywords=KEYWORDS, options={"encoding": "utf-8"}
        )
        for lineno, message, _comments, context in messages:
            found[(context, message)].append(f"{path.relative_to(SOURCE.parents[1])}:{lineno}")
    return found


def read_parts() -> dict[str, list]:
    """Part file name -> its messages (the header entry left out)."""
    parts = {}
    for part in sorted(PARTS.glob("*.po")):
        with part.open("rb") as handle:
            parts[part.name] = [message for message in read_po(handle, locale="en") if message.id]
    return parts


def merged_catalogue() -> dict[tuple[str | None, str], object]:
    """What build.py compiles: the first part to translate a msgid wins."""
    catalogue = {}
    for messages in read_parts().values():
        for message in messages:
            key = (message.context, message.id[0] if isinstance(message.id, tuple) else message.id)
            if key not in catalogue or not _translated(catalogue[key]):
                catalogue[key] = message
    return catalogue


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(string and string.strip() for string in strings)


def _has_chinese(msgid) -> bool:
    return any(CHINESE.search(text) for text in (msgid if isinstance(msgid, tuple) else (msgid,)))


def test_every_chinese_msgid_has_english():
    catalogue = merged_catalogue()
    missing = []
    for (context, msgid), places in extract_msgids().items():
        if not _has_chinese(msgid):
            continue
        singular = msgid[0] if isinstance(msgid, tuple) else msgid
        message = catalogue.get((context, singular))
        if message is None or not _translated(message):
            label = f"[{context}] {msgid!r}" if context else repr(msgid)
            missing.append(f"{label}  ({', '.join(places)})")
    assert not missing, f"{len(missing)} msgids without English:\n" + "\n".join(sorted(missing))


def test_plural_msgids_are_translated_as_plurals():
    catalogue = merged_catalogue()
    wrong = []
    for (context, msgid), places in extract_msgids().items():
        message = catalogue.get((context, msgid[0] if isinstance(msgid, tuple) else msgid))
        if message is not None and isinstance(msgid, tuple) != isinstance(message.id, tuple):
            wrong.append(f"{msgid!r} ({', '.join(places)}): the part has {message.id!r}")
    assert not wrong, "singular/plural mismatch between the source and the parts:\n" + "\n".join(wrong)


def test_translations_keep_every_placeholder():
    broken = []
    for part, messages in read_parts().items():
        for message in messages:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            expected = set().union(*(PLACEHOLDER.findall(text) for text in ids))
            for string in strings:
                if string and set(PLACEHOLDER.findall(string)) != expected:
                    broken.append(f"{part}: {message.id!r} -> {string!r} (expected {sorted(expected)})")
    assert not broken, "translations that drop or rename placeholders:\n" + "\n".join(broken)


def test_parts_do_not_clash():
    """build.py keeps the first English of a msgid and reports the others; there must be none."""
    seen: dict[tuple[str | None, object], tuple[str, object]] = {}
    clashes = []
    for part, messages in read_parts().items():
        for message in messages:
            key = (message.context, message.id)
            if key in seen and message.string and seen[key][1] and seen[key][1] != message.string:
                clashes.append(
                    f"{part}: {message.id!r} = {message.string!r} vs {seen[key][0]}: {seen[key][1]!r}"
                )
            seen.setdefault(key, (part, message.string))
    assert not clashes, "\n".join(clashes)


@pytest.mark.django_db
def test_one_stop_officer_pages_render_in_english(client, world):
    """The compiled catalogue (django.mo, built by `make messages`) is what the pages use."""
    submitted_gold_card(build_services(world))
    client.force_login(world.users["county_org_dept"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    window = client.get(reverse("onestop:window_queue")).content.decode()
    assert "<h1>Talent service window</h1>" in window
    assert "1 application awaiting acceptance" in window
    assert "Talent gold card management" in window
    for chinese in ("人才服务综合窗口", "待受理", "人才金卡管理", "暂无待受理的申请"):
        assert chinese not in window

    items = client.get(reverse("onestop:item_manage")).content.decode()
    assert "<h1>Manage service items</h1>" in items
    assert "New service item" in items and "Steps</th>" in items
    for chinese in ("服务事项维护", "新增服务事项", "环节数", "本地另行定义", "县（市、区）沿用市级事项"):
        assert chinese not in items

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "<h1>人才服务综合窗口</h1>" in client.get(reverse("onestop:window_queue")).content.decode()


# Chinese punctuation in English text: full-width forms (：；，（）！？), CJK marks (、。《》「」) and curly
# quotes. English pages use ASCII punctuation ("Import report: x", not "Import report：x").
CHINESE_PUNCTUATION = re.compile(r"[\uff01-\uff5e\u3000-\u303f\u2018\u2019\u201c\u201d]")


def test_no_english_translation_holds_chinese_punctuation():
    found = []
    for part, messages in read_parts().items():
        for message in messages:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            found += [
                f"{part}: {message.id!r} -> {text!r}" for text in strings if CHINESE_PUNCTUATION.search(text)
            ]
    assert not found, "English with Chinese punctuation:\n" + "\n".join(found)


# Literal Chinese punctuation written in a template outside the translated strings shows on English pages
# too ("Import report：x"): the colon or bracket belongs inside the translated string (or in CSS). Files
# that still do it, to be mended by their owners; the list only shrinks.
PUNCTUATION_OUTSIDE_TRANSLATION = {
    "templates/500.html",  # bilingual by design: shown when no translation machinery may be working
}
TEMPLATE_TAGS_AND_TRANSLATIONS = re.compile(
    r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}"
    r"|{#.*?#}|{%.*?%}|{{.*?}}",
    re.S,
)


def test_templates_write_no_chinese_punctuation_outside_translated_strings():
    found = []
    for path in sorted(SOURCE.rglob("templates/**/*.html")):
        name = str(path.relative_to(SOURCE))
        untranslated = TEMPLATE_TAGS_AND_TRANSLATIONS.sub("", path.read_text(encoding="utf-8"))
        if CHINESE_PUNCTUATION.search(untranslated) and name not in PUNCTUATION_OUTSIDE_TRANSLATION:
            found.append(name)
    assert not found, "templates with Chinese punctuation outside a translated string:\n" + "\n".join(found)
