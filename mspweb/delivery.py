"""How responses travel: compressed in the app, static files under content-hashed names.

Compression (Flask-Compress, brotli or gzip by the browser's Accept-Encoding) happens in the
app itself, so `make run` and a deployment without a reverse proxy get it too: a License
Management page is mostly repeated markup and shrinks about tenfold.

Static files: every `url_for("static", filename=...)` names the file with a short hash of its
content (`css/app.1a2b3c4d5e6f.css`). Such a URL can never show different bytes, so it is
served with a one-year `immutable` cache lifetime: a page load no longer revalidates every
asset, and a deployment that changes a file changes its URL, so no browser keeps a stale copy.
We chose a `url_defaults` hook over a build-time manifest: there is no asset build step, the
hash is computed once per file (again when its modification time changes), and the file on
disk keeps its plain name. A request for the plain name (or an out-of-date hash) still works,
with the default revalidating cache policy.
"""

from __future__ import annotations

import hashlib
import os
import re

from flask import Flask, Response, current_app, send_from_directory
from flask_compress import Compress

#: A year, the longest lifetime caches honour.
IMMUTABLE_MAX_AGE = 365 * 24 * 3600

#: `name.<12 hex digits>.ext`: the hash part of a static URL.
HASHED_NAME = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")

COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/csv",
    "text/plain",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
]

compress = Compress()
_digests: dict[str, tuple[float, str]] = {}


def register_delivery(app: Flask) -> None:
    """Turn on compression and content-hashed static URLs for `app`."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_STREAMS", True)
    compress.init_app(app)
    app.url_defaults(_hashed_static_url)
    app.view_functions["static"] = _serve_static


def content_digest(filename: str) -> str | None:
    """The first 12 hex digits of the SHA-256 of a static file (None when it is missing)."""
    path = os.path.join(current_app.static_folder or "", filename)
    try:
        modified = os.path.getmtime(path)
    except OSError:
        return None
    cached = _digests.get(path)
    if cached is None or cached[0] != modified:
        with open(path, "rb") as handle:
            cached = (modified, hashlib.sha256(handle.read()).hexdigest()[:12])
        _digests[path] = cached
    return cached[1]


def hashed_name(filename: str) -> str:
    """`css/app.css` -> `css/app.<digest>.css` (unchanged when the file does not exist)."""
    digest = content_digest(filename)
    if digest is None:
        return filename
    stem, ext = os.path.splitext(filename)
    return f"{stem}.{digest}{ext}"


def _hashed_static_url(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and not HASHED_NAME.match(values["filename"]):
        values["filename"] = hashed_name(values["filename"])


def _serve_static(filename: str) -> Response:
    """A static file; under its current hashed name with a year-long immutable lifetime."""
    folder = current_app.static_folder or ""
    match = HASHED_NAME.match(filename)
    if match:
        plain = match["stem"] + match["ext"]
        if content_digest(plain) == match["digest"]:
            response = send_from_directory(folder, plain, max_age=IMMUTABLE_MAX_AGE)
            response.cache_control.public = True
            response.cache_control.immutable = True
            return response
        if content_digest(plain) is not None:  # an old hash: the current file, revalidated
            return send_from_directory(folder, plain)
    return send_from_directory(folder, filename)
