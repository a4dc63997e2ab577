"""The `kit` fixture: each behaviour runs once per platform, against that platform's fake."""
import pytest

from tests.platforms.conformance.kits import KITS


@pytest.fixture(params=sorted(KITS))
def kit(request):
    """A started fake of one platform, with its kit."""
    cls = KITS[request.param]
    with cls.served() as fake:
        yield cls(fake)
