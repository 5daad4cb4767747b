"""docs/contract.md is generated from the schemas and must be current."""

from __future__ import annotations

from events.docgen import DOC_PATH, render


def test_contract_doc_is_up_to_date_with_the_schemas() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render(), "run `python -m events.docgen` to refresh it"


def test_contract_doc_lists_every_field_and_type_rule() -> None:
    text = render()
    for expected in (
        "`order.items[].price`",
        "`product.currency`",
        "| `purchase` | `order` |",
        "`_meta.ingest_id`",
    ):
        assert expected in text
