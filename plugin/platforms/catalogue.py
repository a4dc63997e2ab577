"""Marking adapter text that people read, so the admin UI's catalogue can translate it."""


def N_(text: str) -> str:
    """Return `text` unchanged: marks a label, hint or error template for extraction.

    Adapters know nothing of Flask; the admin UI looks the text up in its catalogue when it
    shows it, and falls back to this English text.
    """
    return text
