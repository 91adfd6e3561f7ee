"""Helpers shared by the API views: page info with a `next` link, ISO times, id checks."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request, url_for

from mspweb.api.problems import problem
from mspweb.pagination import Page
from mspweb.params import MAX_INT


def page_info(page: Page, args: dict[str, Any]) -> dict[str, Any]:
    """`page`, `per_page`, `total` and the absolute URL of the next page (None on the last).

    `args` are the request's query parameters as validated (those at their default left out);
    the link carries them with the next page number.
    """
    next_url = None
    if page.number * page.per_page < page.total:
        values = {key: value for key, value in args.items() if value not in (None, "", False)}
        values.update(page=page.number + 1, per_page=page.per_page)
        next_url = url_for(
            request.endpoint or "", **(request.view_args or {}), **values, _external=True
        )
    return {"page": page.number, "per_page": page.per_page, "total": page.total, "next": next_url}


def check_id(value: int) -> int:
    """A path id beyond a database integer names nothing: 404 (not a database error)."""
    if not 1 <= value <= MAX_INT:
        raise problem(404, "not-found", "There is nothing here.")
    return value


def require_staff() -> None:
    """Administrators and operators: customer users get 404, as on the pages."""
    from flask_login import current_user

    if current_user.is_customer:
        raise problem(404, "not-found", "There is nothing here.")


def require_admin() -> None:
    """Administrators only: customers 404, operators 403, as on the pages."""
    from flask_login import current_user

    require_staff()
    if not current_user.is_admin:
        raise problem(403, "forbidden", "This is for administrators only.")


def ok(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer, serialised here once: spectree then validates the bytes against the
    response model in pydantic's (fast) JSON validator instead of walking the Python objects."""
    return Response(
        json.dumps(body, separators=(",", ":")),
        status=status,
        headers=headers,
        mimetype="application/json",
    )
