"""Every registered adapter conforms to the Adapter interface."""
import re
from pathlib import Path
import inspect

import pytest

from plugin.platforms import REGISTRY
from plugin.platforms import adapter_class
from plugin.platforms.base import Adapter
from plugin.platforms.shapes import SettingField
from plugin.platforms.errors import NotConfigured

ADAPTERS = sorted(REGISTRY.items())
ABSTRACT = sorted(Adapter.__abstractmethods__)


def dummy(cls):
    """An instance of `cls` built from placeholder settings (no request is made)."""
    settings = {"base_url": "https://platform.example"}
    credentials = {spec.name: "dummy" for spec in cls.fields if spec.secret}
    return cls(settings, credentials)


@pytest.mark.parametrize(("key", "cls"), ADAPTERS)
def test_class_is_an_adapter_named_by_its_key(key, cls):
    assert issubclass(cls, Adapter)
    assert cls.name == key
    assert isinstance(cls.label, str) and cls.label


@pytest.mark.parametrize(("key", "cls"), ADAPTERS)
def test_fields_have_a_base_url_and_a_secret(key, cls):
    assert cls.fields and all(isinstance(spec, SettingField) for spec in cls.fields)
    names = [spec.name for spec in cls.fields]
    assert len(names) == len(set(names))
    assert "base_url" in names
    assert any(spec.secret for spec in cls.fields)


@pytest.mark.parametrize(("key", "cls"), ADAPTERS)
def test_intake_modes_are_known(key, cls):
    assert cls.intake and set(cls.intake) <= {"poll", "webhook"}


@pytest.mark.parametrize(("key", "cls"), ADAPTERS)
def test_implements_every_abstract_method(key, cls):
    assert not inspect.isabstract(cls)
    for method in ABSTRACT:
        assert getattr(cls, method) is not getattr(Adapter, method), method
    adapter = dummy(cls)
    assert adapter.base_url == "https://platform.example"


@pytest.mark.parametrize(("key", "cls"), ADAPTERS)
def test_adapter_class_finds_it(key, cls):
    assert adapter_class(key) is cls


def test_unknown_platform_names_the_known_ones():
    with pytest.raises(NotConfigured) as raised:
        adapter_class("nope")
    assert "'nope'" in raised.value.message
    for key in REGISTRY:
        assert key in raised.value.message


PLATFORM_NAMES = re.compile(r"mastodon|bluesky|bsky|atproto|twitter|\bx\.com|reddit|facebook|"
                            r"instagram|linkedin|\bmeta_", re.IGNORECASE)
ROOT = Path(__file__).resolve().parents[2]


def _outside_the_seam():
    for folder, suffix in (("plugin", ".py"), ("plugin", ".js"), ("plugin/templates", ".html")):
        for path in sorted((ROOT / folder).rglob(f"*{suffix}")):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(("plugin/platforms/", "plugin/migrations/")):
                yield relative


@pytest.mark.parametrize("relative", list(_outside_the_seam()))
def test_no_code_outside_the_platforms_package_names_a_platform(relative):
    found = PLATFORM_NAMES.search((ROOT / relative).read_text(encoding="utf-8"))
    assert found is None, f"{relative} names {found[0]!r}: labels come from the adapters"
