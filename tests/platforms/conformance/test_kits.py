"""Every registered platform runs the conformance suite: adding one means adding its kit."""
import inspect

import pytest

from plugin.platforms import REGISTRY
from plugin.platforms.base import CAPABILITIES
from plugin.platforms.base import Adapter
from tests.platforms.conformance.kits import KITS

OPTIONAL = {"history": "recent_posts", "profile": "profile"}


def test_every_registered_platform_has_a_kit():
    assert sorted(KITS) == sorted(REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_capabilities_are_known_and_implemented(name):
    cls = REGISTRY[name]
    assert set(cls.capabilities) <= set(CAPABILITIES)
    for capability, method in OPTIONAL.items():
        implemented = getattr(cls, method) is not getattr(Adapter, method)
        assert implemented == (capability in cls.capabilities), (capability, method)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_a_kit_implements_the_whole_kit(name):
    assert not inspect.isabstract(KITS[name])
