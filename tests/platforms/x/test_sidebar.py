"""What the sidebar asks X for: a customer's recent posts, profile and handle, each billed
read counted, an unknown or impossible handle a 404."""
import pytest

from plugin.platforms.errors import Refused


def test_recent_posts_are_the_customers_newest_first(x, adapter, jane):
    posts = [x.post(jane, f"post {n}") for n in range(3)]
    author = adapter.lookup("@jane")
    recent = adapter.recent_posts(author, limit=20)
    assert [m.external_id for m in recent] == [f"x:{p['id']}" for p in reversed(posts)]
    assert all(m.likes is not None for m in recent)
    timeline = [params for _, path, params in x.requests if path.endswith("/tweets")]
    assert timeline[0]["max_results"] == "20"


def test_the_profile_carries_the_follower_count(x, adapter, jane):
    profile = adapter.profile(adapter.lookup("jane"))
    assert (profile.author.handle, profile.author.name) == ("@jane", "Jane Doe")
    assert profile.author.profile_url == "https://x.com/jane"
    assert isinstance(profile.followers_count, int)


@pytest.mark.parametrize("handle", ["@nobody_here", "@not a handle", "@" + "a" * 16])
def test_an_unknown_or_impossible_handle_is_not_found(x, adapter, handle):
    with pytest.raises(Refused) as refused:
        adapter.lookup(handle)
    assert refused.value.status == 404
