"""A scripted portal: a real HTTP server on 127.0.0.1 whose answers a test scripts call by call,
for the portal client cases the sandbox cannot produce (tests/test_portal_client_wire.py).

The ``portal`` fixture starts one per test; :func:`client_for` builds a client against it with
fast retry settings, and :func:`serve_list` scripts a paged listing.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mspweb.portal import (
    ClientSettings,
    MspPortalClient,
)

PASSWORD = "s3cret-Pa55word"
FAST = ClientSettings(
    connect_timeout=2,
    read_timeout=2,
    max_attempts=3,
    max_total_wait=10,
    backoff_base=0.01,
    backoff_max=0.05,
    max_calls_per_second=0,
    page_size=100,
)


@dataclass
class Reply:
    """What the scripted server answers: a status and a JSON (or raw bytes) body.

    ``action`` "reset" drops the connection without answering; "cut" announces the full
    Content-Length and closes after half the body.
    """

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    action: str = ""


@dataclass
class Seen:
    """One request the scripted server received."""

    method: str
    path: str
    body: Any
    headers: dict[str, str]


class ScriptedPortal:
    """A loopback HTTP server; ``routes[path](body) -> Reply`` scripts its answers.

    ``Token/Get`` and ``Token/Renew`` answer a fresh token pair unless scripted otherwise.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[Any], Reply]] = {}
        self.seen: list[Seen] = []
        self.issued = 0
        portal = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                path = self.path.strip("/").removeprefix("api/")
                portal.seen.append(Seen(self.command, path, body, dict(self.headers)))
                route = portal.routes.get(path) or portal.default_route(path)
                reply = route(body)
                if reply.action == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    return
                data = (
                    reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                )
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.action == "cut":
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def default_route(self, path: str) -> Callable[[Any], Reply]:
        """Token calls answer a token pair; anything else 404."""
        if path.endswith(("Token/Get", "Token/Renew")):
            return lambda body: Reply(body=self.token())
        return lambda body: Reply(404, {"code": 404, "subCode": 0, "message": "no route"})

    def token(self, expires_in: int | None = 3600) -> dict[str, Any]:
        """A fresh token pair (``expiresIn`` left out when None)."""
        self.issued += 1
        answer: dict[str, Any] = {
            "accessToken": f"access-{self.issued}",
            "refreshToken": f"refresh-{self.issued}",
        }
        if expires_in is not None:
            answer["expiresIn"] = expires_in
        return answer

    def calls(self, path: str) -> list[Seen]:
        """The requests received for ``path``."""
        return [seen for seen in self.seen if seen.path.endswith(path)]

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def portal() -> Iterator[ScriptedPortal]:
    """A scripted portal on a free loopback port."""
    scripted = ScriptedPortal()
    yield scripted
    scripted.close()


def client_for(portal: ScriptedPortal, settings: ClientSettings = FAST) -> MspPortalClient:
    """An MSP client logged into the scripted portal as ``ops@msp.example``."""
    return MspPortalClient(portal.url, "ops@msp.example", PASSWORD, settings)


def licenses_page(keys: list[str], total: int | None) -> dict[str, Any]:
    """A Search/Licenses answer listing ``keys``."""
    items = [
        {
            "publicLicenseKey": key,
            "productCode": "EEA",
            "productName": "Endpoint",
            "quantity": 5,
            "usage": 1,
            "state": 1,
        }
        for key in keys
    ]
    answer: dict[str, Any] = {"search": items}
    if total is not None:
        answer["totalCount"] = total
    return answer


def serve_list(portal: ScriptedPortal, keys: list[str], total: Callable[[int], int | None]) -> None:
    """Script Search/Licenses to page through ``keys``; ``total(skip)`` gives totalCount."""

    def route(body: Any) -> Reply:
        skip, take = body["skip"], body["take"]
        return Reply(body=licenses_page(keys[skip : skip + take], total(skip)))

    portal.routes["Search/Licenses"] = route
