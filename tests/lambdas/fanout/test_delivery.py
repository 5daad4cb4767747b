"""`WebhookSender`: timeouts, no redirects, capped bodies, Retry-After, and the SSRF check at send time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from lambdas.fanout.delivery import MAX_RESPONSE_BYTES, WebhookSender, parse_retry_after
from lambdas.webhooks_common.target_policy import TargetPolicy, TargetRejectedError
from tests.lambdas.fanout.receivers import Answer, Receiver
from tests.lambdas.webhooks_common.test_target_policy import SSRF_TABLE

Receivers = Callable[[], Receiver]
HEADERS = {"content-type": "application/json", "webhook-id": "msg_1"}


@pytest.fixture
def sender() -> Iterator[WebhookSender]:
    built = WebhookSender(TargetPolicy(allow_loopback=True), connect_timeout=1.0, read_timeout=0.4)
    yield built
    built.close()


def test_a_2xx_answer_is_reported_with_its_status_and_latency(
    sender: WebhookSender, receiver: Receivers
) -> None:
    endpoint = receiver().script(Answer(status=204, body=b""))
    result = sender.send(endpoint.url, HEADERS, b'{"a": 1}')
    assert result.status_code == 204
    assert result.error_kind is None
    assert result.latency_ms > 0
    assert endpoint.requests[0].body == b'{"a": 1}'
    assert endpoint.requests[0].headers["webhook-id"] == "msg_1"


def test_an_endpoint_that_hangs_times_out(sender: WebhookSender, receiver: Receivers) -> None:
    endpoint = receiver().script(Answer(hang=True))
    result = sender.send(endpoint.url, HEADERS, b"{}")
    assert result.error_kind == "timeout"
    assert result.status_code is None
    assert 350 <= result.latency_ms < 2000


def test_an_endpoint_that_drips_its_answer_is_cut_off_at_the_total_budget(
    sender: WebhookSender, receiver: Receivers
) -> None:
    # Each byte arrives well within the 0.4 s read timeout, but the whole answer would take ~6 s.
    endpoint = receiver().script(Answer(status=200, drip_seconds=0.1))
    result = sender.send(endpoint.url, HEADERS, b"{}")
    assert result.error_kind == "timeout"
    assert result.latency_ms < 2500  # connect (1.0) + read (0.4) budget, plus scheduling slack


def test_a_body_that_drips_after_the_status_still_counts_as_answered(receiver: Receivers) -> None:
    endpoint = receiver().script(Answer(status=200, body=b"z" * 100, drip_seconds=0.01))
    patient = WebhookSender(TargetPolicy(allow_loopback=True), connect_timeout=0.5, read_timeout=0.5)
    try:
        result = patient.send(endpoint.url, HEADERS, b"{}")
    finally:
        patient.close()
    assert result.status_code == 200
    assert result.body_truncated


def test_a_redirect_is_returned_not_followed(sender: WebhookSender, receiver: Receivers) -> None:
    target = receiver()
    endpoint = receiver().script(Answer(status=302, headers={"location": target.url}))
    result = sender.send(endpoint.url, HEADERS, b"{}")
    assert result.status_code == 302
    assert target.requests == []


def test_a_huge_body_is_read_only_up_to_the_cap(sender: WebhookSender, receiver: Receivers) -> None:
    endpoint = receiver().script(Answer(status=200, body=b"y" * (16 * 1024 * 1024)))
    result = sender.send(endpoint.url, HEADERS, b"{}")
    assert result.status_code == 200
    assert result.body_truncated
    assert result.body_bytes_read == MAX_RESPONSE_BYTES
    assert result.body_excerpt.startswith("yyyy")
    assert len(result.body_excerpt) == 512


def test_a_refused_connection_is_a_connect_error(sender: WebhookSender, receiver: Receivers) -> None:
    endpoint = receiver()
    url = endpoint.url
    endpoint.stop()
    result = sender.send(url, HEADERS, b"{}")
    assert result.error_kind == "connect"


def test_retry_after_is_read_from_seconds_or_a_date(sender: WebhookSender, receiver: Receivers) -> None:
    endpoint = receiver().script(Answer(status=429, headers={"retry-after": "120"}))
    assert sender.send(endpoint.url, HEADERS, b"{}").retry_after_seconds == 120
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 25 Nov 2026 12:05:00 GMT", now=now) == 300
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(("url", "reason"), SSRF_TABLE, ids=[u or "empty" for u, _ in SSRF_TABLE])
def test_every_ssrf_target_is_refused_at_send_time_too(url: str, reason: str) -> None:
    # A subscription could have been stored before a policy change, or written around the API.
    strict = WebhookSender(TargetPolicy(resolver=_dns), connect_timeout=0.5, read_timeout=0.5)
    try:
        result = strict.send(url, HEADERS, b"{}")
    finally:
        strict.close()
    assert result.error_kind == "rejected"
    assert result.status_code is None


def test_dns_that_changed_to_a_private_address_is_refused_before_connecting(receiver: Receivers) -> None:
    # GIVEN a receiver listening on loopback and a name that resolved publicly at registration
    endpoint = receiver()
    port = endpoint.url.split(":")[2].split("/")[0]
    records = {"hooks.example.com": ["93.184.216.34"]}
    policy = TargetPolicy(resolver=lambda host, p: records[host])
    policy.vet_url(f"https://hooks.example.com:{port}/hooks")
    # WHEN the name now points at 127.0.0.1 (DNS rebinding)
    records["hooks.example.com"] = ["127.0.0.1"]
    strict = WebhookSender(policy, connect_timeout=0.5, read_timeout=0.5)
    try:
        result = strict.send(f"https://hooks.example.com:{port}/hooks", HEADERS, b"{}")
    finally:
        strict.close()
    # THEN nothing is sent to the loopback listener
    assert result.error_kind == "rejected"
    assert "127.0.0.1" in (result.error or "")
    assert endpoint.requests == []


def _dns(host: str, port: int) -> list[str]:
    answers = {
        "internal.example.com": ["10.1.2.3"],
        "half-private.example.com": ["93.184.216.34", "192.168.1.20"],
        "metadata.example.com": ["169.254.169.254"],
        "mapped.example.com": ["::ffff:127.0.0.1"],
        "ula.example.com": ["fd12:3456::1"],
        "hooks.example.com": ["127.0.0.1"],
    }
    if host not in answers:
        raise TargetRejectedError(f"host {host} could not be resolved")
    return answers[host]
