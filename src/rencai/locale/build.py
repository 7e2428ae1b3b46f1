"""Merge the English translation parts (one .po per app, no header needed) into django.po and compile it.

Chinese is the source language; each app keeps its English in `en/LC_MESSAGES/parts/<app>.po` so that
several people can translate at once without editing one file. Run by `make messages`.
"""

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent / "en" / "LC_MESSAGES"


def build() -> int:
    catalog = Catalog(locale="en", project="rencai", charset="utf-8")
    clashes = []
    for part in sorted((HERE / "parts").glob("*.po")):
        with part.open("rb") as handle:
            for message in read_po(handle, locale="en"):
                if not message.id:
                    continue
                existing = catalog.get(message.id, message.context)
                if existing is not None and existing.string and existing.string != message.string:
                    clashes.append(f"{part.name}: {message.id!r} = {message.string!r} vs {existing.string!r}")
                    continue
                catalog.add(message.id, message.string, context=message.context)
    with (HERE / "django.po").open("wb") as handle:
        write_po(handle, catalog, width=0)
    with (HERE / "django.mo").open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=True)
    for clash in clashes:
        print("translation clash (first kept):", clash, file=sys.stderr)
    print(f"{len(catalog)} English messages compiled")
    return 0


if __name__ == "__main__":
    sys.exit(build())
