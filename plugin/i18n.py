"""The admin's language: Flask-Babel with gettext catalogues under plugin/translations/.

English is the source language (the msgids); every other language has a compiled catalogue,
and a string missing from it falls back to English. A surface that knows its user's language
(the admin UI, from Zendesk's `locale`) calls `use_locale`; everything else stays English.
"""
from pathlib import Path

from babel import negotiate_locale
from flask import g
from flask_babel import Babel

TRANSLATIONS = Path(__file__).with_name("translations")
SOURCE_LANGUAGE = "en"


def languages() -> list[str]:
    """The languages Murmur speaks: English and each language with a catalogue."""
    found = sorted(path.parent.parent.name for path in TRANSLATIONS.glob("*/LC_MESSAGES/*.mo"))
    return [SOURCE_LANGUAGE, *found]


def best_language(zendesk_locale: str | None) -> str:
    """The supported language closest to a Zendesk locale (`de-CH` -> `de`), else English."""
    wanted = (zendesk_locale or "").strip().lower().replace("-", "_")
    if not wanted:
        return SOURCE_LANGUAGE
    return negotiate_locale([wanted, wanted.split("_")[0]], languages()) or SOURCE_LANGUAGE


def use_locale(zendesk_locale: str | None) -> str:
    """Speak the language closest to `zendesk_locale` for the rest of this request."""
    g.language = best_language(zendesk_locale)
    return g.language


def _selected():
    return g.get("language")


def init_app(app):
    """Attach Flask-Babel (Jinja's `_`/`gettext` included) to `app`."""
    Babel(app, locale_selector=_selected, default_translation_directories=str(TRANSLATIONS))
