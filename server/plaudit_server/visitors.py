"""Who is this visitor? A keyed hash, never a stored IP address.

Votes use a hash of the IP address and the user agent, keyed with the app's secret so
the hashes cannot be reversed by brute-forcing the IPv4 space. A user agent is free to
change, though, and one person easily rotates addresses within a network, so what must
hold against one person keys on the network: rate limits on the /24 or /64, and the
caps on votes per item and the duplicate-text check on the /24 or /56 (the smallest
IPv6 block a home connection commonly gets). Behind ``TRUSTED_PROXIES`` the address is
the client's from ``X-Forwarded-For`` (ProxyFix).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from flask import current_app, request


def keyed_hash(*parts: str) -> str:
    """A hash of ``parts`` keyed with the app's secret: stable across workers and hosts,
    and not reversible by trying every address."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def client_ip() -> str:
    """The client address, after ProxyFix has applied the trusted proxies (if any)."""
    return request.remote_addr or "0.0.0.0"


def network_prefix(address: str, v6_bits: int = 64) -> str:
    """``203.0.113.0/24`` for IPv4, ``2001:db8:1:2::/64`` (or ``v6_bits``) for IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    bits = 24 if ip.version == 4 else v6_bits
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def visitor_hash() -> str:
    """Identifies a visitor for votes and duplicate detection."""
    return keyed_hash("visitor", client_ip(), request.headers.get("User-Agent", ""))


def network_hash() -> str:
    """Identifies a visitor's network (/24, /56) for per-item vote caps and duplicates."""
    return keyed_hash("item-net", network_prefix(client_ip(), v6_bits=56))


def rate_limit_key() -> str:
    """flask-limiter key for per-visitor limits."""
    return "v:" + keyed_hash("net", network_prefix(client_ip()))
