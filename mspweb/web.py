"""Wires the web layer: blueprints, login loading, error pages and response headers."""

from __future__ import annotations

from flask import Flask, Response, abort, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from mspweb.auth.cookies import register_session_headers
from mspweb.extensions import db, htmx, login_manager
from mspweb.features import blueprints as feature_blueprints
from mspweb.formatting import register_filters
from mspweb.htmx_utils import add_vary
from mspweb.menu import register_menu

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)


def register_web(app: Flask) -> None:
    """Register every blueprint, the user loader, error handlers and security headers."""
    from mspweb.auth.views import bp as auth_bp
    from mspweb.main.views import bp as main_bp
    from mspweb.params import register_converters

    register_converters(app)  # issue 15: before any route is added
    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    for blueprint in feature_blueprints():
        app.register_blueprint(blueprint)

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
    from mspweb.auth.expiry import unauthorized  # issue 14: htmx gets 401 + HX-Redirect

    login_manager.unauthorized_handler(unauthorized)
    register_filters(app)
    register_menu(app)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.before_request(_refuse_nul_characters)
    app.after_request(_security_headers)
    app.after_request(add_vary)
    register_session_headers(app)  # issue 15: no-store, Permissions-Policy, Secure warning
    from mspweb.delivery import register_delivery  # issue 14: compression, hashed static

    register_delivery(app)


def _load_user(user_id: str):
    from mspweb.models import User

    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def _http_error(error: HTTPException):
    """Error pages as full pages, or as fragments for htmx requests."""
    if request.path.startswith("/api/v1/"):  # the JSON API answers problem+json (issue 13)
        from mspweb.api.problems import problem_response

        return problem_response(error)
    code = error.code or 500
    template = "errors/_error.html" if htmx and not htmx.boosted else "errors/page.html"
    return Response(
        render_template(template, code=code, title=error.name, message=_message(error)),
        status=code,
    )


def _csrf_error(error: CSRFError):
    error.code = 400
    error.description = (
        "The form expired or was sent without its security token. Reload the page and try again."
    )
    return _http_error(error)


def _message(error: HTTPException) -> str:
    defaults = {
        403: "You do not have access to this page.",
        404: "There is nothing here. It may have been removed, or you may not have access to it.",
        405: "That action is not allowed here.",
        429: "Too many attempts. Wait a little and try again.",
        500: "Something went wrong on our side. The error has been logged.",
    }
    description = error.description if error.description else ""
    if error.code in defaults and (not description or description == type(error).description):
        return defaults[error.code]
    return description or defaults.get(error.code or 500, "")


NUL_REFUSED = (
    "The request contains a NUL character (\\0), which no search, filter or form field "
    "accepts. Remove it and try again."
)


def _refuse_nul_characters() -> None:
    """Refuse query or form values holding NUL: no text column can store or compare it
    (PostgreSQL rejects it outright), so it is a clear 400 here rather than a 500 later."""
    values = [value for _, value in request.args.items(multi=True)]
    if request.method not in {"GET", "HEAD", "OPTIONS"} and request.mimetype in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        values.extend(value for _, value in request.form.items(multi=True))
    if any("\x00" in value for value in values):
        abort(400, description=NUL_REFUSED)


def _security_headers(response: Response) -> Response:
    """Security headers on every response (CSP without inline scripts, no framing...)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
