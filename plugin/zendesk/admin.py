"""The admin UI Zendesk opens in an iframe to connect or edit an account.

Every answer is an HTML page in the admin's language (Zendesk's `locale`, carried through the
form as a plain field); failures become pages in `admin_pages`.
"""
import uuid
from urllib.parse import urlsplit

from flask import Blueprint
from flask import current_app
from flask import g
from flask import render_template
from flask import request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugin import accounts
from plugin import intake
from plugin.boundary import check_values
from plugin.boundary import load
from plugin.db import db
from plugin.errors import BadRequest
from plugin.errors import NotFound
from plugin.i18n import use_locale
from plugin.models import Account
from plugin.platforms import REGISTRY
from plugin.platforms import adapter_class
from plugin.secrets_box import box
from plugin.zendesk import admin_pages
from plugin.zendesk import schemas
from plugin.zendesk.admin_pages import FormExpired
from plugin.zendesk.admin_pages import FormState
from plugin.zendesk.admin_pages import form_page

bp = Blueprint("admin", __name__, url_prefix="/channel")
admin_pages.register(bp)

FORM_TTL = 3600
RESTART_FIELDS = ("return_url", "subdomain", "locale")


@bp.before_request
def _speak_the_admins_language():
    use_locale(request.form.get("locale"))


@bp.post("/admin")
def admin_ui():
    """Show the account form (Zendesk's POST) or save it (our form's POST)."""
    if "form_token" in request.form:
        return _save()
    form = load(schemas.admin_form, request.form.to_dict())
    _check_return_url(form["return_url"])
    account = accounts.from_metadata(form["metadata"]) if form["metadata"] else None
    context = {key: form[key] for key in ("return_url", "subdomain", "locale",
                                          "instance_push_id", "zendesk_access_token")}
    context["subdomain"] = accounts.check_subdomain(context["subdomain"])
    if account is not None and account.subdomain != context["subdomain"]:
        raise NotFound("No connected account of this Zendesk matches this metadata.",
                       code="unknown_account")
    # A new account's id is chosen now, so submitting the form twice saves one account.
    context["account"] = account.uid if account else str(uuid.uuid4())
    context["editing"] = account is not None
    default = next(iter(REGISTRY))
    platform = account.platform if account else request.form.get("platform", default)
    adapter_class(platform)
    values = dict(account.settings) if account else {}
    name = form["name"] or (account.name if account else "")
    return form_page(FormState(box().seal(context), platform, values, name, account is not None))


def _save():
    context = _form_context(request.form["form_token"])
    check_values(request.form.to_dict())
    account = _account(context["account"])
    if context["editing"] and account is None:
        raise NotFound("This account is no longer connected.", code="unknown_account")
    platform = account.platform if account else request.form.get("platform", "")
    cls = adapter_class(platform)
    values = {spec.name: request.form.get(spec.name, "") for spec in cls.fields}
    name = request.form.get("name", "").strip()
    # Shown again if the platform says no; secrets are never echoed into the page.
    g.admin_form = FormState(request.form["form_token"], platform,
                             {spec.name: values[spec.name] for spec in cls.fields
                              if not spec.secret}, name, context["editing"])
    try:
        saved, metadata = accounts.connect(platform, context["subdomain"], values, name=name,
                                           account=account, push=context,
                                           uid=context["account"])
    except IntegrityError:  # the same form, submitted twice at once: save it once
        db.session.rollback()
        saved, metadata = accounts.connect(platform, context["subdomain"], values, name=name,
                                           account=_account(context["account"]), push=context)
    intake.queue_poll(saved.id)
    return render_template("admin/done.html", return_url=context["return_url"],
                           name=saved.name, metadata=metadata, language=g.language)


def _form_context(token):
    """The sealed context of a submitted form.

    :raise FormExpired: the token is older than FORM_TTL, forged or damaged.
    """
    try:
        return box().open(token, ttl=FORM_TTL)
    except ValueError:
        pass
    try:
        context = box().open(token)  # ours, only too old: the admin may start again
    except ValueError:
        raise FormExpired(None) from None
    restart = None if context.get("editing") else {key: context[key] for key in RESTART_FIELDS}
    raise FormExpired(restart)


def _account(uid):
    return db.session.scalar(select(Account).where(Account.uid == uid))


def _check_return_url(url):
    parts = urlsplit(url)
    allowed = ("https", "http") if current_app.config["PLATFORM_ALLOW_HTTP"] else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise BadRequest("return_url must be an https URL on Zendesk.", code="invalid_return_url")
