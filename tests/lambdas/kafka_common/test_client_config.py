"""`client_config`: plaintext for local brokers, SASL_SSL + OAUTHBEARER with MSK IAM tokens for MSK."""

from __future__ import annotations

import pytest

from lambdas.kafka_common import client_config


def test_plaintext_config_names_only_the_servers_and_the_protocol() -> None:
    assert client_config("localhost:9092", "plaintext") == {
        "bootstrap.servers": "localhost:9092",
        "security.protocol": "PLAINTEXT",
    }


def test_iam_config_signs_tokens_for_the_lambda_region(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the Lambda's region and a token provider that remembers the region it signed for
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    signed: list[str] = []
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    def fake_token(region: str) -> tuple[str, int]:
        signed.append(region)
        return "token", 1_800_000_000_000

    monkeypatch.setattr(MSKAuthTokenProvider, "generate_auth_token", staticmethod(fake_token))
    # WHEN the config is built and librdkafka asks for a token
    config = client_config("b-1.msk:9098", "iam")
    token = config.pop("oauth_cb")("ignored")
    # THEN it is SASL_SSL/OAUTHBEARER and the token's expiry is in seconds
    assert config == {
        "bootstrap.servers": "b-1.msk:9098",
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "OAUTHBEARER",
    }
    assert token == ("token", 1_800_000_000.0)
    assert signed == ["eu-west-1"]


@pytest.mark.parametrize(
    ("servers", "security", "message"),
    [("", "plaintext", "bootstrap servers are empty"), ("h:1", "scram", "must be one of iam, plaintext")],
)
def test_bad_settings_are_refused_with_what_to_fix(servers: str, security: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        client_config(servers, security)


def test_iam_without_a_region_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(ValueError, match="AWS_REGION is not set"):
        client_config("h:1", "iam")
