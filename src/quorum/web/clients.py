"""The client's address: the direct peer, or what ``X-Forwarded-For`` says only when that peer is one of
the configured trusted proxies (``QUORUM_TRUSTED_PROXIES``). Anyone can write the header, so trusting it
from any peer (uvicorn's default trusts loopback) would let a guesser pick a fresh address per try."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from starlette.requests import Request

from quorum.errors import Invalid, field_error


class TrustedProxies:
    def __init__(self, spec: str = "") -> None:
        self.networks: list[IPv4Network | IPv6Network] = []
        for part in spec.replace(",", " ").split():
            try:
                self.networks.append(ip_network(part, strict=False))
            except ValueError:
                raise Invalid(
                    f"QUORUM_TRUSTED_PROXIES: {part!r} is not an IP address or network",
                    [field_error("trusted_proxies", "not an address")],
                ) from None

    def trusts(self, address: str) -> bool:
        try:
            parsed = ip_address(address.strip())
        except ValueError:
            return False
        return any(parsed in network for network in self.networks)

    def client_address(self, request: Request) -> str:
        peer = request.client.host if request.client else "unknown"
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
        # The right-most hop not added by one of our own proxies is the client; left of it is the client's
        # own claim, which may be forged.
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer
