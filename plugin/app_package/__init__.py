"""Check and zip the Zendesk app in `manifest/`: `flask --app plugin app check|package`."""
import json
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask.cli import AppGroup

from plugin.app_package.files import check_files
from plugin.app_package.files import check_images
from plugin.app_package.files import shipped_files
from plugin.app_package.rules import check_manifest
from plugin.app_package.rules import check_requirements
from plugin.app_package.rules import check_translations
from plugin.app_package.rules import load_json

MANIFEST_DIR = Path(__file__).resolve().parents[2] / "manifest"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

app_cli = AppGroup("app", help="The Zendesk app package.")


def check_package(root: Path) -> list[str]:
    """Return the problems Zendesk's validator would report for the app in `root` ([] = valid)."""
    root = Path(root)
    if not (root / "manifest.json").is_file():
        nested = sorted(str(p.relative_to(root)) for p in root.glob("*/manifest.json"))
        where = f" (found {nested[0]}; it must be at the package root)" if nested else ""
        return [f"manifest.json is missing{where}"]
    manifest, problems = load_json(root, "manifest.json")
    if not isinstance(manifest, dict):
        return problems or ["manifest.json: must be a JSON object"]
    files, symlinks = shipped_files(root)
    requirements, req_problems = load_json(root, "requirements.json", optional=True)
    problems += check_manifest(root, manifest, requirements is not None)
    problems += req_problems + check_requirements(requirements)
    problems += check_translations(root, manifest, files)
    problems += check_images(root, files, public=manifest.get("private") is False)
    problems += [f"{rel}: symlinks are not allowed in the package" for rel in symlinks]
    problems += check_files(root, files)
    return problems


def build_zip(root: Path, dest: Path, public_url: str | None = None) -> Path:
    """Zip the app in `root` to `dest`, deterministically, with the files at the zip root.

    Leaves out .zcliignore'd paths, dotfiles and tmp/. With `public_url` (this service's https
    base URL), the zipped requirements.json points the channel integration at its manifest,
    and the zipped manifest.json loads the sidebar from it.

    :raise ValueError: if check_package finds problems, or `public_url` is not https or
        carries userinfo.
    """
    root, dest = Path(root), Path(dest)
    problems = check_package(root)
    if problems:
        raise ValueError("the app package is invalid:\n- " + "\n- ".join(problems))
    overrides = {}
    if public_url is not None:
        public_url = _checked_public_url(public_url)
        overrides["requirements.json"] = _with_manifest_url(root, manifest_url_of(public_url))
        overrides["manifest.json"] = _with_service_origin(root, public_url)
    files = [rel for rel in shipped_files(root)[0] if not any(p.startswith(".") for p in rel.split("/"))]
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in files:
            info = zipfile.ZipInfo(rel, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, overrides.get(rel) or (root / rel).read_bytes())
    return dest


def manifest_url_of(public_url: str) -> str:
    """The channel integration's manifest URL on the service at `public_url`."""
    return public_url.rstrip("/") + "/channel/manifest.json"


def _checked_public_url(public_url):
    parsed = urlsplit(public_url)
    if parsed.scheme != "https" or not parsed.hostname:
        raise ValueError(f"the public URL must be an https URL, not {public_url!r}")
    # Credentials in the URL would ship inside the app to every Zendesk that installs it.
    if "@" in parsed.netloc:
        raise ValueError("the public URL must not carry a user or password "
                         f"(user:password@): {parsed.hostname!r} is the host it would reach")
    return public_url.rstrip("/")


def _with_manifest_url(root, manifest_url):
    requirements, _ = load_json(root, "requirements.json", optional=True)
    integrations = (requirements or {}).get("channel_integrations") or {}
    if not integrations:
        raise ValueError("requirements.json has no channel integration to point at the manifest URL")
    for fields in integrations.values():
        fields["manifest_url"] = manifest_url
    return (json.dumps(requirements, indent=2) + "\n").encode("utf-8")


def _with_service_origin(root, public_url):
    """manifest.json with every absolute location URL moved to `public_url`, path kept."""
    manifest, _ = load_json(root, "manifest.json")
    base = urlsplit(public_url)
    for places in manifest["location"].values():
        for name, options in places.items():
            url = urlsplit(options["url"] if isinstance(options, dict) else options)
            if url.scheme != "https":
                continue
            moved = url._replace(netloc=base.netloc, path=base.path + url.path).geturl()
            if isinstance(options, dict):
                options["url"] = moved
            else:
                places[name] = moved
    return (json.dumps(manifest, indent=2) + "\n").encode("utf-8")


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
    try:
        path = build_zip(root, out, public_url)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"channel manifest_url: {manifest_url_of(public_url)}")
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
