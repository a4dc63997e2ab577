"""The admin UI's pages: the account form, and every failure as a page in the admin's language.

Zendesk shows the admin UI in an iframe, so nothing here answers JSON: a bad field re-shows the
form with the problem next to that field, anything else is a page that says what happened and
what to do next. The handlers are installed on the admin blueprint only; the machine endpoints
keep their JSON errors.
"""
from dataclasses import dataclass

from flask import current_app
from flask import g
from flask import render_template
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from plugin.errors import AppError
from plugin.errors import BadRequest
from plugin.errors import Conflict
from plugin.errors import record_fault
from plugin.platforms import REGISTRY
from plugin.platforms import adapter_class
from plugin.platforms.catalogue import N_
from plugin.platforms.connect import sign_in_flow
from plugin.platforms.errors import PlatformError

# What a failure that is not about one field means to the admin: (title, explanation).
PROBLEMS = {
    "form_expired": (N_("This form has expired"), N_(
        "For your security an account form is valid for one hour, and this one is older or "
        "was changed on the way. Nothing was saved.")),
    "form_expired_reopen": (N_("This form has expired"), N_(
        "For your security an account form is valid for one hour, and this one is older or "
        "was changed on the way. Nothing was saved. Close this window and open the account "
        "again under Admin Center → Channels → Channel integrations.")),
    "unknown_account": (N_("This account is no longer connected"), N_(
        "Murmur has no connected account that matches it; it may have been removed. Close this "
        "window and add the account again under Admin Center → Channels → Channel "
        "integrations.")),
    "invalid_metadata": (N_("Murmur does not recognise this account"), N_(
        "Zendesk sent account details that Murmur did not issue. Remove the account in Zendesk "
        "and add it again under Admin Center → Channels → Channel integrations.")),
    "form_used": (N_("This form was already used"), N_(
        "Murmur saves each account form once, and this one was sent before, so nothing more "
        "was saved. If Zendesk does not list the account, close this window and add it again "
        "under Admin Center → Channels → Channel integrations.")),
    "zendesk_not_vouched": (N_("Zendesk did not vouch for this request"), N_(
        "Murmur only shows or saves accounts when Zendesk confirms who opened the page, and "
        "it did not. Close this window and open this page from Admin Center → Channels → "
        "Channel integrations.")),
    "zendesk_unavailable": (N_("Zendesk could not be reached"), N_(
        "Murmur checks with Zendesk who opened this page, and Zendesk did not answer. Nothing "
        "was shown or saved. Close this window and try again in a few minutes.")),
    "invalid_return_url": (N_("Open this page from Zendesk"), N_(
        "This page only works when Zendesk opens it. Go to Admin Center → Channels → Channel "
        "integrations and add or edit the account there.")),
    "sign_in_expired": (N_("This sign-in has expired"), N_(
        "Murmur accepts each sign-in once, within ten minutes of starting it, and this one is "
        "older, was used before, or was not started here. Nothing was saved. Close this window "
        "and sign in again from the account form.")),
    "sign_in_denied": (N_("Murmur was not allowed in"), N_(
        "The sign-in was cancelled or not approved, so nothing was saved. Close this window; "
        "to connect the account, sign in again from the account form and approve Murmur.")),
    "sign_in_failed": (N_("Signing in did not work"), N_(
        "The platform did not complete the sign-in, or did not accept what it issued, and "
        "nothing was saved. Close this window and sign in again from the account form; if it "
        "keeps happening, paste an access token instead.")),
}
PROBLEMS["invalid_subdomain"] = PROBLEMS["invalid_request"] = PROBLEMS["invalid_return_url"]
UNEXPECTED = (N_("Something went wrong"), N_(
    "Murmur could not finish this, and nothing was saved. Try again in a few minutes; if it "
    "keeps happening, ask whoever runs your Murmur service to look at its log."))


@dataclass
class FormState:
    """What the account form showed when it was submitted, to show it again."""

    token: str
    platform: str
    values: dict
    name: str
    editing: bool
    # Set while the form waits for a sign-in: where the admin signs in with the platform.
    sign_in_url: str | None = None


class FormExpired(BadRequest):
    """The form's token is too old, forged or damaged.

    `restart` holds the fields of a "Start again" form (the old token, which Zendesk must vouch
    for anew, and the locale) when the token is ours, for a new account and under a day old;
    None when it cannot be trusted or is for an edit.
    """

    code = "form_expired"

    def __init__(self, restart: dict | None):
        super().__init__("This form has expired. Close it and open the account again from "
                         "Zendesk.")
        self.restart = restart


class SignInDenied(BadRequest):
    """The admin cancelled the sign-in or did not approve Murmur."""

    code = "sign_in_denied"

    def __init__(self):
        super().__init__("The sign-in was cancelled or not approved.")


class FormUsed(Conflict):
    """The form's token was submitted before: each form saves once."""

    code = "form_used"

    def __init__(self):
        super().__init__("This form was already used; nothing more was saved.")


def translated(template: str, params: dict | None = None) -> str:
    """`template` in the admin's language, filled with `params`.

    String values are looked up too: labels and choices are in the catalogue; anything else
    (an address the admin typed) has no entry and is shown as given.
    """
    values = {key: gettext(value) if isinstance(value, str) else value
              for key, value in (params or {}).items()}
    return gettext(template, **values)


def form_page(state: FormState, errors: dict | None = None):
    """The account form; `errors` maps a field name (or None for the form) to a message."""
    secrets = current_app.config["PLATFORM_SECRETS"]
    platform = adapter_class(state.platform)
    return render_template("admin/form.html", form_token=state.token, platform=platform,
                           platforms=REGISTRY.values(), sign_in=sign_in_flow(platform),
                           sign_in_url=state.sign_in_url,
                           missing={cls.name: cls.missing_app_settings(secrets)
                                    for cls in REGISTRY.values()},
                           values=state.values, name=state.name, editing=state.editing,
                           errors=errors or {}, language=g.get("language"))


def problem_page(title: str, explanation: str, status: int, restart: dict | None = None):
    """A page for a failure that is not about one field."""
    return render_template("admin/problem.html", title=gettext(title),
                           explanation=gettext(explanation), restart=restart,
                           language=g.get("language")), status


def register(bp):
    """Show the blueprint's failures as pages."""

    @bp.errorhandler(PlatformError)
    def _platform_error(exc):
        state = g.get("admin_form")
        if g.get("signing_in"):  # the sign-in window's callback: no form to show it on
            return problem_page(*PROBLEMS["sign_in_failed"], 422)
        if state is None:
            return problem_page(*UNEXPECTED, 422)
        field, template, params = adapter_class(state.platform).advice_for(exc)
        known = field in {spec.name for spec in adapter_class(state.platform).fields}
        return form_page(state, {field if known else None: translated(template, params)}), 422

    @bp.errorhandler(AppError)
    def _app_error(exc):
        if isinstance(exc, FormExpired):
            code = "form_expired" if exc.restart else "form_expired_reopen"
            return problem_page(*PROBLEMS[code], exc.status, exc.restart)
        return problem_page(*PROBLEMS.get(exc.code, UNEXPECTED), exc.status)

    @bp.errorhandler(HTTPException)
    def _http_error(exc):
        return problem_page(*UNEXPECTED, exc.code or 500)

    @bp.errorhandler(Exception)
    def _unexpected(exc):
        record_fault()
        return problem_page(*UNEXPECTED, 500)
