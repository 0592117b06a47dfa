"""IP addresses and CIDR blocks as event-ruler reads them.

A string is an IP address when it is a dotted quad (four decimal octets, no
leading zeros) or an IPv6 literal of hex digits and colons; an IPv4-mapped
IPv6 address is its IPv4 address. Addresses are `(family, int)` pairs, so a CIDR block is an
inclusive integer range within one family.

>>> parse_ip("10.0.0.1")
(4, 167772161)
>>> parse_cidr("10.0.0.77/24") == (4, parse_ip("10.0.0.0")[1], parse_ip("10.0.0.255")[1])
True
"""

from __future__ import annotations

import re
import socket

_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6 = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")
_MASK = re.compile(r"[+-]?[0-9]+")
_INT_MAX = 2**31 - 1
_MAPPED = bytes(10) + b"\xff\xff"


class CidrError(ValueError):
    """A CIDR block EventBridge refuses; the message is EventBridge's reason."""


def parse_ip(text: str) -> tuple[int, int] | None:
    """The address a string names, or None when it is not an IP address literal."""
    if text.count(".") == 3:
        try:  # inet_pton takes exactly four decimal octets, no leading zeros, as Java does
            return (4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big"))
        except OSError:
            return None
    if "." in text or not _IPV6.fullmatch(text):
        return None
    try:
        packed = socket.inet_pton(socket.AF_INET6, text)
    except OSError:
        return None
    if packed.startswith(_MAPPED):
        return (4, int.from_bytes(packed[12:], "big"))
    return (6, int.from_bytes(packed, "big"))


def parse_cidr(text: str) -> tuple[int, int, int]:
    """The block `(family, first, last)` a CIDR names; host bits are ignored."""
    parts = text.split("/")
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()  # a trailing slash splits to nothing, as in Java
    if len(parts) != 2:
        raise CidrError("Malformed CIDR, one '/' required")
    base, mask_text = parts
    if not _MASK.fullmatch(mask_text) or not -_INT_MAX - 1 <= int(mask_text) <= _INT_MAX:
        raise CidrError("Malformed CIDR, mask bits must be an integer")
    mask = int(mask_text)
    if mask < 0:
        raise CidrError("Malformed CIDR, mask bits must not be negative")
    if not (_IPV4.fullmatch(base) or _IPV6.fullmatch(base)):
        raise CidrError(f"Nonstandard IP address: {base}")
    address = parse_ip(base)
    if address is None:
        raise CidrError(f"Invalid IP address: {base}")
    family, value = address
    width = 32 if family == 4 else 128
    if mask >= width:
        raise CidrError(f"IPv{family} mask bits must be < {width}")
    host = (1 << (width - mask)) - 1
    return family, value & ~host, value | host
