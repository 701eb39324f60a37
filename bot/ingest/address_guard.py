"""The private-address guard: which hosts and addresses a fetch may contact.

Loopback, private, link-local, multicast, reserved and unspecified addresses are refused (also
when an IPv6 address carries one as an embedded IPv4 address), unless the allow-list names them.
The resolver checks every new connection, so a name that re-resolves to 127.0.0.1 later is
refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Protocol

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

_LITERAL_CACHE = 4096

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(Exception):
    """Raised by the guarded resolver; not an OSError so that aiohttp passes it through unchanged."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}, a non-public address")
        self.host = host
        self.address = address


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 2765 SIIT
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291, deprecated


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries and reaches (mapped, compatible, NAT64, SIIT, 6to4).

    A host that answers `::127.0.0.2` or `2002:7f00:2::` may end up talking to 127.0.0.2, so these
    forms must be judged by the embedded address, not by the IPv6 ranges they sit in.
    """
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _IPV4_TRANSLATED or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


class AddressGuard:
    """Decides whether an address may be contacted: public addresses always, others when allowed."""

    def __init__(self, allow: Iterable[str]) -> None:
        self._names: set[str] = set()
        self._networks: list[IPNetwork] = []
        self._literals: dict[str, str | None] = {}  # host -> the refused address, None when allowed
        for item in allow:
            text = item.strip().lower()
            if not text:
                continue
            try:
                self._networks.append(ipaddress.ip_network(text.strip("[]"), strict=False))
            except ValueError:
                self._names.add(text.rstrip("."))

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self._names

    def address_allowed(self, address: IPAddress) -> bool:
        if any(address in network for network in self._networks):
            return True
        if isinstance(address, ipaddress.IPv6Address):
            if address.is_site_local:
                return False  # fec0::/10, deprecated but still routed inside some sites
            embedded = embedded_ipv4(address)
            if embedded is not None:
                return self.address_allowed(embedded)  # judged by the IPv4 address it reaches
        return address.is_global and not address.is_multicast

    def check_literal(self, host: str) -> None:
        """Raise AddressRefused when `host` is an IP literal that may not be contacted.

        The answer depends only on the host and the allow-list, so it is remembered per host (a
        poll of thousands of feeds asks it for the same few hosts on every request).
        """
        try:
            refused = self._literals[host]
        except KeyError:
            refused = self._refused_literal(host)
            if len(self._literals) >= _LITERAL_CACHE:
                self._literals.clear()
            self._literals[host] = refused
        if refused is not None:
            raise AddressRefused(host, refused)

    def _refused_literal(self, host: str) -> str | None:
        try:
            address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        except ValueError:
            return None  # a name: the resolver checks what it resolves to
        if not self.host_allowed(host) and not self.address_allowed(address):
            return str(address)
        return None


class _Resolver(Protocol):
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]: ...

    async def close(self) -> None: ...


class GuardedResolver(AbstractResolver):
    """A resolver that drops non-public addresses (unless allowed) from every resolution.

    aiohttp asks the resolver for every new connection (the DNS cache only holds answers this
    resolver already filtered), so a host that re-resolves to a private address is refused.
    """

    def __init__(self, guard: AddressGuard, inner: _Resolver | None = None) -> None:
        self._guard = guard
        self._inner: _Resolver = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self._guard.host_allowed(host):
            return results
        kept = [r for r in results if self._guard.address_allowed(ipaddress.ip_address(r["host"]))]
        if not kept:
            raise AddressRefused(host, results[0]["host"] if results else "?")
        return kept

    async def close(self) -> None:
        await self._inner.close()
