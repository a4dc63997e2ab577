"""Loading, errors and retry, resizing, and how the sidebar talks to the backend."""
import jwt
from playwright.sync_api import expect

from tests.browser.harness import SDK_URL
from tests.browser.harness import STUB
from tests.browser.harness import requested_tickets


def open_ticket(sidebar, backend, requester, **options):
    zendesk = requested_tickets(backend.requester_id, backend.ticket_id)
    return sidebar.open(backend, backend.ticket_id, requester(backend.requester_id), zendesk=zendesk, **options)


def test_resize_follows_the_content_height(sidebar, sidebar_backend, requester):
    page = open_ticket(sidebar, sidebar_backend, requester)
    expect(page.locator(".earlier-tickets .ticket").first).to_be_visible()
    page.wait_for_function("""() => {
        const last = window.__zaf.resizes[window.__zaf.resizes.length - 1];
        const height = Math.ceil(document.getElementById('app').getBoundingClientRect().height);
        return last && last.width === '100%' && last.height === height + 'px';
    }""")
    heights = [int(r["height"].removesuffix("px")) for r in page.evaluate("window.__zaf.resizes")]
    assert heights[-1] > 400 and heights[0] < heights[-1]


def test_skeleton_while_the_backend_answers(sidebar, frame, sidebar_backend, requester):
    frame.hold()
    page = open_ticket(sidebar, sidebar_backend, requester)
    expect(page.locator(".skeleton")).to_be_visible()
    expect(page.locator("#app")).to_have_attribute("aria-busy", "true")
    frame.release()
    expect(page.locator(".profile__name")).to_be_visible()
    expect(page.locator(".skeleton")).to_have_count(0)
    expect(page.locator("#app")).not_to_have_attribute("aria-busy", "true")


def test_server_error_then_retry(sidebar, frame, sidebar_backend, requester):
    frame.fail_next(500)
    page = open_ticket(sidebar, sidebar_backend, requester)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Couldn\u2019t load the social profile.")
    expect(alert).to_contain_text("error 500")
    page.get_by_role("button", name="Retry").click()
    expect(page.locator(".profile__name")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert len(frame.forwarded) == 2


def test_wrong_secret_says_so(sidebar, frame, sidebar_backend, requester):
    page = open_ticket(sidebar, sidebar_backend, requester, secret="not-the-installation-secret-0123456789")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("shared secret may be wrong")
    expect(alert.get_by_role("button", name="Retry")).to_be_visible()
    assert frame.forwarded and page.locator(".profile").count() == 0


def test_request_goes_through_the_proxy_with_a_signed_jwt(sidebar, frame, sidebar_backend, requester):
    page = open_ticket(sidebar, sidebar_backend, requester)
    expect(page.locator(".profile__name")).to_be_visible()
    ticket, requester_id = sidebar_backend.ticket_id, sidebar_backend.requester_id
    [call] = [r for r in page.evaluate("window.__zaf.requests") if r["url"].startswith(sidebar_backend.base_url)]
    assert call == {
        "url": f"{sidebar_backend.base_url}/api/sidebar/tickets/{ticket}?requester_id={requester_id}",
        "type": "GET", "secure": True, "cors": False, "dataType": "json",
        "headers": {"Authorization": "Bearer {{jwt.token}}"},
        "jwt": {"algorithm": "HS256", "secret_key": "{{setting.shared_secret}}", "expiry": 300,
                "claims": {"iss": sidebar_backend.subdomain, "ticket_id": str(ticket),
                           "requester_id": str(requester_id)}}}
    [sent] = frame.forwarded
    token = sent["headers"]["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, sidebar_backend.secret, algorithms=["HS256"], issuer=sidebar_backend.subdomain)
    assert claims["exp"] - claims["iat"] == 300


def test_outside_zendesk(sidebar, frame):
    page = sidebar.browser.new_page()
    try:
        page.route(SDK_URL, lambda route: route.fulfill(body=STUB.read_text(), content_type="text/javascript"))
        page.goto(f"{frame.url}/iframe.html")
        expect(page.get_by_role("alert")).to_have_text("Open this app from a Zendesk ticket.")
    finally:
        page.close()
