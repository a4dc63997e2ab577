"""The admin UI Zendesk opens in an iframe to connect or edit an account."""
import uuid
from urllib.parse import urlsplit

from flask import Blueprint
from flask import current_app
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
from plugin.models import Account
from plugin.platforms import REGISTRY
from plugin.platforms import adapter_class
from plugin.platforms.errors import PlatformError
from plugin.secrets_box import box
from plugin.zendesk import schemas

bp = Blueprint("admin", __name__, url_prefix="/channel")

FORM_TTL = 3600


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
    platform = account.platform if account else request.form.get("platform", "mastodon")
    values = dict(account.settings) if account else {}
    return _render(box().seal(context), platform, values, form["name"] or
                   (account.name if account else ""), account)


def _save():
    try:
        context = box().open(request.form["form_token"], ttl=FORM_TTL)
    except ValueError:
        raise BadRequest("This form has expired. Close it and open the account again from "
                         "Zendesk.", code="form_expired") from None
    check_values(request.form.to_dict())
    account = _account(context["account"])
    if context["editing"] and account is None:
        raise NotFound("This account is no longer connected.", code="unknown_account")
    platform = account.platform if account else request.form.get("platform", "")
    cls = adapter_class(platform)
    values = {spec.name: request.form.get(spec.name, "") for spec in cls.fields}
    name = request.form.get("name", "").strip()
    try:
        try:
            saved, metadata = accounts.connect(platform, context["subdomain"], values, name=name,
                                               account=account, push=context,
                                               uid=context["account"])
        except IntegrityError:  # the same form, submitted twice at once: save it once
            db.session.rollback()
            saved, metadata = accounts.connect(platform, context["subdomain"], values,
                                               name=name, account=_account(context["account"]),
                                               push=context)
    except PlatformError as exc:
        shown = {k: v for k, v in values.items()
                 if not any(s.secret and s.name == k for s in cls.fields)}
        return _render(request.form["form_token"], platform, shown, name, account,
                       error=exc.message), 422
    intake.queue_poll(saved.id)
    return render_template("admin/done.html", return_url=context["return_url"],
                           name=saved.name, metadata=metadata)


def _account(uid):
    return db.session.scalar(select(Account).where(Account.uid == uid))


def _render(token, platform, values, name, account, error=None):
    cls = adapter_class(platform)
    return render_template("admin/form.html", form_token=token, platform=cls,
                           platforms=REGISTRY.values(), values=values, name=name,
                           editing=account is not None, error=error)


def _check_return_url(url):
    parts = urlsplit(url)
    allowed = ("https", "http") if current_app.config["PLATFORM_ALLOW_HTTP"] else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise BadRequest("return_url must be an https URL on Zendesk.", code="invalid_return_url")
