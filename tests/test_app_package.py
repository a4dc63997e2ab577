import json
import shutil
import zipfile

import pytest
from flask import Flask

from plugin.app_package import MANIFEST_DIR
from plugin.app_package import app_cli
from plugin.app_package import build_zip
from plugin.app_package import check_package

PUBLIC_URL = "https://murmur.test"
MANIFEST_URL = f"{PUBLIC_URL}/channel/manifest.json"
SECRET_PARAM = {"name": "api_key", "type": "text", "secure": True, "required": True,
                "scopes": ["header"]}


@pytest.fixture
def app_dir(tmp_path):
    """A scratch copy of manifest/ to break one thing at a time."""
    return shutil.copytree(MANIFEST_DIR, tmp_path / "app")


def edit_json(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def param(change):
    """A manifest with one secure parameter, changed by `change`."""
    def _change(data):
        data["parameters"] = [dict(SECRET_PARAM)]
        change(data["parameters"][0])
    return manifest(_change)


def manifest(change):
    return lambda root: edit_json(root / "manifest.json", change)


def requirements(change):
    return lambda root: edit_json(root / "requirements.json", change)


def translations(change):
    return lambda root: edit_json(root / "translations" / "en.json", change)


BROKEN = [
    ("missing author email", manifest(lambda m: m["author"].pop("email")), "author.email is missing"),
    ("password param type", param(lambda p: p.update(type="password")),
     "password is an invalid parameter type"),
    ("secure without scopes", param(lambda p: p.pop("scopes")), "secure parameter needs scopes"),
    ("default on secure", param(lambda p: p.update(default="x")),
     "secure parameter must not have a default"),
    ("hidden and required", param(lambda p: p.update(type="hidden", secure=False)),
     "hidden parameter cannot be required"),
    ("wrong framework", manifest(lambda m: m.update(frameworkVersion="1.0")), 'frameworkVersion must be "2.0"'),
    ("missing translation label",
     translations(lambda t: t["app"].update(parameters={"api_key": {"helpText": "x"}})),
     "app.parameters.api_key.label is missing"),
    ("public app without description", translations(lambda t: t["app"].pop("long_description")),
     "app.long_description is missing"),
    ("wrong logo size", lambda root: shutil.copy(root / "assets/logo-small.png", root / "assets/logo.png"),
     "assets/logo.png: is 128x128, must be 320x320"),
    ("two channel integrations",
     requirements(lambda r: r["channel_integrations"].update(other={"manifest_url": MANIFEST_URL})),
     "at most one channel integration"),
    ("http manifest_url",
     requirements(lambda r: r["channel_integrations"]["murmur"].update(manifest_url="http://x.test/m.json")),
     "manifest_url must be an https URL"),
    ("unknown requirement type", requirements(lambda r: r.update(gadgets={})), "invalid requirement types gadgets"),
    ("untitled ticket field", requirements(lambda r: r["ticket_fields"]["murmur_sentiment"].pop("title")),
     "murmur_sentiment is missing title"),
    ("missing location file",
     manifest(lambda m: m["location"]["support"]["ticket_sidebar"].update(url="assets/gone.html")),
     "location.support.ticket_sidebar.url"),
    ("http location", manifest(lambda m: m["location"]["support"]["ticket_sidebar"].update(
        url="http://murmur.test/app/sidebar")), "location.support.ticket_sidebar.url"),
    ("blocked zip inside", lambda root: (root / "assets/extra.zip").write_bytes(b"PK\x03\x04rest"),
     "assets/extra.zip: file type is blocked"),
    ("dotfile shipped", lambda root: (root / "assets/.DS_Store").write_bytes(b"x"), "dotfiles must not be shipped"),
    ("symlink", lambda root: (root / "assets/link.png").symlink_to(root / "assets/logo.png"),
     "assets/link.png: symlinks are not allowed"),
    ("hardlink", lambda root: (root / "assets/link.png").hardlink_to(root / "assets/logo.png"),
     "assets/link.png: hardlinks are not allowed"),
]


def test_real_manifest_is_valid():
    assert check_package(MANIFEST_DIR) == []


@pytest.mark.parametrize(("break_it", "expected"), [case[1:] for case in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_package_is_reported(app_dir, break_it, expected):
    break_it(app_dir)
    problems = check_package(app_dir)
    assert any(expected in problem for problem in problems), problems


def test_ignored_files_are_not_checked(app_dir):
    (app_dir / "tmp").mkdir()
    (app_dir / "tmp/app-1.zip").write_bytes(b"PK\x03\x04")
    (app_dir / "zcli.apps.config.json").write_text('{"parameters": {}}')
    assert check_package(app_dir) == []


def test_build_zip_points_the_app_at_the_service_and_skips_ignored(app_dir, tmp_path):
    (app_dir / "tmp").mkdir()
    (app_dir / "tmp/app-1.zip").write_bytes(b"PK\x03\x04")
    (app_dir / "zcli.apps.config.json").write_text('{"parameters": {}}')
    dest = build_zip(app_dir, tmp_path / "out/app.zip", PUBLIC_URL + "/")
    with zipfile.ZipFile(dest) as archive:
        names = archive.namelist()
        reqs = json.loads(archive.read("requirements.json"))
        manifest = json.loads(archive.read("manifest.json"))
    # Zendesk vouches for every sidebar load with a signed POST to this service.
    assert manifest["location"]["support"]["ticket_sidebar"] == {
        "url": f"{PUBLIC_URL}/app/sidebar", "flexible": True, "signed": True}
    assert "parameters" not in manifest and "domainWhitelist" not in manifest
    assert "manifest.json" in names and "assets/logo.png" in names
    assert names == sorted(names)
    assert not [n for n in names if n.startswith(("tmp/", ".")) or n == "zcli.apps.config.json"]
    assert reqs["channel_integrations"]["murmur"]["manifest_url"] == MANIFEST_URL
    assert reqs["ticket_fields"]["murmur_sentiment"]["title"] == "Social sentiment"
    again = build_zip(app_dir, tmp_path / "again.zip", PUBLIC_URL)
    assert again.read_bytes() == dest.read_bytes()


def test_build_zip_keeps_manifest_url_without_override(tmp_path):
    dest = build_zip(MANIFEST_DIR, tmp_path / "app.zip")
    with zipfile.ZipFile(dest) as archive:
        assert archive.read("requirements.json") == (MANIFEST_DIR / "requirements.json").read_bytes()


@pytest.mark.parametrize("url", ["http://murmur.test", "murmur.test"])
def test_build_zip_refuses_non_https_public_url(tmp_path, url):
    with pytest.raises(ValueError, match="https"):
        build_zip(MANIFEST_DIR, tmp_path / "app.zip", url)


def test_build_zip_refuses_invalid_package(app_dir, tmp_path):
    (app_dir / "manifest.json").write_text(
        (app_dir / "manifest.json").read_text().replace("https://murmur.example/app/sidebar",
                                                        "assets/iframe.html"))
    with pytest.raises(ValueError, match="ticket_sidebar"):
        build_zip(app_dir, tmp_path / "app.zip")
    assert not (tmp_path / "app.zip").exists()


@pytest.fixture
def runner():
    app = Flask(__name__)
    app.config["PUBLIC_URL"] = "https://murmur.test/"
    app.cli.add_command(app_cli)
    return app.test_cli_runner()


def test_package_command_uses_public_url(runner, tmp_path):
    out = tmp_path / "dist/app.zip"
    result = runner.invoke(args=["app", "package", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == str(out)
    with zipfile.ZipFile(out) as archive:
        reqs = json.loads(archive.read("requirements.json"))
    assert reqs["channel_integrations"]["murmur"]["manifest_url"] == MANIFEST_URL


def test_package_command_public_url_option_wins(runner, tmp_path):
    out = tmp_path / "app.zip"
    result = runner.invoke(args=["app", "package", "--out", str(out), "--public-url", "https://other.test"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        reqs = json.loads(archive.read("requirements.json"))
    assert reqs["channel_integrations"]["murmur"]["manifest_url"] == "https://other.test/channel/manifest.json"


def test_package_command_rejects_http_public_url(runner, tmp_path):
    result = runner.invoke(args=["app", "package", "--out", str(tmp_path / "a.zip"), "--public-url", "http://x.test"])
    assert result.exit_code == 1
    assert "https" in result.output


def test_hardlink_to_a_file_outside_the_package_is_refused(app_dir, tmp_path):
    secret = tmp_path / "secret.env"
    secret.write_text("SECRET_KEY=do-not-ship\n")
    (app_dir / "assets/notes.txt").hardlink_to(secret)
    assert "assets/notes.txt: hardlinks are not allowed in the package" in check_package(app_dir)
    with pytest.raises(ValueError, match="hardlinks"):
        build_zip(app_dir, tmp_path / "app.zip", PUBLIC_URL)
    assert not (tmp_path / "app.zip").exists()


USERINFO = ["https://user:pass@murmur.test", "https://user@murmur.test",
            "https://:pass@murmur.test", "https://murmur.test@evil.example"]


@pytest.mark.parametrize("public_url", USERINFO)
def test_package_command_refuses_userinfo_in_public_url(runner, tmp_path, public_url):
    out = tmp_path / "a.zip"
    result = runner.invoke(args=["app", "package", "--out", str(out), "--public-url", public_url])
    assert result.exit_code == 1
    assert "user" in result.output
    assert not out.exists()


def test_check_command(runner, app_dir):
    assert runner.invoke(args=["app", "check"]).exit_code == 0
    (app_dir / "manifest.json").write_text(
        (app_dir / "manifest.json").read_text().replace("https://murmur.example/app/sidebar",
                                                        "assets/iframe.html"))
    result = runner.invoke(args=["app", "check", "--root", str(app_dir)])
    assert result.exit_code == 1
    assert "ticket_sidebar" in result.output


def test_package_command_needs_a_public_url(tmp_path):
    app = Flask(__name__)
    app.cli.add_command(app_cli)
    result = app.test_cli_runner().invoke(args=["app", "package", "--out", str(tmp_path / "a.zip")])
    assert result.exit_code == 2
    assert "PUBLIC_URL" in result.output


def test_sidebar_page_has_no_inline_script():
    html = (MANIFEST_DIR.parent / "plugin/templates/sidebar/page.html").read_text()
    scripts = html.split("<script")[1:]
    assert scripts and all(" src=" in tag.split(">", 1)[0] for tag in scripts)
    assert "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js" in html
    assert "onload=" not in html and "onclick=" not in html
