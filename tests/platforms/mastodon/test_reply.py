"""Mastodon adapter: reply rules, posting replies, threads and a customer's recent posts."""
import pytest

from plugin.platforms.errors import Refused
from tests.fakes.mastodon import FakeMastodon
from tests.platforms.conftest import make_adapter


def as_mention(adapter, status):
    return adapter.to_mention(status, raw=status)


def test_reply_limit_comes_from_the_instance(mastodon, adapter):
    mastodon.max_characters = 1000
    assert [limit.most for limit in adapter.text_rules().limits] == [1000]
    assert adapter.text_rules().fits("x" * 1000) and not adapter.text_rules().fits("x" * 1001)
    assert [r["path"] for r in mastodon.requests] == ["/api/v2/instance"]  # read once


LONG_URL = "https://docs.example.com/support/" + "a" * 80
MEASURED = [
    ("plain", "hello", 5),
    ("a url counts 23", f"see {LONG_URL}", 4 + 23),
    ("a short url counts 23 too", "https://x.co", 23),
    ("remote mention counts as @user", "@bob@example.social hi", len("@bob hi")),
    ("local mention", "@alice thanks", len("@alice thanks")),
    ("both", f"@bob@example.social {LONG_URL}", len("@bob ") + 23),
]


@pytest.mark.parametrize(("text", "length"), [row[1:] for row in MEASURED],
                         ids=[row[0] for row in MEASURED])
def test_measure_counts_like_mastodon(adapter, text, length):
    assert adapter.text_rules().measure(text) == {"characters": length}


@pytest.mark.parametrize(("acct", "prefix"), [("alice", "@alice "),
                                              ("bob@example.social", "@bob@example.social ")])
def test_reply_prefix_is_the_authors_acct(adapter, acct, prefix):
    assert adapter.reply_prefix({"status_id": "1", "acct": acct}) == prefix


@pytest.mark.parametrize(("local_base", "left"), [
    ("https://their.instance", "thanks"),
    ("https://brand.example", "@jane@their.instance thanks"),
], ids=["their-instance-is-ours", "another-instance"])
def test_the_instance_domain_decides_who_a_handle_names(local_base, left):
    # The accounts' domain comes from the instance, not from the API URL (127.0.0.1 here).
    with FakeMastodon.served(local_base=local_base) as fake:
        adapter = make_adapter(fake)
        assert adapter.without_address("@jane@their.instance thanks", {"acct": "jane"}) == left


def test_post_reply_answers_in_the_thread_with_the_same_visibility(mastodon, adapter, bob):
    status = mastodon.mention(bob, "my order is late", visibility="private")["status"]
    target = as_mention(adapter, status).reply_target
    text = adapter.reply_prefix(target) + "Sorry! Looking now."
    posted = adapter.post_reply(target, text, "intent-1")
    [sent] = [r for r in mastodon.requests if r["method"] == "POST"]
    assert sent["path"] == "/api/v1/statuses"
    assert sent["data"] == {"status": "@bob@example.social Sorry! Looking now.",
                            "in_reply_to_id": status["id"], "visibility": "private"}
    assert sent["headers"]["Idempotency-Key"] == "intent-1"
    [reply] = mastodon.posted
    assert posted.external_id == adapter.status_id(reply["id"])
    assert posted.url == reply["url"]
    assert posted.reply_target == {**target, "status_id": reply["id"]}
    assert reply["in_reply_to_id"] == status["id"] and reply["visibility"] == "private"


def test_repeated_idempotency_key_posts_once(mastodon, adapter, alice):
    target = as_mention(adapter, mastodon.mention(alice, "hi")["status"]).reply_target
    first = adapter.post_reply(target, "@alice hello", "intent-2")
    again = adapter.post_reply(target, "@alice hello", "intent-2")
    assert again.external_id == first.external_id
    assert len(mastodon.posted) == 1


def test_reply_to_a_deleted_status_is_refused(mastodon, adapter, alice):
    status = mastodon.mention(alice, "never mind")["status"]
    target = as_mention(adapter, status).reply_target
    del mastodon.statuses[status["id"]]
    with pytest.raises(Refused, match="no longer exists") as raised:
        adapter.post_reply(target, "@alice ok", "intent-3")
    assert raised.value.status == 404
    assert mastodon.posted == []


def test_reply_over_the_limit_is_refused_with_the_platform_reason(mastodon, adapter, alice):
    target = as_mention(adapter, mastodon.mention(alice, "hi")["status"]).reply_target
    with pytest.raises(Refused, match="character limit of 500"):
        adapter.post_reply(target, "@alice " + "x" * 600, "intent-4")


def thread(mastodon, alice, bob):
    """root (alice) <- child (bob) <- grandchild (alice), each mentioning the brand."""
    root = mastodon.mention(alice, "root")["status"]
    child = mastodon.mention(bob, "child", in_reply_to=root)["status"]
    grandchild = mastodon.mention(alice, "grandchild", in_reply_to=child)["status"]
    return root, child, grandchild


def test_resolve_threads_finds_the_root_two_levels_up(mastodon, adapter, alice, bob):
    root, child, grandchild = thread(mastodon, alice, bob)
    mention = as_mention(adapter, grandchild)
    assert mention.parent_id == adapter.status_id(child["id"])
    roots = adapter.resolve_threads([mention])
    assert roots[mention.external_id] == adapter.status_id(root["id"])
    assert roots[mention.parent_id] == adapter.status_id(root["id"])  # ancestors placed too
    assert mastodon.requests[-1]["path"] == f"/api/v1/statuses/{grandchild['id']}/context"


def test_resolve_threads_of_a_root_needs_no_request(mastodon, adapter, alice):
    root = mastodon.mention(alice, "root")["status"]
    mention = as_mention(adapter, root)
    assert adapter.resolve_threads([mention]) == {mention.external_id: mention.external_id}
    assert mastodon.requests == []


def test_resolve_threads_leaves_out_what_the_platform_no_longer_has(mastodon, adapter,
                                                                    alice, bob):
    _, child, grandchild = thread(mastodon, alice, bob)
    del mastodon.statuses[grandchild["id"]]  # /context now answers 404
    assert adapter.resolve_threads([as_mention(adapter, grandchild)]) == {}


def test_one_context_lookup_places_a_whole_burst_of_replies(mastodon, adapter, alice, bob):
    root = mastodon.mention(alice, "root")["status"]
    first = mastodon.mention(bob, "first reply", in_reply_to=root)["status"]
    chain = [first]
    for n in range(30):
        chain.append(mastodon.mention(bob if n % 2 else alice, f"reply {n}",
                                      in_reply_to=chain[-1])["status"])
    mentions = [as_mention(adapter, status) for status in chain]
    mastodon.requests.clear()
    roots = adapter.resolve_threads(mentions)
    assert set(roots[m.external_id] for m in mentions) == {adapter.status_id(root["id"])}
    assert len(mastodon.requests) == 1


@pytest.mark.parametrize("remote", [False, True], ids=["local", "remote"])
def test_recent_posts_newest_first_without_reblogs(mastodon, adapter, alice, bob, remote):
    author = bob if remote else alice
    posts = [mastodon.post_status(author, f"post {i}") for i in range(3)]
    mastodon.post_status(author, "", reblog_of=posts[0])
    mastodon.post_status(alice if remote else bob, "someone else")
    recent = adapter.recent_posts(adapter.to_author(author))
    assert [m.external_id for m in recent] == [adapter.status_id(p["id"]) for p in posts[::-1]]
    assert not any(m.is_repost for m in recent)
    assert [m.text for m in recent] == ["post 2", "post 1", "post 0"]
    assert mastodon.requests[-1]["query"]["exclude_reblogs"] == "true"
