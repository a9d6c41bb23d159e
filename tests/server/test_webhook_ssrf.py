"""Webhook URLs reach public addresses only, however the address is spelled or resolved.

The refusals are the point: a shop admin must not be able to make Plaudit's worker
call the cloud metadata service, a private network or its own loopback.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from plaudit_server.webhooks import ssrf
from plaudit_server.webhooks.ssrf import UrlRefused


def resolver_for(*addresses: str) -> Callable[..., Sequence[tuple[Any, ...]]]:
    """A getaddrinfo stand-in that maps every name to ``addresses`` (and counts calls)."""

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        resolve.calls.append(host)  # type: ignore[attr-defined]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in addresses
        ]

    resolve.calls = []  # type: ignore[attr-defined]
    return resolve


NOT_PUBLIC = [
    "127.0.0.1",
    "127.255.0.9",
    "10.0.0.5",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",
    "169.254.1.1",
    "100.64.0.1",
    "100.127.255.254",
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "198.51.100.7",
    "203.0.113.9",
    "198.18.0.1",
    "::1",
    "::",
    "fc00::1",
    "fd00:ec2::254",
    "fe80::1",
    "ff02::1",
    "2001:db8::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.5",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "64:ff9b::10.0.0.5",
    "64:ff9b::127.0.0.1",
    "64:ff9b:1::1",
    "2002:a00:5::1",  # 6to4 of 10.0.0.5
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo, client 192.0.2.45
]
PUBLIC = [
    "8.8.8.8",
    "93.184.216.34",
    "100.63.255.255",
    "100.128.0.1",
    "172.15.255.255",
    "172.32.0.1",
    "2001:4860:4860::8888",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:808:808::1",
]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_addresses(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert not ssrf.is_public(ip)
    assert ssrf.non_public_kind(ip)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert ssrf.is_public(ip), ssrf.non_public_kind(ip)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/x", "The URL must use https."),
        ("ftp://hooks.example.com/x", "The URL must use https."),
        ("hooks.example.com/x", "The URL must be absolute"),
        ("/relative", "The URL must be absolute"),
        ("not a url", "spaces"),
        ("", "empty"),
        ("https://user:pw@hooks.example.com/", "user name or password"),
        ("https://user@hooks.example.com/", "user name or password"),
        ("https://hooks.example.com:99999/", "port"),
        ("https://hooks.example.com:0/", "port"),
        ("https://hooks.example.com:x/", "port"),
        ("https://hooks.example.com/a\tb", "control characters"),
        ("https://hooks.example.com/a\x00", "control characters"),
        ("https://hooks.example.com/\u200bx", "control characters"),
        ("https://hooks.example.com/" + "a" * 2000, "at most 2000"),
        ("https://bad_host!.example/", "host name is not valid"),
        ("https://a..b/", "host name is not valid"),
        ("https:///path", "must be absolute"),
        ("https://ex\u00e4mple.com/", "ASCII"),
        ("https://[::1/", "not valid"),
    ],
)
def test_bad_urls_get_a_clear_sentence(url: str, message: str) -> None:
    with pytest.raises(UrlRefused) as refused:
        ssrf.check_url(url, allow_private=False)
    assert message in str(refused.value)
    assert str(refused.value).endswith(".")


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # decimal
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("0x7f.1", "127.0.0.1"),  # hex, short form
        ("127.1", "127.0.0.1"),  # short form
        ("0x7f000001", "127.0.0.1"),
        ("012.0.0.5", "10.0.0.5"),
        ("167772165", "10.0.0.5"),
        ("172.16.0.1", "172.16.0.1"),
        ("192.168.0.1", "192.168.0.1"),
        ("169.254.169.254", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("100.64.0.1", "100.64.0.1"),
        ("[::1]", "::1"),
        ("[fc00::1]", "fc00::1"),
        ("[fd12:3456::1]", "fd12:3456::1"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
        ("[::ffff:7f00:1]", "::ffff:127.0.0.1"),
        ("[64:ff9b::a9fe:a9fe]", "64:ff9b::a9fe:a9fe"),
        ("[2002:c0a8:1::1]", "2002:c0a8:1::1"),
    ],
)
def test_ip_literals_in_any_spelling_are_refused_without_dns(host: str, address: str) -> None:
    with pytest.raises(UrlRefused) as refused:
        ssrf.check_url(f"https://{host}:8443/hook", allow_private=False)
    assert refused.value.address == ipaddress.ip_address(address)
    assert f"{address} is a" in str(refused.value)
    assert "webhooks only go to public addresses" in str(refused.value)
    # The same spellings mean the same address to the resolver-free path of resolve().
    with pytest.raises(UrlRefused):
        ssrf.resolve(host.strip("[]"), 443, allow_private=False, resolver=resolver_for())


def test_ip_spellings_agree_with_inet_aton() -> None:
    for spelling in ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "10.1.2", "0xa.0.0.5"]:
        expected = ipaddress.IPv4Address(socket.inet_aton(spelling))
        assert ssrf.parse_ip(spelling) == expected
    for not_ip in ["256.1.1.1", "1.2.3.4.5", "08.1.1.1", "1_0.0.0.1", "example.com", "4294967296"]:
        assert ssrf.parse_ip(not_ip) is None


def test_allow_private_allows_http_and_private_literals() -> None:
    parts = ssrf.check_url("http://127.0.0.1:5000/hook?x=1", allow_private=True)
    assert (parts.hostname, parts.port, parts.path, parts.query) == (
        "127.0.0.1",
        5000,
        "/hook",
        "x=1",
    )
    assert ssrf.check_url("https://[::1]/", allow_private=True).hostname == "::1"
    with pytest.raises(UrlRefused, match="must use http or https"):
        ssrf.check_url("ftp://127.0.0.1/", allow_private=True)
    with pytest.raises(UrlRefused, match="user name or password"):
        ssrf.check_url("http://a:b@127.0.0.1/", allow_private=True)
    assert ssrf.check("http://127.0.0.1:5000/", allow_private=True) == [
        ipaddress.ip_address("127.0.0.1")
    ]


def test_a_public_url_passes_and_returns_its_addresses() -> None:
    resolver = resolver_for("93.184.216.34", "2606:2800:220:1::1")
    found = ssrf.check("https://hooks.example.com/plaudit", allow_private=False, resolver=resolver)
    assert found == [
        ipaddress.ip_address("93.184.216.34"),
        ipaddress.ip_address("2606:2800:220:1::1"),
    ]
    assert resolver.calls == ["hooks.example.com"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("address", ["10.0.0.5", "127.0.0.1", "169.254.169.254", "::1", "fd00::5"])
def test_a_name_resolving_to_a_private_address_is_refused(address: str) -> None:
    with pytest.raises(UrlRefused) as refused:
        ssrf.check(
            "https://webhooks.example/x", allow_private=False, resolver=resolver_for(address)
        )
    assert str(refused.value).startswith(f"webhooks.example resolves to {address}, a")
    assert refused.value.address == ipaddress.ip_address(address)


def test_one_private_address_among_public_ones_refuses_the_name() -> None:
    resolver = resolver_for("93.184.216.34", "10.0.0.5")
    with pytest.raises(UrlRefused) as refused:
        ssrf.check("https://webhooks.example/", allow_private=False, resolver=resolver)
    assert str(refused.value) == (
        "webhooks.example resolves to 10.0.0.5, a private address:"
        " webhooks only go to public addresses."
    )
    assert refused.value.brief == "10.0.0.5 is a private address"


def test_localhost_with_the_system_resolver_is_refused() -> None:
    with pytest.raises(UrlRefused, match=r"localhost resolves to .*loopback address"):
        ssrf.check("https://localhost:8443/", allow_private=False)


def test_names_that_do_not_resolve_are_refused() -> None:
    def failing(*args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    for resolver in (failing, resolver_for()):
        with pytest.raises(UrlRefused, match=r"^nowhere.example could not be resolved\.$"):
            ssrf.check("https://nowhere.example/", allow_private=False, resolver=resolver)


def test_allow_private_lets_private_names_resolve() -> None:
    found = ssrf.check(
        "http://hooks.internal:8080/", allow_private=True, resolver=resolver_for("10.0.0.5")
    )
    assert found == [ipaddress.ip_address("10.0.0.5")]
