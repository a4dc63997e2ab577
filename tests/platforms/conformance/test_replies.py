"""Replies: in the right thread, each answerable in turn, posted once per idempotency key."""
from tests.platforms.conformance.test_intake import drain


def test_a_reply_answers_the_mention_and_can_itself_be_answered(kit):
    adapter = kit.adapter()
    asked = kit.mention(kit.customer("erin"), "my order is late")
    mention = next(m for m in drain(adapter, None)[0] if m.external_id == asked)
    prefix = adapter.reply_prefix(mention.reply_target)
    first = adapter.post_reply(mention.reply_target, prefix + "Sorry! Checking now.", "k-1")
    assert kit.parent_of(first.external_id) == asked
    second = adapter.post_reply(first.reply_target, prefix + "It has shipped.", "k-2")
    assert kit.parent_of(second.external_id) == first.external_id


def test_the_same_idempotency_key_posts_once(kit):
    adapter = kit.adapter()
    asked = kit.mention(kit.customer("finn"), "hello?")
    mention = next(m for m in drain(adapter, None)[0] if m.external_id == asked)
    text = adapter.reply_prefix(mention.reply_target) + "Hi there"
    before = kit.posts_by_brand()
    once = adapter.post_reply(mention.reply_target, text, "same-key")
    again = adapter.post_reply(mention.reply_target, text, "same-key")
    assert once.external_id == again.external_id
    assert kit.posts_by_brand() == before + 1
