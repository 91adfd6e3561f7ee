"""One decision for every view: the full page, or the fragment for an htmx request.

House rule (see style.md): a view returns the full page, or, for an htmx request that is not a
boosted navigation, the fragment. Either way the response says `Vary: HX-Request`, so a cache
never hands a fragment to a browser that asked for the page.
"""

from __future__ import annotations

from flask import Response, make_response, render_template

from mspweb.extensions import htmx


def wants_fragment() -> bool:
    """True for an htmx request that is not a boosted navigation nor a history restore.

    A history restore (Back after the cache is empty: `historyCacheSize` is 0) wants the page.
    """
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(
    full_template: str,
    fragment_template: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context,
) -> Response:
    """Render `fragment_template` for htmx requests, else `full_template`, with `Vary: HX-Request`.

    `status` and `headers` (e.g. ``{"HX-Trigger": "licenses-changed"}``) go on the response.
    """
    template = fragment_template if wants_fragment() else full_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
