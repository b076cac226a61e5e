"""The console's languages: gettext catalogues (Babel ``.po`` files) of the kernel and of every plugin.

Messages are written in English in the templates and the code (``_("Residents")``); each
language has a folder ``locale/<language>/LC_MESSAGES/`` holding any number of ``.po`` files,
read and merged at start (the kernel's first, then each plugin's), so that parts of the console
keep catalogues of their own. ``zh_CN`` is the default; English is complete as well (a test
fails on a message missing from either).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

if TYPE_CHECKING:
    from meihao.runtime import Meihao

#: The console's languages, the default first, with their names as shown in the switcher.
LANGUAGES: dict[str, str] = {"zh_CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"
#: The cookie that keeps a visitor's choice of language.
LANGUAGE_COOKIE = "meihao_lang"
#: The kernel's catalogues.
KERNEL_LOCALE = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Marks a message for the catalogues where it is defined; it is translated where it is shown (``_(item.title)``)."""
    return message


def catalogue_files(folder: Path, language: str) -> list[Path]:
    return sorted((folder / language / "LC_MESSAGES").glob("*.po"))


def load_translations(folders: list[Path], language: str) -> Translations:
    """Every ``.po`` of ``language`` under ``folders``, merged in order (a later folder's message wins)."""
    merged = Translations()
    for folder in folders:
        for path in catalogue_files(folder, language):
            with path.open("rb") as po:
                catalog = read_po(po, locale=language.replace("-", "_"))
            buffer = io.BytesIO()
            write_mo(buffer, catalog)  # fuzzy and empty translations are left out: they count as missing
            buffer.seek(0)
            merged.merge(Translations(buffer))
    return merged


def locale_folders(mh: Meihao) -> list[Path]:
    """The kernel's catalogues, then each plugin's (``ConsolePages.locale``)."""
    return [KERNEL_LOCALE] + [Path(pages.locale) for _, pages in mh.plugins.console_pages() if pages.locale is not None]


def language_of(cookie: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    return cookie if cookie in LANGUAGES else default
