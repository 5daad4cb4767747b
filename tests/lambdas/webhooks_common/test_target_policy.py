"""The SSRF guard: which webhook URLs may be registered, and which addresses may be connected to."""

from __future__ import annotations

import ipaddress

import pytest

from lambdas.webhooks_common.target_policy import TargetPolicy, TargetRejectedError, blocked_reason

DNS = {
    "hooks.example.com": ["93.184.216.34"],
    "v6.example.com": ["2606:2800:220:1:248:1893:25c8:1946"],
    "internal.example.com": ["10.1.2.3"],
    "half-private.example.com": ["93.184.216.34", "192.168.1.20"],
    "metadata.example.com": ["169.254.169.254"],
    "mapped.example.com": ["::ffff:127.0.0.1"],
    "ula.example.com": ["fd12:3456::1"],
}


def resolver(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise TargetRejectedError(f"host {host} could not be resolved (Name or service not known)")
    return DNS[host]


@pytest.fixture
def policy() -> TargetPolicy:
    return TargetPolicy(resolver=resolver)


# The SSRF table: every one of these must be refused at registration, with a reason a user can act on.
SSRF_TABLE = [
    ("http://169.254.169.254/latest/meta-data/", "must use https://"),
    ("https://169.254.169.254/latest/meta-data/", "cloud instance metadata endpoint"),
    ("https://[fd00:ec2::254]/latest/meta-data/", "cloud instance metadata endpoint"),
    ("http://127.0.0.1/hooks", "must use https://"),
    ("https://127.0.0.1/hooks", "loopback address"),
    ("https://[::1]/hooks", "loopback address"),
    ("https://10.0.0.5/hooks", "private address (10.0.0.0/8)"),
    ("https://172.16.3.4/hooks", "private address (172.16.0.0/12)"),
    ("https://192.168.1.1/hooks", "private address (192.168.0.0/16)"),
    ("https://100.64.0.1/hooks", "carrier-grade NAT"),
    ("https://0.0.0.0/hooks", "unspecified"),
    ("https://169.254.10.10/hooks", "link-local"),
    ("https://224.0.0.1/hooks", "multicast"),
    ("https://240.0.0.1/hooks", "reserved"),
    ("https://[fe80::1]/hooks", "link-local"),
    ("https://[fd12:3456::1]/hooks", "unique local"),
    ("https://[ff02::1]/hooks", "multicast"),
    ("https://[::]/hooks", "unspecified"),
    ("https://[::ffff:127.0.0.1]/hooks", "IPv4-mapped"),
    ("https://[::ffff:a9fe:a9fe]/hooks", "IPv4-mapped"),
    ("https://[2002:7f00:1::]/hooks", "6to4"),
    ("https://[64:ff9b::a00:1]/hooks", "NAT64"),
    ("http://2130706433/hooks", "must use https://"),
    ("https://2130706433/hooks", "non-standard numeric IP form"),
    ("https://0177.0.0.1/hooks", "four decimal numbers"),
    ("https://0x7f000001/hooks", "non-standard numeric IP form"),
    ("https://0x7f.0.0.1/hooks", "non-standard numeric IP form"),
    ("https://127.1/hooks", "non-standard numeric IP form"),
    ("https://internal.example.com/hooks", "resolves to 10.1.2.3, a private address"),
    ("https://half-private.example.com/hooks", "resolves to 192.168.1.20"),
    ("https://metadata.example.com/hooks", "cloud instance metadata endpoint"),
    ("https://mapped.example.com/hooks", "IPv4-mapped"),
    ("https://ula.example.com/hooks", "unique local"),
    ("https://unknown.example.com/hooks", "could not be resolved"),
    ("file:///etc/passwd", "must use https:// (got file://)"),
    ("gopher://hooks.example.com:70/_SSRF", "must use https:// (got gopher://)"),
    ("ftp://hooks.example.com/x", "must use https://"),
    ("hooks.example.com/in", "must use https://"),
    ("https://good.com@127.0.0.1/hooks", "user name or password"),
    ("https://user:secret@hooks.example.com/hooks", "user name or password"),
    ("https://good.com\\@127.0.0.1/hooks", "backslashes"),
    ("https://hooks.example.com/in#frag", "fragment"),
    ("https://hooks.exa mple.com/in", "spaces"),
    ("https:///in", "host"),
    ("", "non-empty URL"),
]


@pytest.mark.parametrize(("url", "reason"), SSRF_TABLE, ids=[u or "empty" for u, _ in SSRF_TABLE])
def test_registration_rejects_non_public_targets_with_a_reason(
    policy: TargetPolicy, url: str, reason: str
) -> None:
    with pytest.raises(TargetRejectedError) as rejected:
        policy.vet_url(url)
    assert reason in str(rejected.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/in",
        "https://hooks.example.com:8443/in?tenant=7",
        "https://HOOKS.example.com./in",
        "https://v6.example.com/in",
        "https://93.184.216.34/in",
        "https://[2606:4700:4700::1111]/in",
    ],
)
def test_registration_accepts_public_https_targets(policy: TargetPolicy, url: str) -> None:
    vetted = policy.vet_url(url)
    assert vetted.addresses
    assert all(blocked_reason(ipaddress.ip_address(a)) is None for a in vetted.addresses)


def test_loopback_is_allowed_only_as_http_127_0_0_1_or_localhost_when_enabled() -> None:
    local = TargetPolicy(resolver=lambda host, port: ["127.0.0.1", "::1"], allow_loopback=True)
    assert local.vet_url("http://127.0.0.1:8080/hooks").addresses == ("127.0.0.1",)
    assert set(local.vet_url("http://localhost:8080/hooks").addresses) == {"127.0.0.1", "::1"}
    for still_refused in (
        "https://[::1]/x",
        "http://10.0.0.1:80/x",
        "http://2130706433/x",
        "http://example.com/x",
    ):
        with pytest.raises(TargetRejectedError):
            local.vet_url(still_refused)
    strict = TargetPolicy(resolver=lambda host, port: ["127.0.0.1"])
    with pytest.raises(TargetRejectedError, match="must use https://"):
        strict.vet_url("http://127.0.0.1:8080/hooks")


def test_a_name_that_now_resolves_privately_is_refused_at_connection_time() -> None:
    # GIVEN a name that was public when registered
    records = {"hooks.example.com": ["93.184.216.34"]}
    policy = TargetPolicy(resolver=lambda host, port: records[host])
    policy.vet_url("https://hooks.example.com/in")
    # WHEN its DNS answer changes to a private address (rebinding)
    records["hooks.example.com"] = ["10.0.0.9"]
    # THEN the connection-time check refuses it
    with pytest.raises(TargetRejectedError, match=r"resolves to 10\.0\.0\.9, a private address"):
        policy.vet_host("hooks.example.com", 443)


def test_resolver_failures_are_plain_rejections() -> None:
    def failing(host: str, port: int) -> list[str]:
        raise OSError("temporary failure in name resolution")

    with pytest.raises(TargetRejectedError, match="could not be resolved"):
        TargetPolicy(resolver=failing).vet_url("https://hooks.example.com/")
