"""Keeping the console's catalogues complete: extract the messages of templates and code, find the untranslated.

English is the source language: messages are written in English (``_("Residents")``), so the
English pages need no catalogue, and a Chinese character written outside ``_()`` in a template
would be English pages' untranslated text. Chinese (``zh_CN``) has a catalogue of every message.

For plugin authors (and the kernel's own test)::

    python -m meihao.web.console.catalogues check  scenarios/my_scene          # lists what is missing
    python -m meihao.web.console.catalogues update scenarios/my_scene pages.po # adds it, to be translated

look in ``<folder>/templates`` (``*.html``) and the folder's ``*.py`` for messages, and in
``<folder>/locale/zh_CN/LC_MESSAGES/*.po`` for their translations.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

TRANSLATED = "zh_CN"
METHODS = [("**/templates/**.html", "jinja2"), ("**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
#: Chinese characters (CJK unified ideographs and their punctuation).
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def extract(folder: Path) -> dict[str, list[str]]:
    """Every message id used under ``folder`` (templates and Python), with where it is used."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        folder, method_map=[(pattern, method) for pattern, method in METHODS], options_map=OPTIONS, keywords=KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def translations(folder: Path, language: str = TRANSLATED) -> dict[str, str]:
    """The non-empty, non-fuzzy translations in ``folder/locale/<language>/LC_MESSAGES/*.po``."""
    result: dict[str, str] = {}
    for path in sorted((folder / "locale" / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as po:
            for message in read_po(po, locale=language):
                if message.id and message.string and not message.fuzzy:
                    result[message.id if isinstance(message.id, str) else message.id[0]] = message.string
    return result


def untranslated(folder: Path, also: list[Path] = ()) -> dict[str, list[str]]:
    """Messages used under ``folder`` without a Chinese translation there (or in ``also``: the kernel's, say)."""
    known: dict[str, str] = {}
    for place in [*also, folder]:
        known.update(translations(place))
    return {msgid: where for msgid, where in extract(folder).items() if msgid not in known}


def untranslatable(folder: Path) -> dict[str, list[str]]:
    """Chinese written into templates outside ``_()``: it would show untranslated on English pages."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.html")):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r"_\((['\"]).*?\1", "", text, flags=re.S)
        for lineno, line in enumerate(text.splitlines(), 1):
            if CJK.search(line) and 'lang="zh-CN"' not in line and "lang='zh-CN'" not in line:
                found.setdefault(CJK.findall(line)[0], []).append(f"{path}:{lineno}")
    return found


def update(folder: Path, filename: str, also: list[Path] = ()) -> int:
    """Add the untranslated messages to ``folder/locale/zh_CN/LC_MESSAGES/<filename>`` (empty, to be translated)."""
    path = folder / "locale" / TRANSLATED / "LC_MESSAGES" / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        with path.open("rb") as po:
            catalog = read_po(po, locale=TRANSLATED)
    else:
        catalog = Catalog(locale=TRANSLATED, project="meihao")
    missing = untranslated(folder, list(also))
    for msgid, where in missing.items():
        if msgid not in catalog:
            catalog.add(msgid, "", locations=[(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where[:3]])
    with path.open("wb") as po:
        write_po(po, catalog, width=120, omit_header=False, sort_output=False)
    return len(missing)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("check", "update"):
        print(__doc__)
        return 2
    folder = Path(argv[1])
    kernel = [Path(__file__).parent] if folder.resolve() != Path(__file__).parent.resolve() else []
    if argv[0] == "update":
        print(f"{update(folder, argv[2] if len(argv) > 2 else 'messages.po', kernel)} messages to translate")
        return 0
    missing, chinese = untranslated(folder, kernel), untranslatable(folder)
    for msgid, where in sorted(missing.items()):
        print(f"untranslated: {msgid!r} ({where[0]})")
    for text, where in sorted(chinese.items()):
        print(f"Chinese outside _(): {text!r} ({where[0]})")
    return 1 if missing or chinese else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
