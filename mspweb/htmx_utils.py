"""One decision for every view: the full page, or the fragment for an htmx request.

House rule (docs/architecture.md): a view returns the full page, or, for an htmx request that is
not a boosted navigation, the fragment. Every response of a view that asked whether the request
came from htmx says `Vary: HX-Request` (one after-request hook, `add_vary`), so a cache never
hands a fragment to a browser that asked for the page. htmx's response headers (`HX-Trigger`,
`HX-Retarget`, ...) come from flask-htmx's `make_response`.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, render_template
from flask_htmx import make_response as htmx_response

from mspweb.extensions import htmx

VARIES = "varies_by_hx_request"
"""The flag on `g` that `mspweb.extensions.HTMX` sets when a view asks about the request."""


def wants_fragment() -> bool:
    """True for an htmx request that is not a boosted navigation nor a history restore.

    A history restore (Back after the cache is empty: `historyCacheSize` is 0) wants the page.
    """
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(
    full_template: str,
    fragment_template: str,
    status: int = 200,
    hx: dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    """Render `fragment_template` for htmx requests, else `full_template`.

    `hx` holds flask-htmx's response options (e.g. ``{"trigger": "licenses-changed"}``).
    """
    template = fragment_template if wants_fragment() else full_template
    return htmx_response(render_template(template, **context), status, **(hx or {}))


def add_vary(response: Response) -> Response:
    """After a request: `Vary: HX-Request` when the view's answer depended on that header."""
    if g.get(VARIES):
        response.vary.add("HX-Request")
    return response
