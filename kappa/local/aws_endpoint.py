"""The AWS stand-in: a moto server on loopback, fake credentials, and boto3 clients pointed at it.

moto keeps every resource in memory (in this process), so each start is a clean account: the runtime
recreates the resources and restores what must survive from the data directory (`state_snapshot`).
"""

from __future__ import annotations

import logging
from typing import Any

import boto3
import botocore.config
import httpx
from moto.server import ThreadedMotoServer

from kappa.local.ports import LOOPBACK, require_free

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT_ID = "123456789012"
"""moto's default account; ARNs built locally must use it to match what moto returns."""

_CLIENT_CONFIG = botocore.config.Config(
    retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=30
)


def fake_credentials(endpoint_url: str, region: str) -> dict[str, str]:
    """Environment variables that send any AWS SDK to the local endpoint with throwaway credentials.

    The empty config/credentials files keep a developer's real profile from leaking in.
    """
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


class MotoServer:
    """moto's threaded server on 127.0.0.1; `stop` also closes the listening socket."""

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._server: ThreadedMotoServer | None = None
        self.port = 0

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> MotoServer:
        port = require_free(self._requested_port, "AWS stand-in (moto)")
        # werkzeug logs every request at INFO; the runtime's own log says what matters.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        # Backends are process-global: a second runtime in the same process must start clean too.
        httpx.post(f"{self.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        wsgi = getattr(server, "_server", None)
        if wsgi is not None:
            wsgi.server_close()


class AwsClients:
    """boto3 clients for the local endpoint, created once (clients are thread-safe, sessions are not)."""

    def __init__(self, endpoint_url: str, region: str = LOCAL_REGION) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._session = boto3.session.Session(
            aws_access_key_id="local",
            aws_secret_access_key="local",
            aws_session_token="local",
            region_name=region,
        )
        self.kinesis: Any = self._client("kinesis")
        self.dynamodb: Any = self._client("dynamodb")
        self.sqs: Any = self._client("sqs")
        self.secretsmanager: Any = self._client("secretsmanager")
        self.kms: Any = self._client("kms")
        self.s3: Any = self._client("s3")
        self.sns: Any = self._client("sns")

    def _client(self, service: str) -> Any:
        return self._session.client(service, endpoint_url=self.endpoint_url, config=_CLIENT_CONFIG)
