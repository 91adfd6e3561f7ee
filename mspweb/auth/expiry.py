"""What a request without a (live) session gets: the login page, which brings the user back.

For an htmx request the answer is `401` with `HX-Redirect`: htmx then loads the login page as
a whole page (instead of swapping it into a table and pushing `/login?next=…` into the address
bar). `next` is the page the user was on (htmx's `HX-Current-URL`), not the fragment URL, so
signing in returns to the same view, filters and all.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, flash, redirect, request, url_for
from flask_login import login_url
from werkzeug.wrappers import Response as BaseResponse

from mspweb.extensions import htmx, login_manager

EXPIRED_FRAGMENT = (
    '<p class="flash flash-info" role="alert">Your session has ended. '
    'Please <a href="{url}">sign in again</a>.</p>'
)


def return_path() -> str | None:
    """The path (and query) to come back to after signing in; None for the Dashboard."""
    target = request.full_path if request.query_string else request.path
    if htmx:
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        if current.netloc == request.host and current.path.startswith("/"):
            target = current.path + (f"?{current.query}" if current.query else "")
    if not target.startswith("/") or target.startswith("//") or target in {"/", "/?"}:
        return None
    return target


def login_redirect(message: str | None = None, category: str = "info") -> BaseResponse:
    """The login page, coming back here: a redirect, or for htmx a 401 with `HX-Redirect`."""
    if message:
        flash(message, category)
    target = return_path()
    url = login_url("auth.login", next_url=target) if target else url_for("auth.login")
    if htmx:
        response = Response(EXPIRED_FRAGMENT.format(url=url), status=401)
        response.headers["HX-Redirect"] = url
        response.vary.add("HX-Request")
        return response
    return redirect(url)


def unauthorized() -> BaseResponse:
    """Flask-Login's unauthorized handler: no session (never signed in, or it expired)."""
    return login_redirect(login_manager.login_message, "info")
