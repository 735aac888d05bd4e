"""Rules of the line parser that sit between headers, data and nulls."""
from __future__ import annotations

import pytest

import vpcflow


def test_a_valid_record_that_looks_like_a_header_is_data():
    # "x version" is name-shaped and names a known field, but it is a valid
    # record under the active header: it must be kept as data, not taken as a header
    t = vpcflow.parse_text(b"interface-id action\nx version\n")
    assert t.to_pylist() == [{"interface_id": "x", "action": "version"}]
    assert t.report.header_lines == 1 and t.report.bad_lines == 0


def test_a_header_that_is_not_a_valid_record_switches_fields():
    t = vpcflow.parse_text(b"version srcport\n2 443\ninterface-id action\neni-1 ACCEPT\n")
    assert t.to_pydict() == {
        "version": [2, None],
        "srcport": [443, None],
        "interface_id": [None, "eni-1"],
        "action": [None, "ACCEPT"],
    }
    assert t.report.header_lines == 2


def test_repeated_identical_header_is_skipped_even_if_it_would_parse():
    t = vpcflow.parse_text(b"interface-id action\neni-1 ACCEPT\ninterface-id action\neni-2 REJECT\n")
    assert t["interface_id"].tolist() == ["eni-1", "eni-2"]
    assert t.report.header_lines == 2


def test_header_shaped_line_with_a_repeated_name_is_a_bad_line_saying_why():
    t = vpcflow.parse_text(b"version srcport\n2 443\nversion version\n", on_error="skip")
    assert t.num_rows == 1 and t.report.bad_lines == 1
    assert "appears twice" in t.report.bad_records[0].message


@pytest.mark.parametrize("data", [b"", b"\n\n"])
def test_empty_input_has_the_columns_of_fields(data):
    t = vpcflow.parse_text(data, fields="${version} ${srcport} ${srcaddr}")
    assert t.num_rows == 0
    assert dict(t.schema) == {"version": "int32", "srcport": "int32", "srcaddr": "address"}


def test_empty_input_without_fields_has_the_v2_default_columns():
    t = vpcflow.parse_text(b"")
    assert t.column_names == [n.replace("-", "_") for n in vpcflow.DEFAULT_FIELDS]


@pytest.mark.parametrize("value,why", [
    ("99999999999999999999", "integer out of range"),
    ("9223372036854775808", "integer out of range"),
    ("12x", "invalid integer"),
    ("-", None),
])
def test_int64_errors_say_whether_syntax_or_size(value, why):
    text = f"version packets\n2 {value}\n".encode()
    if why is None:
        assert vpcflow.parse_text(text)["packets"].mask.tolist() == [True]
        return
    with pytest.raises(vpcflow.ParseError, match=why) as ei:
        vpcflow.parse_text(text, name="p.log")
    assert (ei.value.file, ei.value.line, ei.value.field) == ("p.log", 2, "packets")
