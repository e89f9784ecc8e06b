"""Which network addresses blogsift may talk to.

A feed or a redirect can point anywhere, including the machine blogsift runs on, the office network or
a cloud metadata endpoint (169.254.169.254). Every host name is resolved and *every* address it resolves
to is checked before a connection is made; one forbidden address refuses the whole host, so a name that
resolves to both a public and a private address cannot be used to reach the private one.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

from .errors import AddressRefused, ConfigError, FetchError

__all__ = ["ALLOWED_SCHEMES", "Resolver", "address_problem", "check_scheme", "check_host",
           "parse_networks", "system_resolver"]

ALLOWED_SCHEMES = ("http", "https")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``async (host, port) -> [address strings]``; the system resolver unless a caller injects one
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """All addresses ``getaddrinfo`` gives for ``host`` (the same lookup the connection will make)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def parse_networks(cidrs: Iterable[str]) -> list[IPNetwork]:
    """``["127.0.0.1/32", "10.1.0.0/16"]`` -> networks; a bad entry is a ConfigError naming it."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(f"fetch.allowed_networks: {cidr!r} is not a network ({exc})",
                              key="fetch.allowed_networks") from exc
    return networks


def address_problem(address: str, *, allow_private: bool,
                    allowed_networks: Iterable[IPNetwork] = ()) -> str | None:
    """Why ``address`` may not be contacted, or None when it may."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return f"'{address}' is not an IP address"
    # an IPv4 address wrapped in IPv6 (::ffff:10.0.0.1, 64:ff9b::a00:1) is judged as the IPv4 address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in ipaddress.ip_network("64:ff9b::/96"):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if any(ip in net for net in allowed_networks if net.version == ip.version):
        return None
    # these are never a web server, whatever the settings say
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_unspecified:
        return f"{ip} is the unspecified address"
    if ip.is_reserved:
        return f"{ip} is a reserved address"
    if allow_private:
        return None
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address (e.g. a cloud metadata endpoint)"
    if ip.is_private:
        return f"{ip} is a private address"
    if not ip.is_global:  # carrier-grade NAT 100.64/10, benchmarking 198.18/15, ...
        return f"{ip} is not a public address"
    return None


def check_scheme(url: str, scheme: str, *, source: str | None = None) -> None:
    if scheme not in ALLOWED_SCHEMES:
        raise FetchError(f"only http and https URLs are fetched, not '{scheme or '(none)'}:'",
                         url=url, source=source)


async def check_host(url: str, host: str, port: int, *, allow_private: bool,
                     allowed_networks: Iterable[IPNetwork] = (), resolver: Resolver | None = None,
                     source: str | None = None) -> list[str]:
    """Resolve ``host`` and refuse it unless every address is allowed; returns the addresses."""
    if not host:
        raise FetchError("URL has no host", url=url, source=source)
    try:
        addresses = await (resolver or system_resolver)(host, port)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host '{host}': {exc}", url=url, source=source) from exc
    if not addresses:
        raise FetchError(f"host '{host}' resolves to no address", url=url, source=source)
    nets = list(allowed_networks)
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private, allowed_networks=nets)
        if problem:
            hint = "" if allow_private else " (set fetch.allow_private_addresses or fetch.allowed_networks to allow it)"
            raise AddressRefused(f"refused to connect to '{host}': {problem}{hint}", url=url, source=source)
    return addresses
