"""Planning a reply within the platform's text rules: one post, a thread of parts, or a refusal."""
from plugin.errors import BadRequest
from plugin.platforms.errors import ReplyTooLong
from plugin.platforms.textsplit import TooManyParts
from plugin.platforms.textsplit import tidy_whitespace

# A reply that needs more posts than this floods the customer's thread: the agent shortens it.
MAX_PARTS = 10


def plan(adapter, target, body, mode) -> list[str]:
    """The texts to post for `body`: one, or several within every limit when splitting.

    Whitespace is tidied first. A reply that already opens by addressing the customer keeps
    its opening when it fits in one post; split parts each start with the adapter's prefix.
    A platform that cannot thread replies refuses whatever `mode` says.

    :raise ReplyTooLong: over a limit and the account (or the platform) refuses to split; the
        message names the limit, in its unit.
    :raise BadRequest: splitting would take more than `MAX_PARTS` posts.
    """
    rules = adapter.text_rules()
    body = tidy_whitespace(body)
    prefix = adapter.reply_prefix(target)
    rest = adapter.without_address(body, target)
    whole = body if rest != body else prefix + body
    overruns = rules.overruns(whole)
    if not overruns:
        return [whole]
    if mode == "refuse" or not rules.can_thread:
        worst = overruns[0]
        raise ReplyTooLong(worst.length, worst.limit.most, worst.limit.unit, adapter.label,
                           rules.can_thread)
    try:
        return rules.split(rest, prefix, most_parts=MAX_PARTS)
    except TooManyParts:
        raise BadRequest(f"This reply would take more than {MAX_PARTS} posts on "
                         f"{adapter.label}. Shorten it, or send a link to the full answer.",
                         code="reply_too_many_parts", status=422) from None
