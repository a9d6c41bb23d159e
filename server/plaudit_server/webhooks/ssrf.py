"""Where a webhook may point: public addresses only (server-side request forgery defence).

A webhook URL is chosen by a shop's admin, but Plaudit's worker makes the request
from inside Plaudit's network. Without these checks a URL could reach the cloud
metadata service (169.254.169.254), a database on 10.x, or the worker's own
loopback. So: ``https`` only, no credentials in the URL, and every address the host
name resolves to must be public, in every spelling a resolver accepts (decimal
``2130706433``, octal ``0177.0.0.1``, hex ``0x7f.1``, IPv4 inside IPv6). The API
calls :func:`check` when a webhook is created or changed; the sender calls
:func:`resolve` again at each delivery and connects to the address it checked, so a
name that later re-resolves to a private address (DNS rebinding) gets nowhere.

``allow_private`` (``PLAUDIT_WEBHOOKS_ALLOW_PRIVATE=true``, development and tests)
also allows ``http`` and private addresses.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

MAX_URL_LENGTH = 2000
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_ONLY = "webhooks only go to public addresses"


class UrlRefused(ValueError):
    """A webhook URL or address that may not be used; ``str()`` is a sentence for a 422.

    ``brief`` is the short form a delivery log shows (``"10.0.0.5 is a private
    address"``); ``address`` is the refused address when one was the reason.
    """

    def __init__(self, message: str, *, brief: str | None = None, address: IPAddress | None = None):
        super().__init__(message)
        self.brief = brief or message.rstrip(".")
        self.address = address


# Non-public IPv4 ranges, most specific reason first. Written out rather than left to
# ``ipaddress.is_global`` alone: its answers have changed between Python releases,
# and multicast counts as "global" there.
_V4_RANGES: list[tuple[ipaddress.IPv4Network, str]] = [
    (ipaddress.IPv4Network(net), kind)
    for net, kind in [
        ("169.254.169.254/32", "link-local (cloud metadata)"),
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved (IETF protocol)"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "reserved (6to4 relay)"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "reserved (benchmarking)"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    ]
]
_V6_RANGES: list[tuple[ipaddress.IPv6Network, str]] = [
    (ipaddress.IPv6Network(net), kind)
    for net, kind in [
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("64:ff9b:1::/48", "private (local-use NAT64)"),
        ("100::/64", "reserved (discard)"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "private (unique local)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "private (site-local)"),
        ("ff00::/8", "multicast"),
    ]
]
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPAT = ipaddress.IPv6Network("::/96")


def _low_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


def non_public_kind(ip: IPAddress) -> str | None:
    """Why ``ip`` is not public ("private", "loopback", ...), or None when it is public.

    IPv6 forms that carry an IPv4 address (mapped ``::ffff:a.b.c.d``, compatible
    ``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo ``2001::/32``)
    are judged by the IPv4 address inside, since that is where packets may end up.
    """
    if isinstance(ip, ipaddress.IPv4Address):
        for net, kind in _V4_RANGES:
            if ip in net:
                return kind
        return None if ip.is_global else "reserved"
    if ip.scope_id:
        ip = ipaddress.IPv6Address(ip.compressed.partition("%")[0])
    if ip in _MAPPED or ip in _NAT64:
        return non_public_kind(_low_v4(ip))
    if ip in _COMPAT and int(ip) > 1:
        inner = non_public_kind(_low_v4(ip))
        return inner or "reserved (IPv4-compatible)"
    for net6, kind6 in _V6_RANGES:
        if ip in net6:
            return kind6
    embedded: list[ipaddress.IPv4Address] = []
    if ip.sixtofour is not None:
        embedded.append(ip.sixtofour)
    if ip.teredo is not None:
        embedded.extend(ip.teredo)
    for inner_ip in embedded:
        inner = non_public_kind(inner_ip)
        if inner:
            return inner
    if ip.teredo is not None:
        return None  # 2001::/32 counts as "not global" in ipaddress; its embedded ones are.
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


def is_public(ip: IPAddress) -> bool:
    """True when ``ip`` is an ordinary Internet address a webhook may be delivered to."""
    return non_public_kind(ip) is None


def _parse_v4_part(part: str) -> int | None:
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits:
        return 0 if base == 16 else None
    try:
        return int(digits, base) if digits.isalnum() and digits.isascii() else None
    except ValueError:
        return None


def parse_ip(host: str) -> IPAddress | None:
    """The address ``host`` spells, in any form ``inet_aton``/``getaddrinfo`` accept, else None.

    IPv4 may be written with 1 to 4 parts, each decimal, octal (leading 0) or hex
    (``0x``): ``2130706433``, ``0177.0.0.1``, ``0x7f.1`` and ``127.1`` all mean
    127.0.0.1. IPv6 is written without brackets (as ``urlsplit().hostname`` gives it).
    """
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    parts = host.removesuffix(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    values = [_parse_v4_part(p) for p in parts]
    if any(v is None for v in values):
        return None
    numbers = [v for v in values if v is not None]
    *head, last = numbers
    if any(v > 255 for v in head) or last >= 1 << (8 * (5 - len(numbers))):
        return None
    value = last
    for i, v in enumerate(head):
        value |= v << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def show(ip: IPAddress) -> str:
    """``ip`` as people write it: IPv4-mapped IPv6 keeps its dotted IPv4 part."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"
    return str(ip)


def _refuse_address(host: str, ip: IPAddress, kind: str) -> UrlRefused:
    a_kind = f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"
    said = f"{show(ip)} is" if parse_ip(host) is not None else f"{host} resolves to {show(ip)},"
    return UrlRefused(f"{said} {a_kind}: {_ONLY}.", brief=f"{show(ip)} is {a_kind}", address=ip)


def check_url(url: str, *, allow_private: bool) -> urllib.parse.SplitResult:
    """The URL split into parts, or UrlRefused: syntax only, no DNS.

    Absolute, ``https`` (``http`` too when ``allow_private``), a host, no user name or
    password, a valid port, at most 2000 characters, no spaces or control characters;
    an IP-literal host that is not public is refused here already.
    """
    if not isinstance(url, str) or not url:
        raise UrlRefused("The URL is empty.")
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"The URL must be at most {MAX_URL_LENGTH} characters long.")
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in url):
        raise UrlRefused("The URL must not contain spaces or control characters.")
    if not url.isascii():
        raise UrlRefused(
            "The URL must be ASCII: percent-encode other characters in the path,"
            " and write an international host name in its xn-- form."
        )
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        raise UrlRefused("The URL is not valid.") from None
    try:
        port = parts.port
    except ValueError:
        raise UrlRefused("The URL's port is not valid.") from None
    schemes = ("http", "https") if allow_private else ("https",)
    if not parts.scheme or not parts.netloc:
        raise UrlRefused("The URL must be absolute, like https://hooks.example.com/plaudit.")
    if parts.scheme not in schemes:
        raise UrlRefused(
            "The URL must use http or https." if allow_private else "The URL must use https."
        )
    if "@" in parts.netloc:
        raise UrlRefused("The URL must not contain a user name or password.")
    host = parts.hostname
    if not host:
        raise UrlRefused("The URL must name a host.")
    if port == 0:
        raise UrlRefused("The URL's port is not valid.")
    ip = parse_ip(host)
    if ip is None:
        if ":" in host or "[" in parts.netloc:
            raise UrlRefused("The URL's IPv6 address is not valid.")
        if len(host) > 253 or not _NAME.fullmatch(host):
            raise UrlRefused("The URL's host name is not valid.")
    elif not allow_private:
        kind = non_public_kind(ip)
        if kind:
            raise _refuse_address(host, ip, kind)
    return parts


def default_port(parts: urllib.parse.SplitResult) -> int:
    """The port a checked URL connects to."""
    return parts.port or (443 if parts.scheme == "https" else 80)


def resolve(
    host: str, port: int, *, allow_private: bool, resolver: Resolver = socket.getaddrinfo
) -> list[IPAddress]:
    """Every address ``host`` resolves to, each checked to be public (unless ``allow_private``).

    One non-public address refuses the whole name: a resolver may hand out any of
    them, so an attacker needs only one. An IP literal is not sent to the resolver.
    """
    literal = parse_ip(host)
    if literal is not None:
        found: list[IPAddress] = [literal]
    else:
        try:
            infos = resolver(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError):
            infos = []
        found = []
        for info in infos:
            try:
                ip = ipaddress.ip_address(str(info[4][0]).partition("%")[0])
            except (ValueError, IndexError, TypeError):
                continue
            if ip not in found:
                found.append(ip)
        if not found:
            raise UrlRefused(
                f"{host} could not be resolved.", brief=f"{host} could not be resolved"
            )
    if not allow_private:
        for ip in found:
            kind = non_public_kind(ip)
            if kind:
                raise _refuse_address(host, ip, kind)
    return found


def check(
    url: str, *, allow_private: bool, resolver: Resolver = socket.getaddrinfo
) -> list[IPAddress]:
    """Check a webhook URL as the API does at creation: syntax, then every resolved address."""
    parts = check_url(url, allow_private=allow_private)
    assert parts.hostname is not None  # check_url refuses a URL without a host
    return resolve(
        parts.hostname, default_port(parts), allow_private=allow_private, resolver=resolver
    )
