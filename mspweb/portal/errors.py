"""The exceptions the portal client raises.

Every failure of a portal call surfaces as one of these, never as a ``requests`` exception,
a ``ValueError`` or a ``KeyError``. Each has a message a person can read and act on; no
message ever contains the account's password or a token.
"""

from __future__ import annotations

from typing import TypedDict


class ErrorDetails(TypedDict):
    """The keyword arguments every :class:`PortalError` takes besides its message."""

    call: str | None
    status: int | None
    code: int | None
    sub_code: int | None


class PortalError(Exception):
    """Base class: a portal call failed.

    ``call`` names the portal call (``"Search/Licenses"``), ``status`` is the HTTP status of
    the last answer when there was one, ``code``/``sub_code`` the portal's error codes from
    the answer's JSON body when it had them.
    """

    def __init__(
        self,
        message: str,
        *,
        call: str | None = None,
        status: int | None = None,
        code: int | None = None,
        sub_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.call = call
        self.status = status
        self.code = code
        self.sub_code = sub_code

    def __str__(self) -> str:
        return self.message


class PortalAuthError(PortalError):
    """The portal rejected the credentials (at login, or after every way to recover)."""


class PortalAccessError(PortalError):
    """The account has no access to the object asked for (HTTP 403)."""


class PortalNotFound(PortalError):
    """The object asked for does not exist, or is outside the account's tree (HTTP 404)."""


class PortalUnavailable(PortalError):
    """The portal could not be reached or kept failing (timeouts, 429, 5xx, maintenance).

    Retrying later may succeed.
    """


class PortalProtocolError(PortalError):
    """The portal answered something the contract does not allow.

    A body that is not JSON, JSON of the wrong shape, a 400, or a listing whose pages do not
    add up. A partial listing raises this rather than ever looking complete.
    """


class ResponseShapeError(ValueError):
    """Raised by the record parsers when a JSON value does not have the contract's shape.

    Internal: the client turns it into :class:`PortalProtocolError` naming the call.
    """
