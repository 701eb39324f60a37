"""The address guard against IPv6 forms that carry or stand for a private address."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from bot.errors import FetchError
from bot.ingest.fetch import AddressGuard, Fetcher, FetchPolicy

# IPv4-compatible, NAT64 (RFC 6052), 6to4, SIIT-translated forms of 127.0.0.2, and site-local
PRIVATE_FORMS = ["::127.0.0.2", "64:ff9b::7f00:2", "2002:7f00:2::", "::ffff:0:7f00:2", "fec0::1"]


@pytest.mark.parametrize("address", PRIVATE_FORMS)
def test_ipv6_forms_of_private_addresses_are_refused_before_connecting(address: str) -> None:
    async def fetch() -> FetchError:
        async with Fetcher(FetchPolicy(timeout_seconds=5)) as fetcher:
            with pytest.raises(FetchError) as info:
                await fetcher.fetch(f"http://[{address}]:9/feed")
            return info.value

    error = asyncio.run(fetch())
    assert error.kind == "private_address", str(error)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("2002:808:808::", True),  # 6to4 of 8.8.8.8
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("::ffff:8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254, the cloud metadata address
        ("::", False),
        ("::1", False),
    ],
)
def test_an_embedded_ipv4_address_decides_and_public_ones_still_pass(address: str, allowed: bool) -> None:
    assert AddressGuard(()).address_allowed(ipaddress.ip_address(address)) is allowed


def test_the_allow_list_applies_to_the_embedded_address() -> None:
    guard = AddressGuard(["127.0.0.0/8"])
    assert guard.address_allowed(ipaddress.ip_address("::ffff:127.0.0.2"))
    assert guard.address_allowed(ipaddress.ip_address("64:ff9b::7f00:2"))
    assert not guard.address_allowed(ipaddress.ip_address("64:ff9b::a00:1"))
