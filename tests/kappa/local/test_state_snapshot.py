"""What moto holds in memory (webhook tables, the signing key, queued retries) survives a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from kappa.local.aws_endpoint import AwsClients, MotoServer
from kappa.local.state_snapshot import SnapshotScope, StateSnapshot, StateSnapshotError

SCOPE = SnapshotScope(tables=("subs",), queues=("retries",))


def create(aws: AwsClients) -> str:
    aws.dynamodb.create_table(
        TableName="subs",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return aws.sqs.create_queue(QueueName="retries")["QueueUrl"]


def test_restart_restores_items_key_material_and_delayed_messages(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json"
    # GIVEN a first moto with a KMS key (aliased), a secret encrypted under it, an item, a delayed message
    first = MotoServer().start()
    try:
        aws = AwsClients(first.endpoint_url)
        url = create(aws)
        key_id = aws.kms.create_key(Description="signing")["KeyMetadata"]["KeyId"]
        aws.kms.create_alias(AliasName="alias/signing", TargetKeyId=key_id)
        blob = aws.kms.encrypt(KeyId=key_id, Plaintext=b"whsec_secret")["CiphertextBlob"]
        aws.dynamodb.put_item(
            TableName="subs",
            Item={"pk": {"S": "wh_1"}, "B": {"M": {"secret": {"B": blob}, "tags": {"L": [{"BS": [b"x"]}]}}}},
        )
        aws.sqs.send_message(QueueUrl=url, MessageBody='{"due_at": 1}', DelaySeconds=600)
        # WHEN the snapshot is saved and moto restarts empty
        counts = StateSnapshot(path, aws, SCOPE).save()
    finally:
        first.stop()
    assert counts == {"kms_keys": 1, "table:subs": 1, "queue:retries": 1}
    second = MotoServer().start()
    try:
        aws = AwsClients(second.endpoint_url)
        assert aws.kms.list_keys()["Keys"] == []
        snapshot = StateSnapshot(path, aws, SCOPE)
        document = snapshot.load()
        snapshot.restore_keys(document)
        url = create(aws)
        snapshot.restore_data(document, {"retries": url})
        # THEN the alias points at the same key and the stored secret still decrypts
        aliases = {a["AliasName"]: a.get("TargetKeyId") for a in aws.kms.list_aliases()["Aliases"]}
        assert aliases["alias/signing"] == key_id
        item = aws.dynamodb.get_item(TableName="subs", Key={"pk": {"S": "wh_1"}})["Item"]
        assert aws.kms.decrypt(CiphertextBlob=item["B"]["M"]["secret"]["B"])["Plaintext"] == b"whsec_secret"
        assert item["B"]["M"]["tags"]["L"][0]["BS"] == [b"x"]
        # AND the delayed retry is back (without delay: the message carries its own due time)
        messages = aws.sqs.receive_message(QueueUrl=url).get("Messages") or []
        assert [m["Body"] for m in messages] == ['{"due_at": 1}']
    finally:
        second.stop()


def test_corrupt_snapshot_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json"
    path.write_text("{not json")
    with pytest.raises(StateSnapshotError, match="move it away"):
        StateSnapshot(path, None, SCOPE).load()  # type: ignore[arg-type]


def test_moto_server_stop_frees_its_port() -> None:
    from kappa.local.ports import is_listening

    server = MotoServer().start()
    port = server.port
    assert is_listening(port)
    server.stop()
    assert not is_listening(port)
