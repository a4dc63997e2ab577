"""The zendesk_apps_support validator's rules for manifest, requirements and translations.

Zendesk has no offline validator (`zcli apps:validate` posts the zip to a live account), so
these mirror the rules we rely on.
"""
import json
import re
from urllib.parse import urlparse

PARAMETER_TYPES = {"text", "checkbox", "url", "number", "multiline", "hidden", "oauth"}
SCOPES = {"header", "body", "url", "jwt_secret_key", "jwt_claim",
          "basic_auth_username", "basic_auth_password"}
REQUIREMENT_TYPES = {"automations", "channel_integrations", "custom_objects", "custom_objects_v2",
                     "macros", "targets", "views", "ticket_fields", "triggers", "user_fields",
                     "organization_fields", "webhooks"}
UNTITLED_REQUIREMENTS = {"channel_integrations", "webhooks", "custom_objects", "custom_objects_v2"}
WEBHOOK_FIELDS = ("name", "status", "endpoint", "http_method", "request_format")
SUPPORT_LOCATIONS = {"ticket_sidebar", "new_ticket_sidebar", "user_sidebar", "organization_sidebar",
                     "top_bar", "nav_bar", "background", "modal", "ticket_editor", "system_top_bar"}
PRODUCTS = {"support", "chat", "sell"}
LOCALE = re.compile(r"^[a-z]{2,3}(-\w{2,3})?$")


def load_json(root, name, optional=False):
    path = root / name
    if not path.is_file():
        return None, ([] if optional else [f"{name} is missing"])
    try:
        return json.loads(path.read_text(encoding="utf-8")), []
    except (ValueError, UnicodeDecodeError) as exc:
        return None, [f"{name}: not valid JSON ({exc})"]


def check_manifest(root, m, has_requirements):
    problems = []
    author = m.get("author")
    if not isinstance(author, dict):
        problems.append("manifest.json: author (object with name, email, url) is missing")
    else:
        for key in ("name", "email", "url"):
            if not isinstance(author.get(key), str) or not author[key].strip():
                problems.append(f"manifest.json: author.{key} is missing")
        if isinstance(author.get("url"), str) and urlparse(author["url"]).scheme not in ("http", "https"):
            problems.append("manifest.json: author.url must be an http(s) URL")
    locale = m.get("defaultLocale")
    if not isinstance(locale, str):
        problems.append("manifest.json: defaultLocale is missing")
    elif not LOCALE.match(locale):
        problems.append(f"manifest.json: defaultLocale {locale!r} is not a valid locale")
    elif not (root / "translations" / f"{locale}.json").is_file():
        problems.append(f"translations/{locale}.json is missing (defaultLocale)")
    for key in ("private", "requirementsOnly", "marketingOnly", "singleInstall", "signedUrls"):
        if key in m and not isinstance(m[key], bool):
            problems.append(f"manifest.json: {key} must be true or false")
    whitelist = m.get("domainWhitelist")
    if whitelist is not None and not (isinstance(whitelist, list) and all(isinstance(d, str) for d in whitelist)):
        problems.append("manifest.json: domainWhitelist must be an array of strings")
    if m.get("requirementsOnly") is True:
        if m.get("location"):
            problems.append("manifest.json: a requirementsOnly app must not have a location")
        if "frameworkVersion" in m:
            problems.append("manifest.json: a requirementsOnly app must not have a frameworkVersion")
        if not has_requirements:
            problems.append("requirements.json is missing (requirementsOnly app)")
    else:
        if m.get("frameworkVersion") != "2.0":
            problems.append('manifest.json: frameworkVersion must be "2.0"')
        problems += _check_locations(root, m.get("location"))
    return problems + _check_parameters(m.get("parameters", []))


def _check_locations(root, location):
    if not isinstance(location, dict) or not location:
        return ["manifest.json: location is missing"]
    problems = []
    for product, places in location.items():
        if product not in PRODUCTS or not isinstance(places, dict):
            problems.append(f"manifest.json: location.{product} is not a known product")
            continue
        for name, options in places.items():
            where = f"manifest.json: location.{product}.{name}"
            if product == "support" and name not in SUPPORT_LOCATIONS:
                problems.append(f"{where} is not a known Support location")
            options = {"url": options} if isinstance(options, str) else options
            if not isinstance(options, dict):
                problems.append(f"{where} must be a URL or an object")
                continue
            if "flexible" in options and not isinstance(options["flexible"], bool):
                problems.append(f"{where}.flexible must be true or false")
            url = options.get("url")
            if not url:
                if options.get("autoLoad", True):
                    problems.append(f"{where}.url is missing")
            elif "{{setting." not in url and not _valid_location_url(root, url):
                problems.append(f"{where}.url {url!r} must be an existing assets/ file, https or localhost")
    return problems


def _valid_location_url(root, url):
    parsed = urlparse(url)
    if parsed.scheme:
        return parsed.scheme == "https" or parsed.hostname == "localhost"
    return parsed.path.startswith("assets/") and (root / parsed.path).is_file()


def _check_parameters(params):
    if not isinstance(params, list):
        return ["manifest.json: parameters must be an array"]
    problems, seen = [], set()
    for param in params:
        name = param.get("name") if isinstance(param, dict) else None
        if not isinstance(name, str) or not name:
            problems.append("manifest.json: every parameter needs a name")
            continue
        where = f"manifest.json: parameter {name!r}"
        if name == "name":
            problems.append(f"{where}: 'name' is reserved")
        if name in seen:
            problems.append(f"{where} is duplicated")
        seen.add(name)
        kind = param.get("type", "text")
        if kind not in PARAMETER_TYPES:
            problems.append(f"{where}: {kind} is an invalid parameter type")
        for flag in ("required", "secure"):
            if flag in param and not isinstance(param[flag], bool):
                problems.append(f"{where}: {flag} must be true or false")
        if kind == "hidden" and param.get("required") is True:
            problems.append(f"{where}: a hidden parameter cannot be required")
        scopes = param.get("scopes")
        if scopes is not None and (not isinstance(scopes, list) or not set(scopes) <= SCOPES):
            problems.append(f"{where}: scopes must be a list of {sorted(SCOPES)}")
        if param.get("secure") is True:
            if not scopes:
                problems.append(f"{where}: a secure parameter needs scopes")
            if "default" in param:
                problems.append(f"{where}: a secure parameter must not have a default")
            if kind == "oauth":
                problems.append(f"{where}: an oauth parameter cannot be secure")
    return problems


def check_requirements(requirements):
    if requirements is None:
        return []
    if not isinstance(requirements, dict):
        return ["requirements.json: must be a JSON object"]
    problems = []
    unknown = sorted(set(requirements) - REQUIREMENT_TYPES)
    if unknown:
        problems.append(f"requirements.json: invalid requirement types {', '.join(unknown)}")
    for kind, entries in requirements.items():
        if kind not in REQUIREMENT_TYPES:
            continue
        if not isinstance(entries, dict):
            problems.append(f"requirements.json: {kind} must map identifiers to objects")
            continue
        for ident, fields in entries.items():
            where = f"requirements.json: {kind}.{ident}"
            if not isinstance(fields, dict):
                problems.append(f"{where} must be an object")
                continue
            needed = [] if kind in UNTITLED_REQUIREMENTS else ["title"]
            needed += {"user_fields": ["key"], "organization_fields": ["key"],
                       "webhooks": list(WEBHOOK_FIELDS)}.get(kind, [])
            problems += [f"{where} is missing {field}" for field in needed if field not in fields]
            if kind == "targets" and fields.get("type") in ("http_target", "url_target_v2"):
                problems.append(f"{where}: target type {fields['type']} is not allowed")
            if kind == "channel_integrations" and urlparse(str(fields.get("manifest_url", ""))).scheme != "https":
                problems.append(f"{where}: manifest_url must be an https URL")
    if len(requirements.get("channel_integrations") or {}) > 1:
        problems.append("requirements.json: at most one channel integration per app")
    total = sum(len(v) for v in requirements.values() if isinstance(v, dict))
    if total > 5000:
        problems.append(f"requirements.json: {total} requirements (at most 5000)")
    return problems


def check_translations(root, manifest, files):
    problems, default = [], None
    for rel in files:
        match = re.fullmatch(r"translations/(.*)\.json", rel)
        if not match:
            continue
        if not LOCALE.match(match[1]):
            problems.append(f"{rel}: {match[1]!r} is not a valid locale")
        data, errors = load_json(root, rel)
        if errors or not isinstance(data, dict):
            problems += errors or [f"{rel}: must be a JSON object"]
        elif match[1] == manifest.get("defaultLocale"):
            default = data
    if default is None:
        return problems
    app = default.get("app") if isinstance(default.get("app"), dict) else {}
    where = f"translations/{manifest['defaultLocale']}.json"
    required = ["name"]
    if manifest.get("private") is False:
        required += ["short_description", "long_description", "installation_instructions"]
    keys = {"short_description" if k == "description" else k for k in app}
    problems += [f"{where}: app.{key} is missing" for key in required if key not in keys]
    labels = app.get("parameters") if isinstance(app.get("parameters"), dict) else {}
    params = manifest.get("parameters") if isinstance(manifest.get("parameters"), list) else []
    names = [p["name"] for p in params if isinstance(p, dict) and isinstance(p.get("name"), str)]
    for name in dict.fromkeys(names + list(labels)):
        entry = labels.get(name)
        if not (isinstance(entry, dict) and isinstance(entry.get("label"), str) and entry["label"]):
            problems.append(f"{where}: app.parameters.{name}.label is missing")
    return problems
