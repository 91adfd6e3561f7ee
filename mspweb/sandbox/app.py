"""The sandbox's Flask app: both portals' blueprints, call counting and fault injection."""

from __future__ import annotations

import socket
import struct
import time

from flask import Flask, Response, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from . import business_api, msp_api
from .api import (
    ApiError,
    current_sandbox,
    error_response,
    handle_api_error,
    handle_http_exception,
)
from .faults import FaultRule
from .state import Sandbox, SandboxConfig

PORTAL_PREFIXES = {"/msp/": "msp", "/business/": "business"}
#: The key in the WSGI environ through which the app asks :mod:`.server` to misbehave.
TRANSPORT_KEY = "sandbox.transport"
FAULT_MESSAGES = {
    429: "Too many requests.",
    503: "The portal is down for maintenance.",
}


class ContractJSON(DefaultJSONProvider):
    """JSON as the contract spells it: keys in the order written, any Unicode as is."""

    sort_keys = False
    ensure_ascii = False


class SandboxFlask(Flask):
    """The sandbox's Flask app, answering JSON with `ContractJSON`."""

    json_provider_class = ContractJSON


def create_app(config: SandboxConfig | None = None) -> Flask:
    """Build the sandbox app: ``/msp`` and ``/business`` portals, and ``/_sandbox`` admin
    if the config (or ``SANDBOX_ADMIN=1``) enables it."""
    sandbox = Sandbox(config)
    app = SandboxFlask(__name__)
    app.extensions["sandbox"] = sandbox
    app.register_blueprint(msp_api.bp)
    app.register_blueprint(business_api.bp)
    if sandbox.config.admin_enabled():
        from . import admin

        app.register_blueprint(admin.bp)
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.before_request(_count_call)
    app.after_request(_apply_faults)
    return app


def _portal_call() -> tuple[str, str] | None:
    """``(portal, path)`` of the current request if it is a portal call."""
    for prefix, portal in PORTAL_PREFIXES.items():
        if request.path.startswith(prefix):
            return portal, request.path[len(prefix) :]
    return None


def _count_call() -> None:
    call = _portal_call()
    g.last_page = None
    if call is not None:
        current_sandbox().count_call(*call)


def _apply_faults(response: Response) -> Response:
    call = _portal_call()
    if call is None:
        return response
    rule = current_sandbox().faults.pick(call[0], call[1], g.get("last_page"))
    return response if rule is None else fault_response(rule, response)


def fault_response(rule: FaultRule, response: Response) -> Response:
    """The response a fault rule turns ``response`` into."""
    if rule.kind == "status" and rule.status is not None:
        message = FAULT_MESSAGES.get(rule.status, f"Injected error {rule.status}.")
        return error_response(rule.status, message, rule.retry_after)
    if rule.kind == "slow":
        time.sleep(rule.delay)
        return response
    if rule.kind == "non_json":
        html = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
        return Response(html, status=200, mimetype="text/html")
    if rule.kind == "wrong_shape":
        return jsonify(wrong_shape(response.get_json(silent=True)))
    if rule.kind == "truncated":
        if request.environ.get("sandbox.server"):
            request.environ[TRANSPORT_KEY] = "truncate"
            return response
        data = response.get_data()
        return Response(data[: len(data) // 2], status=200, mimetype="application/json")
    # "reset": the server drops the connection; without it, close the socket by hand.
    if request.environ.get("sandbox.server"):
        request.environ[TRANSPORT_KEY] = "reset"
    else:
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
    return response


def wrong_shape(value: object) -> object:
    """JSON of the wrong shape for ``value``: an object's fields with mismatched types, a list
    wrapped in an object."""
    if isinstance(value, dict):
        mismatched = {list: {}, dict: [], str: 12345, int: "many", float: "many", bool: "yes"}
        return {key: mismatched.get(type(item), 0) for key, item in value.items()} or [1]
    if isinstance(value, list):
        return {"items": value}
    return {"unexpected": value}
