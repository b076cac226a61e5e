"""Where a webhook may post (the kernel's, used by ``meihao.post_webhook`` and the ``webhook``/``wecom`` channels): public http(s) addresses only, checked when the address is saved and again
before every send (a name can resolve elsewhere tomorrow), and the POST goes to the address that was checked.

Refused: other schemes, credentials in the URL (``user:pass@``), and any resolved address that is loopback,
link-local, private, shared (100.64/10), multicast, reserved or unspecified — including IPv4 mapped into
IPv6. ``MEIHAO_WEBHOOK_ALLOWED_HOSTS`` (comma-separated host names, addresses or networks such as
``10.1.2.0/24``) lets an operator name internal receivers that are allowed anyway.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOW_VARIABLE = "MEIHAO_WEBHOOK_ALLOWED_HOSTS"


class TargetRefused(ValueError):
    """The address is not a webhook target meihao posts to; the message says why, in the user's terms."""


@dataclass(frozen=True)
class Target:
    """A checked target: post to ``url`` (the host replaced by the checked address), sending ``host_header``
    and, for https, ``sni_hostname`` so that the certificate is still checked against the name."""

    url: str
    host_header: str
    sni_hostname: str | None


def allowed_entries(raw: str | None = None) -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    """The operator's allow-list: lower-case host names and networks (a bare address is a /32 or /128)."""
    value = os.environ.get(ALLOW_VARIABLE, "") if raw is None else raw
    names: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return names, networks


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet (not loopback, private, link-local, multicast, reserved…)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def parse(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a webhook URL, or TargetRefused saying what is wrong with it."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as err:
        raise TargetRefused("is not a valid URL") from err
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("must start with http:// or https://")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("must not contain a user name or password")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("has no host name")
    if any(c in url for c in "\r\n\t "):
        raise TargetRefused("must not contain spaces or line breaks")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise TargetRefused(f"host {host} cannot be found") from err
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in found:
            found.append(address)
    if not found:
        raise TargetRefused(f"host {host} cannot be found")
    return found


async def check_target(url: str) -> Target:
    """Check ``url`` now and return where to post; TargetRefused when meihao must not post there.

    Every address the name resolves to must be public (or allowed by the operator): a name that resolves
    to one public and one internal address is refused, so the choice of address cannot be steered.
    """
    scheme, host, port = parse(url)
    names, networks = allowed_entries()
    addresses = await resolve(host, port)
    by_name = host.lower() in names
    for address in addresses:
        if by_name or is_public(address) or any(address in network for network in networks):
            continue
        raise TargetRefused(
            f"host {host} is an internal address ({address}); webhooks go to public addresses only "
            f"(an operator can allow internal receivers with {ALLOW_VARIABLE})"
        )
    chosen = addresses[0]
    parts = urlsplit(url.strip())
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = literal if parts.port is None else f"{literal}:{port}"
    host_header = parts.netloc
    return Target(parts._replace(netloc=netloc).geturl(), host_header, host if scheme == "https" else None)
