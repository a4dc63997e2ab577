"""The admin UI Zendesk opens in an iframe to connect or edit an account.

Zendesk's POST must carry the push token Zendesk vouches for; what it vouched for (subdomain,
return_url, the account) is then sealed into a single-use form token, and the save relies on
that alone. Every answer is an HTML page in the admin's language (Zendesk's `locale`, carried
through the form as a plain field); failures become pages in `admin_pages`.
"""
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint
from flask import current_app
from flask import g
from flask import render_template
from flask import request
from flask_babel import gettext
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugin import accounts
from plugin import sign_ins
from plugin.intake import polling as intake
from plugin.boundary import check_values
from plugin.boundary import load
from plugin.db import db
from plugin.errors import BadRequest
from plugin.errors import NotFound
from plugin.i18n import use_locale
from plugin.models import Account
from plugin.models import UsedFormToken
from plugin.models import utcnow
from plugin.platforms import REGISTRY
from plugin.platforms import adapter_class
from plugin.platforms.errors import Refused
from plugin.secrets_box import box
from plugin.zendesk import admin_pages
from plugin.zendesk import gateway
from plugin.zendesk import schemas
from plugin.zendesk.admin_pages import FormExpired
from plugin.zendesk.admin_pages import FormState
from plugin.zendesk.admin_pages import FormUsed
from plugin.zendesk.admin_pages import SignInDenied
from plugin.zendesk.admin_pages import form_page

bp = Blueprint("admin", __name__, url_prefix="/channel")
admin_pages.register(bp)

FORM_TTL = 3600
# An expired form for a new account may start again (checked with Zendesk anew) for a day.
RESTART_TTL = 24 * 3600
ZENDESK_FIELDS = ("return_url", "subdomain", "locale", "instance_push_id",
                  "zendesk_access_token")


@bp.before_request
def _speak_the_admins_language():
    use_locale(request.form.get("locale"))


@bp.post("/admin")
def admin_ui():
    """Show the account form (Zendesk's POST, or "Start again") or save it (our form's POST).

    :raise BadRequest: the return_url is not on the Zendesk account that opened the page.
    :raise NotVouched: Zendesk did not vouch for the push token sent (or none was sent).
    :raise ZendeskUnavailable: Zendesk could not be asked.
    """
    if "form_token" in request.form:
        return _save()
    restart = request.form.get("restart")
    sent = _restarted(restart) if restart is not None else request.form.to_dict()
    form = load(schemas.admin_form, sent)
    context = {key: form[key] for key in ZENDESK_FIELDS}
    context["subdomain"] = accounts.check_subdomain(context["subdomain"])
    _check_return_url(context["return_url"], context["subdomain"])
    _vouch(context)
    account = accounts.from_metadata(form["metadata"]) if form["metadata"] else None
    if account is not None and account.subdomain != context["subdomain"]:
        raise NotFound("No connected account of this Zendesk matches this metadata.",
                       code="unknown_account")
    context["account"] = account.uid if account else str(uuid.uuid4())
    context["editing"] = account is not None
    context["nonce"] = secrets.token_urlsafe(24)
    default = next(iter(REGISTRY))
    platform = account.platform if account else request.form.get("platform", default)
    adapter_class(platform)
    values = dict(account.settings) if account else {}
    name = form["name"] or (account.name if account else "")
    return form_page(FormState(box().seal(context), platform, values, name, account is not None))


def _save():
    """Handle a submitted account form: show another platform's fields, start a sign-in,
    collect what a sign-in connected, or save the fields as typed."""
    token = request.form["form_token"]
    context = _form_context(token)
    check_values(request.form.to_dict())
    _check_return_url(context["return_url"], context["subdomain"])
    account = _account(context["account"])
    if context["editing"] and (account is None or account.subdomain != context["subdomain"]):
        raise NotFound("This account is no longer connected.", code="unknown_account")
    platform = account.platform if account else request.form.get("platform", "")
    cls = adapter_class(platform)
    values = {spec.name: request.form.get(spec.name, "") for spec in cls.fields}
    name = request.form.get("name", "").strip()
    if "show_platform" in request.form and not context["editing"]:
        return form_page(FormState(token, platform, {}, name, False))
    # Shown again if the platform says no; secrets are never echoed into the page.
    g.admin_form = FormState(token, platform,
                             {spec.name: values[spec.name] for spec in cls.fields
                              if not spec.secret}, name, context["editing"])
    if "collect" in request.form:
        return _collect(context, g.admin_form)
    if "sign_in" in request.form:
        return _start_sign_in(context, g.admin_form)
    return _connect(context, platform, values, name, account)


def _connect(context, platform, values, name, account):
    """Connect the account the form describes, once per form; returns the done page."""
    saved, metadata = _connected(context, platform, values, name, account)
    return render_template("admin/done.html", return_url=context["return_url"],
                           name=saved.name, metadata=metadata, language=g.language)


def _connected(context, platform, values, name, account):
    _claim(context["nonce"])
    try:
        saved, metadata = accounts.connect(platform, context["subdomain"], values, name=name,
                                           account=account, push=context,
                                           uid=context["account"])
    except Exception:
        _release(context["nonce"])  # nothing was saved: the admin may correct the form
        raise
    intake.queue_poll(saved.id)
    return saved, metadata


def _start_sign_in(context, state):
    """Register Murmur at the server if needed and show the form waiting for the sign-in."""
    accounts.check_configured(adapter_class(state.platform))
    form = {**context, "platform": state.platform, "name": state.name, "values": state.values,
            "locale": g.language}
    state.sign_in_url = sign_ins.start(state.platform, state.values, form)
    return form_page(state)


def _collect(context, state):
    """The done page for what a sign-in from this form connected (the form's last step)."""
    result = sign_ins.collect(context["nonce"])
    if result is None and db.session.get(UsedFormToken, context["nonce"]) is not None:
        raise FormUsed()  # collected before, or the form saved pasted credentials
    if result is None:
        return form_page(state, {None: gettext("The sign-in has not finished yet. Finish it "
                                               "in its window, or sign in again.")})
    return render_template("admin/done.html", return_url=context["return_url"],
                           language=g.language, **result)


@bp.get("/admin/oauth/callback")
def sign_in_callback():
    """Where the platform sends the admin's sign-in window back (with a code, or an error).

    :raise SignInExpired: the state is unknown, used or expired.
    :raise SignInDenied: the admin did not approve Murmur.
    """
    sign_in, form = sign_ins.claim(request.args.get("state", ""))
    use_locale(form.get("locale"))
    code = request.args.get("code", "")
    if "error" in request.args or not code:
        raise SignInDenied()
    check_values(code)
    g.signing_in = form["platform"]
    platform, candidates = sign_ins.exchange(sign_in, code)
    if len(candidates) != 1:
        raise Refused(f"The sign-in granted {len(candidates)} accounts; Murmur connects one.")
    account = _account(form["account"])
    if form["editing"] and (account is None or account.subdomain != form["subdomain"]):
        raise NotFound("This account is no longer connected.", code="unknown_account")
    values = {**form["values"], **candidates[0].values}
    saved, metadata = _connected(form, platform, values, form["name"], account)
    sign_ins.finish(sign_in, {"name": saved.name, "metadata": metadata})
    return render_template("admin/signed_in.html", name=saved.name, language=g.language)


def _vouch(context):
    """Have Zendesk vouch for the push token the page was opened with.

    Skipped only when ADMIN_REQUIRE_ZENDESK_TOKEN is off (local development).

    :raise NotVouched: no token was sent, or Zendesk does not confirm it.
    :raise ZendeskUnavailable: Zendesk could not be asked.
    """
    if not current_app.config["ADMIN_REQUIRE_ZENDESK_TOKEN"]:
        return
    if not (context["instance_push_id"] and context["zendesk_access_token"]):
        raise gateway.NotVouched()
    gateway.validate_token(context["subdomain"], context["instance_push_id"],
                           context["zendesk_access_token"])


def _claim(nonce):
    """Record that the form with `nonce` is being saved, once; forget forms long expired.

    :raise FormUsed: the form was submitted before.
    """
    now = utcnow()
    db.session.execute(delete(UsedFormToken).where(UsedFormToken.expires_at < now))
    db.session.add(UsedFormToken(nonce=nonce, expires_at=now + timedelta(seconds=FORM_TTL)))
    try:
        db.session.commit()
    except IntegrityError:  # the same form, submitted again (or twice at once)
        db.session.rollback()
        raise FormUsed() from None


def _release(nonce):
    """Let a form that saved nothing be submitted again, corrected."""
    db.session.rollback()
    db.session.execute(delete(UsedFormToken).where(UsedFormToken.nonce == nonce))
    db.session.commit()


def _opened(token, ttl):
    try:
        return box().open(token, ttl=ttl)
    except ValueError:
        return None


def _form_context(token):
    """The sealed context of a submitted form.

    :raise FormExpired: the token is older than FORM_TTL (or from before forms were
        single-use), forged or damaged; one for a new account offers to start again.
    """
    context = _opened(token, FORM_TTL)
    if context is not None and "nonce" in context:
        return context
    context = _opened(token, RESTART_TTL)
    restart = None
    if context is not None and not context.get("editing"):
        restart = {"restart": token, "locale": context.get("locale", "")}
    raise FormExpired(restart)


def _restarted(token):
    """What Zendesk first sent, from an expired new-account form's token ("Start again").

    :raise FormExpired: the token is not ours, older than RESTART_TTL, or for an edit.
    """
    context = _opened(token, RESTART_TTL)
    if context is None or context.get("editing"):
        raise FormExpired(None)
    return {key: context[key] for key in ZENDESK_FIELDS if context.get(key) is not None}


def _account(uid):
    return db.session.scalar(select(Account).where(Account.uid == uid))


def _check_return_url(url, subdomain):
    """Zendesk's return_url must be https on that subdomain's own host (where the done page
    posts the account's metadata).

    :raise BadRequest: another scheme, host, port, user info, or not a URL at all.
    """
    try:
        parts = urlsplit(url)
        ours = (parts.scheme == "https" and parts.port in (None, 443) and "@" not in parts.netloc
                and parts.hostname == f"{subdomain}.zendesk.com")
    except ValueError:
        ours = False
    if not ours:
        raise BadRequest(f"return_url must be an https URL on {subdomain}.zendesk.com.",
                         code="invalid_return_url")
