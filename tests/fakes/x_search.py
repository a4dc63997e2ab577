"""The part of X's search query language the fake X understands: terms, "quoted phrases",
@handles, OR, parentheses, negation with `-`, and the operators from:, to:, is:retweet,
is:reply and is:quote. Terms are matched as X does: case-insensitively, as whole words."""
import html
import re

TOKEN_RE = re.compile(r'\s*(\(|\)|-?"[^"]*"|-?[^\s()"]+)')


class QueryError(ValueError):
    """A query the fake cannot parse (X answers 400 invalid-request)."""


def tokens(query: str) -> list[str]:
    """The query split into terms, phrases and parentheses."""
    found, pos, query = [], 0, query.strip()
    while pos < len(query):
        match = TOKEN_RE.match(query, pos)
        if not match:
            raise QueryError(f"cannot parse query at {query[pos:]!r}")
        found.append(match[1])
        pos = match.end()
    return found


def _text(tweet: dict) -> str:
    return html.unescape(tweet.get("note_tweet", tweet)["text"])


def _term(term: str, users: dict):
    kind, _, value = term.partition(":")
    lowered = value.lower()
    if term.startswith('"'):
        phrase = term.strip('"').lower()
        return lambda t: phrase in _text(t).lower()
    if kind == "from" and value:
        return lambda t: users[t["author_id"]]["username"].lower() == lowered
    if kind == "to" and value:
        return lambda t: t.get("in_reply_to_user_id") in users and \
            users[t["in_reply_to_user_id"]]["username"].lower() == lowered
    if kind == "is" and value in ("retweet", "reply", "quote"):
        wanted = {"retweet": "retweeted", "reply": "replied_to", "quote": "quoted"}[value]
        return lambda t: any(r["type"] == wanted for r in t.get("referenced_tweets", ()))
    # X matches a keyword against the post's tokens, split at punctuation and symbols, so
    # "acmehelp" finds "#acmehelp"; a handle is left to the @ operator.
    word = re.compile(r"(?<![\w@])" + re.escape(term) + r"(?!\w)", re.IGNORECASE)
    return lambda t: bool(word.search(_text(t)))


def compile_query(query: str, users: dict):
    """A predicate over stored posts for `query`; `users` maps id to user."""
    items = tokens(query)
    if not items:
        raise QueryError("empty query")
    pos = 0

    def any_of():
        nonlocal pos
        options = [all_of()]
        while pos < len(items) and items[pos] == "OR":
            pos += 1
            options.append(all_of())
        return lambda t: any(option(t) for option in options)

    def all_of():
        parts = []
        while pos < len(items) and items[pos] not in ("OR", ")"):
            parts.append(one())
        if not parts:
            raise QueryError("an operator is missing its terms")
        return lambda t: all(part(t) for part in parts)

    def one():
        nonlocal pos
        item = items[pos]
        pos += 1
        if item == "(":
            inner = any_of()
            if pos >= len(items) or items[pos] != ")":
                raise QueryError("unbalanced parentheses")
            pos += 1
            return inner
        if item.startswith("-") and len(item) > 1:
            inner = _term(item[1:], users)
            return lambda t: not inner(t)
        return _term(item, users)

    predicate = any_of()
    if pos != len(items):
        raise QueryError("unbalanced parentheses")
    return predicate
