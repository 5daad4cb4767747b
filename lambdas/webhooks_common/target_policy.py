"""Which webhook URLs and addresses we may send to: public HTTPS targets only (the SSRF guard).

The same policy runs twice: when a subscription is registered (`vet_url`, every resolved address must be
public) and when the fan-out opens a connection (`vet_host`, against DNS rebinding: the address we connect
to is the one we just vetted). Example::

    >>> policy = TargetPolicy(resolver=lambda host, port: ["10.0.0.7"])
    >>> policy.vet_url("https://hooks.example.com/in")
    Traceback (most recent call last):
    ...
    lambdas.webhooks_common.target_policy.TargetRejectedError: host hooks.example.com resolves to 10.0.0.7, a private address (10.0.0.0/8); webhooks can only target public addresses
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""`(host, port) -> IP address strings`; the default asks the system resolver (getaddrinfo)."""

MAX_URL_LENGTH = 2048
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")

# Checked in order; the first match names the problem. `is_global` below catches anything else non-public,
# but Python's notion of "global" differs between versions (e.g. 6to4, NAT64), so the list is explicit.
_BLOCKED_NETWORKS: tuple[tuple[str, str], ...] = (
    ("169.254.169.254/32", "the cloud instance metadata endpoint"),
    ("fd00:ec2::254/128", "the cloud instance metadata endpoint"),
    ("0.0.0.0/8", "an unspecified ('this network') address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a carrier-grade NAT (CGNAT) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "a reserved (IETF protocol assignments) address"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.88.99.0/24", "a reserved (6to4 relay) address"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a reserved (benchmarking) address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("::ffff:0:0/96", "an IPv4-mapped IPv6 address"),
    ("::/96", "an IPv4-compatible IPv6 address"),
    ("64:ff9b::/96", "a NAT64 address"),
    ("64:ff9b:1::/48", "a NAT64 address"),
    ("100::/64", "a discard-only address"),
    ("2001::/32", "a Teredo tunnel address"),
    ("2001:db8::/32", "a documentation address"),
    ("2002::/16", "a 6to4 tunnel address"),
    ("fc00::/7", "a unique local (private IPv6) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)
_BLOCKED = tuple((ipaddress.ip_network(cidr), cidr, why) for cidr, why in _BLOCKED_NETWORKS)
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
_CANONICAL_IPV4 = re.compile(
    r"^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$"
)
_FORBIDDEN_CHARACTERS = re.compile(r"[\s\\\x00-\x1f\x7f]")


class TargetRejectedError(ValueError):
    """The URL or address is not an allowed webhook target; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class VettedTarget:
    """A URL that passed the policy, with the addresses its host resolved to when it was checked."""

    url: str
    host: str
    port: int
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver returns for `host` (IPv4 and IPv6), without scope ids."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise TargetRejectedError(f"host {host} could not be resolved ({error.strerror})") from None
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


def blocked_reason(address: IPAddress) -> str | None:
    """Why `address` is not a public unicast address (e.g. 'a private address (10.0.0.0/8)'), or None."""
    for network, cidr, why in _BLOCKED:
        if address.version == network.version and address in network:
            return f"{why} ({cidr})"
    if not address.is_global:
        return "not a public address"
    return None


class TargetPolicy:
    """Decides whether a webhook URL, and each address its host resolves to, may be contacted.

    `allow_loopback` is for the local runtime only: it additionally permits `http://127.0.0.1:PORT` and
    `http://localhost:PORT` (and nothing else that is not public).
    """

    def __init__(self, *, resolver: Resolver = system_resolver, allow_loopback: bool = False) -> None:
        self._resolver = resolver
        self.allow_loopback = allow_loopback

    def vet_url(self, url: str) -> VettedTarget:
        """Check the URL's form and that every address its host resolves to is allowed."""
        host, port = self.check_form(url)
        return VettedTarget(url=url, host=host, port=port, addresses=tuple(self.vet_host(host, port)))

    def check_form(self, url: str) -> tuple[str, int]:
        """Check scheme, user-info and host syntax without resolving; returns `(host, port)`."""
        if not isinstance(url, str) or not url:
            raise TargetRejectedError("must be a non-empty URL string")
        if len(url) > MAX_URL_LENGTH:
            raise TargetRejectedError(
                f"is {len(url)} characters long; a webhook URL may be at most {MAX_URL_LENGTH}"
            )
        if _FORBIDDEN_CHARACTERS.search(url):
            raise TargetRejectedError("must not contain spaces, backslashes or control characters")
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in ("https", "http"):
            shown = f"{scheme}://" if scheme else "no scheme"
            raise TargetRejectedError(f"must use https:// (got {shown})")
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as error:
            if "IPv4" in str(error) or "IPv6" in str(error):
                raise TargetRejectedError(
                    f"has a host that is not a valid IP address or name ({error}); "
                    "write IPv4 addresses as four decimal numbers, e.g. 203.0.113.10"
                ) from None
            raise TargetRejectedError(f"is not a valid URL ({error})") from None
        if parsed.userinfo:
            raise TargetRejectedError("must not contain a user name or password (the part before '@')")
        if parsed.fragment:
            raise TargetRejectedError("must not contain a fragment (the part after '#')")
        host = parsed.host.rstrip(".").lower()
        if not host:
            raise TargetRejectedError("must include a host name")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        if self._is_allowed_loopback(parsed.scheme, host):
            return host, port
        if parsed.scheme != "https":
            hint = " (plain http is only allowed for 127.0.0.1/localhost in the local runtime)"
            raise TargetRejectedError("must use https://" + (hint if self.allow_loopback else ""))
        _reject_numeric_forms(host)
        return host, port

    def vet_host(self, host: str, port: int) -> list[str]:
        """Resolve `host` and return its addresses if every one is allowed; else raise TargetRejectedError.

        An IP literal is checked as it is. Called again at connection time, so a name that was public at
        registration but now resolves to a private address (DNS rebinding) is refused.
        """
        if self.allow_loopback and host in LOOPBACK_HOSTS:
            candidates = [host] if host == "127.0.0.1" else self._resolve(host, port)
            addresses = [a for a in candidates if _is_loopback(a)]
            if not addresses:
                raise TargetRejectedError(f"host {host} does not resolve to a loopback address")
            return addresses
        literal = _as_ip(host)
        if literal is not None:
            self._check_address(literal, host=None)
            return [str(literal)]
        _reject_numeric_forms(host)
        addresses = list(self._resolve(host, port))
        if not addresses:
            raise TargetRejectedError(f"host {host} did not resolve to any address")
        for address in addresses:
            parsed = _as_ip(address)
            if parsed is None:
                raise TargetRejectedError(f"host {host} resolved to {address!r}, which is not an IP address")
            self._check_address(parsed, host=host)
        return addresses

    def _resolve(self, host: str, port: int) -> Sequence[str]:
        try:
            return self._resolver(host, port)
        except TargetRejectedError:
            raise
        except OSError as error:
            raise TargetRejectedError(f"host {host} could not be resolved ({error})") from None

    def _check_address(self, address: IPAddress, *, host: str | None) -> None:
        reason = blocked_reason(address)
        if reason is not None:
            subject = f"host {host} resolves to {address}, " if host else f"host {address} is "
            raise TargetRejectedError(f"{subject}{reason}; webhooks can only target public addresses")

    def _is_allowed_loopback(self, scheme: str, host: str) -> bool:
        return self.allow_loopback and scheme == "http" and host in LOOPBACK_HOSTS


def _as_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _is_loopback(address: str) -> bool:
    parsed = _as_ip(address)
    return parsed is not None and parsed.is_loopback


def _reject_numeric_forms(host: str) -> None:
    """Refuse integer, octal, hex and short IPv4 forms (`2130706433`, `0177.0.0.1`, `0x7f000001`, `127.1`).

    Resolvers turn these into addresses (inet_aton), so they would slip past a check that only parses
    dotted quads; a real domain's last label is never numeric.
    """
    if _as_ip(host) is not None or ":" in host:
        return
    labels = host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]) and not _CANONICAL_IPV4.match(host):
        raise TargetRejectedError(
            f"host {host} is a non-standard numeric IP form; "
            "write IPv4 addresses as four decimal numbers, e.g. 203.0.113.10"
        )
