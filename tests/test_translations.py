"""The translation catalogues are complete and in step with the code that uses them."""
import io
import json
import re
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


SIDEBAR = ROOT / "plugin" / "static" / "sidebar" / "i18n"
APP = ROOT / "manifest" / "translations"


def _json(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _paths(data, prefix=""):
    if not isinstance(data, dict):
        return {prefix}
    return set().union(*(_paths(value, f"{prefix}.{key}") for key, value in data.items()))


def test_every_surface_speaks_the_same_languages():
    assert sorted(path.stem for path in SIDEBAR.glob("*.json")) == sorted(languages())
    assert sorted(path.stem for path in APP.glob("*.json")) == sorted(languages())


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_sidebar_catalogue_is_complete_with_the_same_placeholders(language):
    english, other = _json(SIDEBAR / "en.json"), _json(SIDEBAR / f"{language}.json")
    assert set(other) == set(english)
    for key, text in english.items():
        assert other[key].strip(), key
        assert set(re.findall(r"\{(\w+)\}", other[key])) == set(re.findall(r"\{(\w+)\}", text)), key


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_zendesk_app_translations_are_complete(language):
    assert _paths(_json(APP / f"{language}.json")) == _paths(_json(APP / "en.json"))


def test_every_sidebar_key_the_scripts_use_is_in_english():
    english = _json(SIDEBAR / "en.json")
    scripts = "\n".join(path.read_text() for path in SIDEBAR.parent.glob("*.js"))
    used = set(re.findall(r"\b(?:t|plural)\('(\w+)'", scripts))
    templated = set(re.findall(r"\bt\(`(\w+)_\$\{", scripts))
    assert used and used - set(english) - {k.rsplit("_", 1)[0] for k in english} == set()
    assert all(any(key.startswith(prefix + "_") for key in english) for prefix in templated)
