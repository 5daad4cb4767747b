"""`python app.py`: the `-c key=value` context options a plain run takes (as the cdk CLI does)."""

from __future__ import annotations

import pytest

from app import parse_context


def test_context_options_parse_like_the_cdk_cli() -> None:
    # GIVEN the options `make synth SYNTH_CONTEXT=...` passes WHEN parsed THEN values keep their '=' signs
    options = ["-c", "env=dev-msk", "--context", 'overrides={"log": {"backend": "msk"}}', "-c", "a=b=c"]
    assert parse_context(options) == {
        "env": "dev-msk",
        "overrides": '{"log": {"backend": "msk"}}',
        "a": "b=c",
    }


def test_no_options_leave_cdk_json_alone() -> None:
    assert parse_context([]) == {}


@pytest.mark.parametrize("option", ["env", "=dev"])
def test_a_malformed_option_exits_with_usage(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_context(["-c", option])
    assert "KEY=VALUE" in capsys.readouterr().err
