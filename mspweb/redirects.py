"""One rule for redirect targets taken from requests (`next` fields and parameters).

A target is followed only when it is plainly a path on this site, judged the way a browser
would read it: browsers drop tabs and newlines anywhere in a URL, strip leading spaces and
control characters, read a backslash as a slash, and take `//host` (or `/\\host`) as another
site. Rather than repair such a target, any target containing them (also once or twice
percent-decoded) is refused and the caller's default is used.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

MAX_TARGET_LENGTH = 2048


def _plain_path(text: str) -> bool:
    """True when `text` is a path-absolute reference with nothing a browser would rewrite."""
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in text):
        return False  # control characters, spaces, tabs, CR/LF
    if "\\" in text or not text.startswith("/") or text.startswith("//"):
        return False
    parts = urlsplit(text)
    if parts.scheme or parts.netloc:
        return False
    return all(segment not in (".", "..") for segment in parts.path.split("/"))


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path on this site (e.g. a list URL to return to), else `default`."""
    if not target or len(target) > MAX_TARGET_LENGTH:
        return default
    if not _plain_path(target):
        return default
    path = target.split("?", 1)[0].split("#", 1)[0]
    for _ in range(2):  # its path as a server or a browser might decode it, once or twice
        path = unquote(path)
        if not _plain_path(path):
            return default
    return target
