"""The key structure of X's JSON bodies, to check the fake X against recorded ones."""


def paths(value, prefix="") -> dict[str, str]:
    """Every key path in `value` (`data[].entities.urls[].start`) with its scalar type name.

    Items of a list are merged, so one path covers every item that has it.
    """
    found = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(paths(item, f"{prefix}.{key}" if prefix else key))
    elif isinstance(value, list):
        for item in value:
            found.update(paths(item, prefix + "[]"))
    else:
        found[prefix] = type(value).__name__
    return found


def _posts(found: dict[str, str]) -> dict[str, str]:
    # Posts in `includes.tweets` have the same fields as those in `data`.
    return {path.replace("includes.tweets[]", "data[]", 1): kind for path, kind in found.items()}


def unlike(fake, *real) -> dict[str, str]:
    """Paths of `fake` that no `real` body has, or has with another type (`path: why`); posts
    in `data` and `includes.tweets` count as one kind."""
    known = {}
    for body in real:
        known.update(_posts(paths(body)))
    return {path: f"{kind}, recorded {known.get(path, 'absent')}"
            for path, kind in _posts(paths(fake)).items() if known.get(path) != kind}
