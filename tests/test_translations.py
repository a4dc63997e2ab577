"""The translation catalogues are complete and in step with the code that uses them."""
import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from plugin.i18n import TRANSLATIONS
from plugin.i18n import languages

ROOT = Path(__file__).resolve().parents[1]
METHODS = [("plugin/**.py", "python"), ("plugin/templates/**.html", "jinja2")]
OTHER_LANGUAGES = [language for language in languages() if language != "en"]


def _catalogue(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


def test_there_is_a_language_besides_english():
    assert "de" in OTHER_LANGUAGES


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_admin_catalogue_holds_exactly_what_the_code_shows(language):
    used = {message for _, _, message, _, _ in extract_from_dir(ROOT, METHODS)}
    assert None not in used
    held = {message.id for message in _catalogue(language) if message.id}
    assert used - held == set(), "missing: run pybabel extract/update (see README)"
    assert held - used == set(), "obsolete: run pybabel update (see README)"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_admin_catalogue_is_translated_with_the_same_placeholders(language):
    catalogue = _catalogue(language)
    assert not catalogue.fuzzy
    for message in catalogue:
        if message.id:
            assert message.string and not message.fuzzy, message.id
    assert list(catalogue.check()) == []


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_compiled_admin_catalogue_matches_its_source(language):
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue(language))
    mo = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    assert mo.read_bytes() == compiled.getvalue(), "run pybabel compile -d plugin/translations"
