"""The suite and the benchmarks read nothing outside the checkout: a clone anywhere passes."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Names of the reference folders beside the checkout, or of this machine's own folders
# (spelt in pieces, so this file does not match itself).
OUTSIDE = re.compile("|".join(re.escape(part) for part in (
    "../" + "shared", "/wo" + "rk/", "real" + "world", "REALWORLD" + "_DIR")))
PARENTS = re.compile(r"parents\[(\d+)\]")


def _sources():
    for folder in ("tests", "bench", "plugin", "scripts"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".js", ".sh", "") and \
                    "fixtures" not in path.parts and path != Path(__file__):
                yield path


@pytest.mark.parametrize("path", sorted(_sources()), ids=lambda p: str(p.relative_to(ROOT)))
def test_reads_nothing_outside_the_checkout(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    found = OUTSIDE.search(text)
    assert found is None, f"{path.relative_to(ROOT)} refers outside the checkout: {found[0]!r}"
    depth = len(path.relative_to(ROOT).parts)
    climbs = [int(n) for n in PARENTS.findall(text) if int(n) >= depth]
    assert not climbs, f"{path.relative_to(ROOT)} climbs out of the checkout (parents{climbs})"


def test_recorded_bodies_say_where_they_come_from():
    for folder in (ROOT / "tests" / "fixtures").iterdir():
        assert (folder / "SOURCES.md").is_file(), f"{folder.name} has no SOURCES.md"
