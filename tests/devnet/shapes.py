"""The shape of a JSON answer (its keys and value types, not its values), to check recorded
bodies and fakes against what the real network answers."""


def shape(value):
    """Objects keep their keys, lists the shape of their first item, scalars their type name."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__
