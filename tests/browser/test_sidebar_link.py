"""A requester with no known social profile: the empty state and linking a handle."""
from playwright.sync_api import expect

from tests.browser.harness import call_backend
from tests.browser.harness import fetch_document
from tests.browser.harness import requested_tickets


def open_unlinked(sidebar, backend, unlinked, requester):
    zendesk = requested_tickets(unlinked.requester_id, unlinked.ticket_id)
    page = sidebar.open(backend, unlinked.ticket_id,
                        requester(unlinked.requester_id, name="Sam Lee", email="sam@example.com"), zendesk=zendesk)
    expect(page.get_by_role("button", name="Link profile")).to_be_visible()
    return page


def test_empty_state_offers_the_connected_platforms(sidebar, sidebar_backend, unlinked_ticket, requester):
    doc = fetch_document(sidebar_backend, unlinked_ticket.ticket_id, unlinked_ticket.requester_id)
    assert doc["state"] == "unknown" and doc["connected_platforms"]
    page = open_unlinked(sidebar, sidebar_backend, unlinked_ticket, requester)
    options = page.locator("#link-platform option")
    expect(options).to_have_count(len(doc["connected_platforms"]))
    assert [options.nth(i).get_attribute("value") for i in range(options.count())] == [
        p["platform"] for p in doc["connected_platforms"]]
    expect(options.first).to_have_text(f"Mastodon ({doc['connected_platforms'][0]['account']})")
    expect(page.get_by_label("Handle")).to_be_editable()
    expect(page.get_by_label("Handle")).to_have_attribute(
        "placeholder", doc["connected_platforms"][0]["handle_example"])
    expect(page.locator(".profile")).to_have_count(0)
    expect(page.locator(".earlier-tickets .ticket")).to_have_count(3)


def test_linking_a_handle_shows_the_profile_now_and_on_later_tickets(
        sidebar, traffic, sidebar_backend, unlinked_ticket, linkable_handle, requester):
    platform, handle = linkable_handle
    page = open_unlinked(sidebar, sidebar_backend, unlinked_ticket, requester)
    page.get_by_label("Platform").select_option(platform)
    page.get_by_label("Handle").fill(handle)
    page.get_by_role("button", name="Link profile").click()
    expect(page.locator(".profile__handle")).to_have_text(handle)
    expect(page.locator(".posts > li").first).to_be_visible()
    expect(page.locator("form")).to_have_count(0)
    [call] = [r for r in traffic.forwarded if r["url"].endswith("/api/sidebar/links")]
    assert call["method"] == "POST" and call["headers"]["content-type"] == "application/json"
    assert call["headers"]["authorization"].startswith("Bearer ")

    later = sidebar.open(sidebar_backend, unlinked_ticket.later_ticket_id, requester(unlinked_ticket.requester_id))
    expect(later.locator(".profile__handle")).to_have_text(handle)


def test_unknown_handle_is_reported_in_the_form(
        sidebar, sidebar_backend, unlinked_ticket, missing_handle, requester):
    answer = call_backend(sidebar_backend, unlinked_ticket.ticket_id, unlinked_ticket.requester_id,
                          link={"platform": "mastodon", "handle": missing_handle})
    assert answer.status_code == 404 and answer.json()["error"] == "profile_not_found"
    page = open_unlinked(sidebar, sidebar_backend, unlinked_ticket, requester)
    page.get_by_label("Handle").fill(missing_handle)
    page.get_by_role("button", name="Link profile").click()
    expect(page.locator(".form__message")).to_have_text(f"No profile called {missing_handle} was found.")
    expect(page.get_by_role("button", name="Link profile")).to_be_enabled()
    expect(page.get_by_label("Handle")).to_have_value(missing_handle)
    expect(page.locator(".profile")).to_have_count(0)


def test_empty_handle_is_not_sent(sidebar, traffic, sidebar_backend, unlinked_ticket, requester):
    page = open_unlinked(sidebar, sidebar_backend, unlinked_ticket, requester)
    page.get_by_role("button", name="Link profile").click()
    expect(page.locator(".form__message")).to_have_text("Enter the handle to look up.")
    assert not [r for r in traffic.forwarded if r["url"].endswith("/links")]
