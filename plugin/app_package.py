"""Check and zip the Zendesk app in `manifest/`.

Zendesk has no offline validator (`zcli apps:validate` posts the zip to a live
account), so `check_package` mirrors the zendesk_apps_support rules we rely on.
"""
import fnmatch
import json
import os
import re
import struct
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import click
from flask.cli import AppGroup

MANIFEST_DIR = Path(__file__).resolve().parent.parent / "manifest"
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
BLOCKED_EXTENSIONS = {"7z", "avi", "bin", "bz", "bz2", "csh", "doc", "docx", "exe", "gz", "gzip",
                      "jar", "mp3", "mpeg", "odt", "pdf", "ppt", "pptx", "rar", "sh", "xls", "xlsx",
                      "zip"}
BLOCKED_MAGIC = (b"PK\x03\x04", b"%PDF-", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07",
                 b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
LOCALE = re.compile(r"^[a-z]{2,3}(-\w{2,3})?$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOGOS = {"assets/logo.png": [(320, 320)], "assets/logo-small.png": [(128, 128)],
         "assets/banner.png": [(830, 200), (1660, 400)]}
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

app_cli = AppGroup("app", help="The Zendesk app package.")


def check_package(root: Path) -> list[str]:
    """Return the problems Zendesk's validator would report for the app in `root` ([] = valid)."""
    root = Path(root)
    if not (root / "manifest.json").is_file():
        nested = sorted(str(p.relative_to(root)) for p in root.glob("*/manifest.json"))
        where = f" (found {nested[0]}; it must be at the package root)" if nested else ""
        return [f"manifest.json is missing{where}"]
    manifest, problems = _load_json(root, "manifest.json")
    if not isinstance(manifest, dict):
        return problems or ["manifest.json: must be a JSON object"]
    files, symlinks = _shipped_files(root)
    requirements, req_problems = _load_json(root, "requirements.json", optional=True)
    problems += _check_manifest(root, manifest, requirements is not None)
    problems += req_problems + _check_requirements(requirements)
    problems += _check_translations(root, manifest, files)
    problems += _check_images(root, files, public=manifest.get("private") is False)
    problems += [f"{rel}: symlinks are not allowed in the package" for rel in symlinks]
    problems += _check_files(root, files)
    return problems


def _load_json(root, name, optional=False):
    path = root / name
    if not path.is_file():
        return None, ([] if optional else [f"{name} is missing"])
    try:
        return json.loads(path.read_text(encoding="utf-8")), []
    except (ValueError, UnicodeDecodeError) as exc:
        return None, [f"{name}: not valid JSON ({exc})"]


def _check_manifest(root, m, has_requirements):
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


def _check_requirements(requirements):
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


def _check_translations(root, manifest, files):
    problems, default = [], None
    for rel in files:
        match = re.fullmatch(r"translations/(.*)\.json", rel)
        if not match:
            continue
        if not LOCALE.match(match[1]):
            problems.append(f"{rel}: {match[1]!r} is not a valid locale")
        data, errors = _load_json(root, rel)
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


def _check_images(root, files, public):
    problems = []
    for rel, sizes in LOGOS.items():
        if rel not in files:
            if public and rel != "assets/banner.png":
                problems.append(f"{rel} is missing (required for a Marketplace app)")
            continue
        header = _png_header(root / rel)
        wanted = " or ".join(f"{w}x{h}" for w, h in sizes)
        if header is None:
            problems.append(f"{rel}: not a PNG file")
        elif header[:2] not in sizes:
            problems.append(f"{rel}: is {header[0]}x{header[1]}, must be {wanted}")
        elif rel == "assets/logo-small.png" and not header[2]:
            problems.append(f"{rel}: needs transparency (RGBA or a tRNS chunk)")
    return problems


def _png_header(path):
    """(width, height, has_alpha) read from the PNG chunks, or None if not a PNG."""
    data = path.read_bytes()
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR" or len(data) < 33:
        return None
    width, height, _depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, colour in (4, 6) or b"tRNS" in data[33:data.find(b"IDAT")]


def _ignore_patterns(root):
    path = root / ".zcliignore"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return ["/tmp/"] + [line.strip() for line in lines if line.strip() and line.strip()[0] not in "#!"]


def _ignored(rel, is_dir, patterns):
    """gitignore-style match of `rel` or any of its parent directories (negation unsupported)."""
    parts = rel.split("/")
    for depth in range(1, len(parts) + 1):
        sub, sub_is_dir = "/".join(parts[:depth]), depth < len(parts) or is_dir
        for pattern in patterns:
            if pattern.endswith("/") and not sub_is_dir:
                continue
            body = pattern.rstrip("/")
            if "/" in body:
                hit = fnmatch.fnmatchcase(sub, body.lstrip("/"))
            else:
                hit = fnmatch.fnmatchcase(parts[depth - 1], body)
            if hit:
                return True
    return False


def _shipped_files(root):
    """Sorted relative paths zcli would zip (not ignored, not tmp/), and symlinks among them."""
    patterns, files, symlinks = _ignore_patterns(root), [], []
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        for name in list(dirnames):
            rel = prefix + name
            if _ignored(rel, True, patterns) or os.path.islink(os.path.join(dirpath, name)):
                dirnames.remove(name)
                if not _ignored(rel, True, patterns):
                    symlinks.append(rel)
        for name in filenames:
            rel = prefix + name
            if not _ignored(rel, False, patterns):
                (symlinks if os.path.islink(os.path.join(dirpath, name)) else files).append(rel)
    return sorted(files), sorted(symlinks)


def _check_files(root, files):
    problems = []
    for rel in files:
        if any(part.startswith(".") for part in rel.split("/")) and rel != ".zcliignore":
            problems.append(f"{rel}: dotfiles must not be shipped (delete it or list it in .zcliignore)")
        with open(root / rel, "rb") as fh:
            head = fh.read(8)
        if rel.rsplit(".", 1)[-1].lower() in BLOCKED_EXTENSIONS or head.startswith(BLOCKED_MAGIC):
            problems.append(f"{rel}: file type is blocked in Zendesk apps")
    return problems


def build_zip(root: Path, dest: Path, manifest_url: str | None = None) -> Path:
    """Zip the app in `root` to `dest`, deterministically, with the files at the zip root.

    Leaves out .zcliignore'd paths, dotfiles and tmp/. With `manifest_url`, the zipped
    requirements.json points the channel integration at that URL instead.

    :raise ValueError: if check_package finds problems, or `manifest_url` is not https.
    """
    root, dest = Path(root), Path(dest)
    problems = check_package(root)
    if problems:
        raise ValueError("the app package is invalid:\n- " + "\n- ".join(problems))
    overrides = {}
    if manifest_url is not None:
        overrides["requirements.json"] = _with_manifest_url(root, manifest_url)
    files = [rel for rel in _shipped_files(root)[0] if not any(p.startswith(".") for p in rel.split("/"))]
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in files:
            info = zipfile.ZipInfo(rel, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, overrides.get(rel) or (root / rel).read_bytes())
    return dest


def _with_manifest_url(root, manifest_url):
    parsed = urlparse(manifest_url)
    if parsed.scheme != "https" or not parsed.netloc:
        raise ValueError(f"the channel manifest_url must be an https URL, not {manifest_url!r}")
    requirements, _ = _load_json(root, "requirements.json", optional=True)
    integrations = (requirements or {}).get("channel_integrations") or {}
    if not integrations:
        raise ValueError("requirements.json has no channel integration to point at the manifest URL")
    for fields in integrations.values():
        fields["manifest_url"] = manifest_url
    return (json.dumps(requirements, indent=2) + "\n").encode("utf-8")


root_option = click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
                           default=MANIFEST_DIR, show_default=True, help="The app directory.")


@app_cli.command("package")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              default="dist/murmur-zendesk-app.zip", show_default=True, help="Where to write the zip.")
@click.option("--public-url", help="The https base URL of this service (default: PUBLIC_URL).")
@root_option
def package_command(out, public_url, root):
    """Check the app and zip it for upload, pointing the channel at this service."""
    from flask import current_app

    public_url = public_url or current_app.config.get("PUBLIC_URL")
    if not public_url:
        raise click.UsageError("no public URL: pass --public-url or set PUBLIC_URL")
    manifest_url = public_url.rstrip("/") + "/channel/manifest.json"
    try:
        path = build_zip(root, out, manifest_url)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"channel manifest_url: {manifest_url}")
    click.echo(str(path))


@app_cli.command("check")
@root_option
def check_command(root):
    """List the problems Zendesk's validator would report; exit 1 if there are any."""
    problems = check_package(root)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(f"{root}: no problems found")
