"""A model's base URL must not become a way into internal services: http(s) only, and no link-local or
cloud-metadata address (169.254.0.0/16, fe80::/10, the metadata host names) unless a setting allows it.
Loopback stays allowed: local vLLM and Ollama servers live there. Every address the host resolves to is
checked, so a name pointing at 169.254.169.254 is refused like the address itself."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from quorum.errors import Invalid, field_error

METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"}
)
_LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
# AWS's IPv6 metadata address sits outside fe80::/10.
_METADATA_ADDRESSES = (ipaddress.ip_address("fd00:ec2::254"),)


def _refuse(msg: str) -> Invalid:
    return Invalid(f"base URL refused: {msg}", [field_error("base_url", msg, at="body")])


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to (a seam for tests: they replace the resolver)."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in _LINK_LOCAL) or ip in _METADATA_ADDRESSES


def check_base_url(url: str, *, allow_link_local: bool) -> str:
    """The URL, checked; ``Invalid`` naming the reason otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise _refuse(f"the scheme must be http or https, not {parts.scheme or 'none'!r}")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise _refuse("no host name")
    if parts.username or parts.password:
        raise _refuse("credentials in the URL; name an environment variable with --api-key-env")
    if allow_link_local:
        return url.strip()
    if host in METADATA_HOSTS:
        raise _refuse(f"{host} is a cloud metadata host")
    try:
        addresses = [host] if _is_address(host) else resolve(host)
    except OSError:
        raise _refuse(f"cannot resolve {host}") from None
    for address in addresses:
        if _forbidden(address):
            raise _refuse(f"{host} resolves to the link-local or metadata address {address}")
    return url.strip()


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
