"""The connect flows adapters declare, and Mastodon's sign-in against recorded answers."""
import pytest

from plugin.platforms import REGISTRY
from plugin.platforms.connect import PASTED
from plugin.platforms.connect import Candidate
from plugin.platforms.connect import basic_auth
from plugin.platforms.connect import OAuth2
from plugin.platforms.connect import sign_in_flow
from plugin.platforms.errors import Malformed
from plugin.platforms.errors import NotConfigured
from plugin.platforms.http import PlatformHTTP
from plugin.platforms.mastodon.adapter import MastodonAdapter
from plugin.platforms.mastodon.sign_in import MastodonSignIn
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_data import recorded

ADAPTERS = sorted(REGISTRY.items())


@pytest.mark.parametrize(("name", "cls"), ADAPTERS)
def test_every_adapter_can_be_connected_with_pasted_fields(name, cls):
    assert PASTED in cls.connect_flows  # the CLI's way, and the admin UI's advanced one


@pytest.mark.parametrize(("name", "cls"), ADAPTERS)
def test_a_sign_in_fills_fields_the_adapter_has(name, cls):
    flow = sign_in_flow(cls)
    if flow is None:
        pytest.skip(f"{name} has no sign-in")
    fields = {spec.name for spec in cls.fields}
    assert set(flow.fills) <= fields and flow.scopes
    assert flow.server_field in fields if flow.server_field else cls.default_base_url
    assert sum(isinstance(f, OAuth2) for f in cls.connect_flows) == 1
    assert flow.token_auth in ("client_secret_post", "client_secret_basic")


def test_basic_client_authentication_is_encoded_as_x_documents_it():
    # X's "Working with confidential clients" (docs.x.com, user-access-token) quotes RFC 7617.
    assert basic_auth("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


@pytest.mark.parametrize(("body", "granted"), [
    (recorded("oauth_token.json"), "__MASTODON_PY_TEST_ACCESS_TOKEN_3"),
    ({**recorded("oauth_token.json"), "scope": "read:statuses"}, "__MASTODON_PY_TEST_ACCESS_TOKEN_3"),
])
def test_mastodon_turns_a_token_into_the_fields_a_pasted_token_fills(body, granted):
    [candidate] = MastodonSignIn().candidates("https://social.example", body)
    assert candidate == Candidate("https://social.example", {
        "base_url": "https://social.example", "access_token": granted})
    settings, credentials = MastodonAdapter.clean_settings(candidate.values)
    assert settings["base_url"] == "https://social.example"
    assert credentials == {"access_token": granted}


@pytest.mark.parametrize("body", [{}, {"access_token": None}, {"access_token": 7},
                                  recorded("oauth_token_invalid_grant.json")])
def test_a_token_answer_without_a_token_is_malformed(body):
    with pytest.raises(Malformed):
        MastodonSignIn().candidates("https://social.example", body)


@pytest.mark.parametrize("address", ["", "ftp://social.example", "http://social.example",
                                     "https://user:pw@social.example"])
def test_the_instance_address_is_checked_and_blamed_on_its_field(address):
    with pytest.raises(NotConfigured) as caught:
        MastodonSignIn().server(MastodonAdapter, {"base_url": address}, allow_http=False)
    assert caught.value.field == "base_url"


@pytest.mark.parametrize("body", ['{"client_id": "x"}', '{"client_id": 1, "client_secret": 2}',
                                  "[]", "not json"])
def test_a_registration_without_client_credentials_is_malformed(body):
    with FakeMastodon.served() as fake:
        fake.malform_next(1, body, path_prefix="/api/v1/apps")
        http = PlatformHTTP(fake.url, allow_loopback=True)
        with pytest.raises(Malformed):
            MastodonSignIn().register(http, "https://murmur.example/cb", {})


def test_registration_asks_for_murmurs_scopes_and_redirect():
    with FakeMastodon.served() as fake:
        client = MastodonSignIn().register(PlatformHTTP(fake.url, allow_loopback=True),
                                           "https://murmur.example/cb", {})
        [app] = fake.oauth.apps.values()
    assert (client.client_id, client.client_secret) == (app["client_id"], app["client_secret"])
    assert app["redirect_uris"] == ["https://murmur.example/cb"]
    assert app["scopes"] == ["read:notifications", "read:statuses", "read:accounts",
                             "write:statuses", "write:media"]
