"""Rules for the files in the package: what ships, images, blocked types."""
import fnmatch
import os
import struct
from pathlib import Path

BLOCKED_EXTENSIONS = {"7z", "avi", "bin", "bz", "bz2", "csh", "doc", "docx", "exe", "gz", "gzip",
                      "jar", "mp3", "mpeg", "odt", "pdf", "ppt", "pptx", "rar", "sh", "xls", "xlsx",
                      "zip"}
BLOCKED_MAGIC = (b"PK\x03\x04", b"%PDF-", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07",
                 b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOGOS = {"assets/logo.png": [(320, 320)], "assets/logo-small.png": [(128, 128)],
         "assets/banner.png": [(830, 200), (1660, 400)]}


def check_images(root, files, public):
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


def shipped_files(root):
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


def check_files(root, files):
    """Dotfiles, hardlinks and blocked file types among the shipped `files`."""
    problems = []
    for rel in files:
        # A hardlink's content may be any file on this disk (a secret, say), not the app's.
        if os.lstat(root / rel).st_nlink > 1:
            problems.append(f"{rel}: hardlinks are not allowed in the package")
        if any(part.startswith(".") for part in rel.split("/")) and rel != ".zcliignore":
            problems.append(f"{rel}: dotfiles must not be shipped (delete it or list it in .zcliignore)")
        with open(root / rel, "rb") as fh:
            head = fh.read(8)
        if rel.rsplit(".", 1)[-1].lower() in BLOCKED_EXTENSIONS or head.startswith(BLOCKED_MAGIC):
            problems.append(f"{rel}: file type is blocked in Zendesk apps")
    return problems
