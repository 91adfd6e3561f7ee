"""Serve the sandbox: a threaded werkzeug server with keep-alive and TCP_NODELAY.

Werkzeug's own request handler closes every connection, and Nagle's algorithm then delays
small responses by ~40 ms; the sandbox's handler keeps HTTP/1.1 connections open, sets
TCP_NODELAY on accepted sockets, and can be told by the app to truncate or reset a response
(fault injection, see :mod:`.faults`).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, cast

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wsgi import LimitedStream

from .app import TRANSPORT_KEY

#: Idle keep-alive connections are closed after this many seconds.
IDLE_TIMEOUT = 60


class NoDelayRequestHandler(WSGIRequestHandler):
    """A WSGI handler with TCP_NODELAY, HTTP/1.1 keep-alive and the transport faults."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    quiet = False

    def setup(self) -> None:
        """Set TCP_NODELAY on the accepted socket and track it until it closes."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        getattr(self.server, "open_connections", set()).add(self.connection)

    def finish(self) -> None:
        """Forget the connection once it is done."""
        getattr(self.server, "open_connections", set()).discard(self.connection)
        super().finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the request unless the handler is quiet."""
        if not self.quiet:
            super().log_request(code, size)

    def run_wsgi(self) -> None:
        """Run the app for one request; buffer its answer and send it with Content-Length."""
        environ = self.environ = self.make_environ()
        environ["sandbox.server"] = True
        body_stream = None
        if environ.get("wsgi.input_terminated"):  # chunked request body: no keep-alive
            self.close_connection = True
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            # the socket's buffered reader is the binary stream LimitedStream reads
            body_stream = LimitedStream(cast(IO[bytes], self.rfile), length)
            environ["wsgi.input"] = body_stream
            environ["wsgi.input_terminated"] = True
        outcome: dict = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> Callable[[bytes], None]:
            outcome["status"], outcome["headers"] = status, headers
            return lambda data: outcome.setdefault("early", []).append(data)

        try:
            chunks = self.server.app(environ, start_response)
            try:
                body = b"".join([*outcome.get("early", []), *chunks])
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
        except Exception as error:  # the app failed: answer 500, like werkzeug does
            self.log_error("Error on request: %r", error)
            outcome = {
                "status": "500 INTERNAL SERVER ERROR",
                "headers": [("Content-Type", "application/json")],
            }
            body = b'{"code": 500, "subCode": 0, "message": "Internal server error."}'
        if body_stream is not None:
            body_stream.exhaust()
        self._send(outcome["status"], outcome["headers"], body, environ.get(TRANSPORT_KEY))

    def _send(self, status: str, headers: list, body: bytes, transport: str | None) -> None:
        if transport == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection or transport == "truncate":
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body[: len(body) // 2] if transport == "truncate" else body)
        self.wfile.flush()
        if transport == "truncate":
            self.close_connection = True


@dataclass
class RunningServer:
    """A sandbox served in a background thread."""

    server: BaseWSGIServer
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        """The root URL, e.g. ``http://127.0.0.1:5050`` (portals at ``/msp``, ``/business``)."""
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop serving, close the listening socket and drop idle keep-alive connections."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        for connection in list(getattr(self.server, "open_connections", ())):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def make_sandbox_server(
    app, host: str = "127.0.0.1", port: int = 5050, quiet: bool = False
) -> BaseWSGIServer:
    """A threaded server for ``app`` with the sandbox's request handler."""
    handler = type("SandboxRequestHandler", (NoDelayRequestHandler,), {"quiet": quiet})
    server = make_server(host, port, app, threaded=True, request_handler=handler)
    server.open_connections = set()  # type: ignore[attr-defined]
    return server


def run_in_thread(app, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> RunningServer:
    """Serve ``app`` in a daemon thread (``port=0``: a free port); returns the running server."""
    server = make_sandbox_server(app, host, port, quiet=quiet)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"sandbox-{server.port}",
        daemon=True,
    )
    thread.start()
    return RunningServer(server=server, thread=thread, host=host, port=server.port)
