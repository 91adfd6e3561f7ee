"""Where a webhook may be delivered (SSRF guard).

A URL is https, or http to a host on the `WEBHOOK_ALLOWED_HOSTS` allow-list. Every delivery
resolves the host and refuses private, loopback, link-local, multicast, reserved and
unspecified addresses unless the host is allow-listed; redirects are never followed (see
`mspweb.webhooks.delivery`).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why."""


def allowed_hosts() -> set[str]:
    """The allow-listed host names and addresses (lower case)."""
    raw = current_app.config.get("WEBHOOK_ALLOWED_HOSTS") or ""
    return {host.strip().lower() for host in raw.split(",") if host.strip()}


def check_url(url: str) -> tuple[str, int, bool]:
    """(host, port, allow-listed) of a URL that may receive webhooks, else `UnsafeUrl`."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl(f"That is not a valid URL ({error}).") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeUrl("The URL must start with https:// and name a host.")
    if parts.username or parts.password:
        raise UnsafeUrl("The URL cannot carry a user name or password.")
    listed = host in allowed_hosts()
    if parts.scheme == "http" and not listed:
        raise UnsafeUrl("Plain http is only for hosts on the allow-list (WEBHOOK_ALLOWED_HOSTS).")
    return host, port or (443 if parts.scheme == "https" else 80), listed


def is_public(address: str) -> bool:
    """True for an address on the public internet (not private, loopback, link-local...)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_destination(url: str) -> None:
    """Check the URL and every address its host resolves to (at delivery time)."""
    host, port, listed = check_url(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = {str(info[4][0]) for info in found}
    except OSError as error:
        raise UnsafeUrl(f"The host {host} cannot be resolved ({error}).") from None
    if listed:
        return
    refused = sorted(address for address in addresses if not is_public(address))
    if refused:
        raise UnsafeUrl(
            f"The host {host} resolves to a private or local address ({refused[0]}); "
            "add it to WEBHOOK_ALLOWED_HOSTS if that is intended."
        )
