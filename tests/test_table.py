"""The Table API over a small literal log: shapes, types, nulls, conversions and display."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import vpcflow

TEXT = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log-status x-tag\n"
    "2 123 eni-a 10.0.0.1 2001:DB8:0:0:0:0:0:1 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK <b>&\"x'</b>\n"
    "2 123 eni-b - - - - - - - 1431280876 1431280934 - NODATA -\n"
    "2 456 eni-a 10.0.0.2 10.0.0.1 22 1024 17 3 99999999999 1439387263000 1439387264 REJECT OK t2\n"
    "3 123 eni-a ::ffff:10.0.0.9 10.0.0.1 -1 0 2147483647 9223372036854775807 0 1 2 ACCEPT OK t2\n"
)
NAMES = ["version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
         "packets", "bytes", "start", "end", "action", "log_status", "x_tag"]
TYPES = ["int32", "string", "string", "address", "address", "int32", "int32", "int32",
         "int64", "int64", "int64", "int64", "string", "string", "string"]
# fmt: off
ROWS = [
    (2, "123", "eni-a", "10.0.0.1", "2001:db8::1", 443, 49152, 6, 10, 840, 1439387263, 1439387264, "ACCEPT", "OK",
     "<b>&\"x'</b>"),
    (2, "123", "eni-b", None, None, None, None, None, None, None, 1431280876, 1431280934, None, "NODATA", None),
    (2, "456", "eni-a", "10.0.0.2", "10.0.0.1", 22, 1024, 17, 3, 99999999999, 1439387263, 1439387264, "REJECT", "OK",
     "t2"),
    (3, "123", "eni-a", "::ffff:10.0.0.9", "10.0.0.1", -1, 0, 2147483647, 9223372036854775807, 0, 1, 2, "ACCEPT",
     "OK", "t2"),
]
# fmt: on
PYDICT = {n: [r[i] for r in ROWS] for i, n in enumerate(NAMES)}
PYLIST = [dict(zip(NAMES, r)) for r in ROWS]

#: ../shared beside the repository (as in conftest.py); VPCFLOW_SHARED overrides.
SAMPLES = Path(os.environ.get("VPCFLOW_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "samples"


@pytest.fixture()
def t() -> vpcflow.Table:
    return vpcflow.parse_text(TEXT, name="lit.log")


def test_shape_and_schema(t):
    assert t.num_rows == 4 == len(t)
    assert t.column_names == NAMES
    assert isinstance(t.schema, vpcflow.Schema)
    assert list(t.schema) == NAMES
    assert list(t.schema.items()) == list(zip(NAMES, TYPES))
    assert dict(t.schema) == dict(zip(NAMES, TYPES))
    assert t.schema == dict(zip(NAMES, TYPES))
    assert len(t.schema) == 15
    assert t.schema["x_tag"] == "string"
    assert "srcaddr" in t and "nope" not in t
    r = repr(t.schema)
    assert "srcaddr: address" in r and "packets: int64" in r


def test_values(t):
    assert t.to_pydict() == PYDICT
    assert t.to_pylist() == PYLIST
    assert t.report.rows == 4 and t.report.ms_fixed == 1 and t.report.header_lines == 1
    assert t.report.lines == 5 and t.report.files == 1


@pytest.mark.parametrize("name", [n for n, ty in zip(NAMES, TYPES) if ty.startswith("int")])
def test_int_columns_are_masked_arrays(t, name):
    arr = t[name]
    typ = t.schema[name]
    assert isinstance(arr, np.ma.MaskedArray)
    assert arr.dtype == np.dtype(typ)
    exp = PYDICT[name]
    assert np.ma.getmaskarray(arr).tolist() == [v is None for v in exp]
    assert arr.tolist() == exp  # masked values become None
    c = t.column(name)
    assert c.type == typ and c.name == name and len(c) == 4
    assert c.null_count == sum(v is None for v in exp)
    assert c.values.dtype == np.dtype(typ)
    assert c.valid.dtype == bool
    assert c.valid.tolist() == [v is not None for v in exp]
    assert [int(x) for x, ok in zip(c.values, c.valid) if ok] == [v for v in exp if v is not None]
    assert c.to_pylist() == exp
    assert not c.is_dictionary
    with pytest.raises(TypeError):
        c.codes
    with pytest.raises(TypeError):
        c.dictionary


def test_int_sums_ignore_nulls(t):
    assert int(t["bytes"].sum()) == 840 + 99999999999 + 0
    assert int(t["srcport"].sum()) == 443 + 22 - 1
    assert t["srcport"].count() == 3


@pytest.mark.parametrize("name", [n for n, ty in zip(NAMES, TYPES) if not ty.startswith("int")])
def test_dictionary_columns(t, name):
    arr = t[name]
    exp = PYDICT[name]
    assert isinstance(arr, np.ndarray) and not isinstance(arr, np.ma.MaskedArray)
    assert arr.dtype == object
    assert arr.tolist() == exp
    assert all(v is None or type(v) is str for v in arr)
    c = t.column(name)
    assert c.is_dictionary
    assert c.type == t.schema[name]
    assert c.codes.dtype == np.int32
    d = c.dictionary
    assert d.dtype == object
    assert len(set(d.tolist())) == len(d) == len({v for v in exp if v is not None})
    assert [None if k < 0 else d[k] for k in c.codes.tolist()] == exp
    assert (c.codes < 0).tolist() == [v is None for v in exp]
    assert c.valid.tolist() == [v is not None for v in exp]
    assert c.null_count == exp.count(None)
    with pytest.raises(TypeError):
        c.values


def test_address_bytes(t):
    a, fam = t.column("srcaddr").address_bytes
    d = t.column("srcaddr").dictionary.tolist()
    got = {d[i]: (bytes(a[i]), int(fam[i])) for i in range(len(d))}
    assert got == {
        "10.0.0.1": (b"\x00" * 10 + b"\xff\xff" + bytes([10, 0, 0, 1]), 4),
        "10.0.0.2": (b"\x00" * 10 + b"\xff\xff" + bytes([10, 0, 0, 2]), 4),
        "::ffff:10.0.0.9": (b"\x00" * 10 + b"\xff\xff" + bytes([10, 0, 0, 9]), 6),
    }
    with pytest.raises(TypeError):
        t.column("action").address_bytes


def test_column_errors(t):
    with pytest.raises(KeyError) as ei:
        t["nope"]
    assert "nope" in str(ei.value) and "srcaddr" in str(ei.value)
    with pytest.raises(KeyError):
        t.column("nope")
    with pytest.raises(KeyError):
        t.select(["version", "nope"])


def test_head_slice_take_select(t):
    assert t.head(2).to_pylist() == PYLIST[:2]
    assert t.head().to_pylist() == PYLIST
    assert t.head(0).to_pylist() == [] and t.head(0).num_rows == 0
    assert t.head(0).column_names == NAMES
    assert t.head(100).num_rows == 4
    assert t.slice(1, 2).to_pylist() == PYLIST[1:3]
    assert t.slice(2).to_pylist() == PYLIST[2:]
    assert t.slice(10, 3).num_rows == 0
    assert t.take([3, 0, 0, 2]).to_pylist() == [PYLIST[3], PYLIST[0], PYLIST[0], PYLIST[2]]
    assert t.take(np.array([1], dtype=np.int32)).to_pylist() == [PYLIST[1]]
    assert t.take([]).num_rows == 0
    with pytest.raises(IndexError):
        t.take([4])
    s = t.select(["x_tag", "bytes", "srcaddr"])
    assert s.column_names == ["x_tag", "bytes", "srcaddr"]
    assert list(s.schema.items()) == [("x_tag", "string"), ("bytes", "int64"), ("srcaddr", "address")]
    assert s.to_pydict() == {k: PYDICT[k] for k in ["x_tag", "bytes", "srcaddr"]}
    # derived tables keep the nulls right
    h = t.take([1, 2])
    assert h.column("srcport").null_count == 1
    assert h.column("srcaddr").null_count == 1
    assert np.ma.getmaskarray(h["packets"]).tolist() == [True, False]
    assert h["srcaddr"].tolist() == [None, "10.0.0.2"]
    # and the source table is untouched
    assert t.to_pydict() == PYDICT


def test_to_arrow(t):
    pa = pytest.importorskip("pyarrow")
    at = t.to_arrow()
    assert isinstance(at, pa.Table)
    assert at.column_names == NAMES
    assert at.num_rows == 4
    assert at.to_pylist() == t.to_pylist() == PYLIST
    assert at.to_pydict() == PYDICT
    types = {f.name: f.type for f in at.schema}
    for name, typ in zip(NAMES, TYPES):
        if typ == "int32":
            assert types[name] == pa.int32(), name
        elif typ == "int64":
            assert types[name] == pa.int64(), name
        else:
            assert types[name] == pa.dictionary(pa.int32(), pa.string()), name
    assert at.column("packets").null_count == 1
    assert at.column("srcaddr").null_count == 1
    assert at.column("x_tag").null_count == 1
    # a dictionary-decoded cast is plain strings
    assert at.column("dstaddr").cast(pa.string()).to_pylist() == PYDICT["dstaddr"]


def test_to_arrow_all_null_and_empty():
    pa = pytest.importorskip("pyarrow")
    t = vpcflow.parse_text("version action srcaddr packets\n- - - -\n- - - -\n")
    at = t.to_arrow()
    assert at.to_pylist() == [{"version": None, "action": None, "srcaddr": None, "packets": None}] * 2
    assert at.column_names == ["version", "srcaddr", "packets", "action"]
    e = vpcflow.parse_text("version action\n")
    ae = e.to_arrow()
    assert ae.num_rows == 0 and ae.column_names == ["version", "action"]
    assert ae.schema.field("version").type == pa.int32()


def test_to_pandas(t):
    pd = pytest.importorskip("pandas")
    df = t.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == NAMES
    assert len(df) == 4
    for name, typ in zip(NAMES, TYPES):
        dt = df[name].dtype
        if typ == "int32":
            assert dt == pd.Int32Dtype(), name
        elif typ == "int64":
            assert dt == pd.Int64Dtype(), name
        else:
            assert isinstance(dt, pd.CategoricalDtype), name
        vals = [None if pd.isna(v) else (int(v) if typ.startswith("int") else v) for v in df[name].tolist()]
        assert vals == PYDICT[name], name
    assert df["packets"].isna().tolist() == [False, True, False, False]
    assert int(df["packets"].max()) == 9223372036854775807 and int(df["packets"].min()) == 3
    assert sorted(df["srcaddr"].cat.categories.tolist()) == ["10.0.0.1", "10.0.0.2", "::ffff:10.0.0.9"]
    # a copy: changing the frame does not change the table
    df.loc[0, "srcport"] = 1
    assert t["srcport"][0] == 443


def test_to_pandas_all_null_and_empty():
    pd = pytest.importorskip("pandas")
    t = vpcflow.parse_text("version action\n- -\n")
    df = t.to_pandas()
    assert df["version"].dtype == pd.Int32Dtype() and df["version"].isna().all()
    assert isinstance(df["action"].dtype, pd.CategoricalDtype) and df["action"].isna().all()
    e = vpcflow.parse_text("version action\n").to_pandas()
    assert list(e.columns) == ["version", "action"] and len(e) == 0


def test_repr(t):
    r = repr(t)
    lines = r.splitlines()
    assert lines[0] == "vpcflow.Table: 4 rows x 15 columns"
    assert lines[1].split() == NAMES
    assert lines[2].split() == TYPES
    assert set(lines[3].replace(" ", "")) == {"-"}
    assert len(lines) == 4 + 4
    assert lines[4].split() == ["2", "123", "eni-a", "10.0.0.1", "2001:db8::1", "443", "49152", "6", "10", "840",
                                "1439387263", "1439387264", "ACCEPT", "OK", "<b>&\"x'</b>"]
    assert lines[5].split() == ["2", "123", "eni-b", "-", "-", "-", "-", "-", "-", "-", "1431280876", "1431280934",
                                "-", "NODATA", "-"]
    assert "9223372036854775807" in lines[7] and "::ffff:10.0.0.9" in lines[7]
    assert str(t) == r


def test_repr_long_table_is_cut():
    t = vpcflow.read_logs(SAMPLES / "nat-gateway-one-connection.log")
    assert t.num_rows == 31
    lines = repr(t).splitlines()
    assert lines[0] == "vpcflow.Table: 31 rows x 18 columns"
    body = lines[4:]
    assert len(body) == 11  # 5 first rows, an ellipsis row, 5 last rows
    assert body[5].strip().startswith("…")
    assert body[0].split()[9] == "737"  # bytes of the first row
    assert body[-1].split()[9] == "2987"  # bytes of the last row
    html = t._repr_html_()
    assert html.count("<tr>") == 1 + 20 + 1  # header, 10 + 10 rows, the ellipsis row
    assert "31 rows" in html


def test_repr_html(t):
    h = t._repr_html_()
    assert h.startswith("<table") and h.endswith("</table>")
    assert "<thead>" in h and "<tbody>" in h
    for n, ty in zip(NAMES, TYPES):
        assert f"<th>{n}<br><small>{ty}</small></th>" in h
    # the string '<b>&"x\'</b>' is escaped, never injected
    assert "<b>" not in h
    assert "&lt;b&gt;&amp;&quot;x&#x27;&lt;/b&gt;" in h
    assert "<td>2001:db8::1</td>" in h
    assert '<td style="text-align:right">9223372036854775807</td>' in h
    assert h.count("<tr>") == 1 + 4
    assert "4 rows" in h


def test_repr_html_escapes_values():
    t = vpcflow.parse_text("1 <i>\n", fields=["version", "action"])
    h = t._repr_html_()
    assert "<i>" not in h and "&lt;i&gt;" in h


def test_report_summary(t):
    r = t.report
    s = r.summary()
    assert isinstance(s, str) and "\n" not in s
    assert s.startswith("1 files, 4 rows, 0 bad lines, 1 ms timestamps fixed")
    assert "MB text" in s and "MB in" in s
    assert r.bytes_in == r.bytes_text == len(TEXT.encode())
    assert r.seconds >= 0 and r.threads >= 1
    bad = vpcflow.parse_text(TEXT + "bogus line\n" * 12, on_error="skip", name="b.log")
    s = bad.report.summary()
    assert "12 bad lines" in s and "4 rows" in s
    full = str(bad.report)
    assert full.splitlines()[0] == s
    assert "b.log:6:" in full
    assert "more bad lines" in full
    assert len(full.splitlines()) == 1 + 10 + 1


def test_report_is_shared_by_derived_tables(t):
    assert t.head(1).report is t.report
    assert t.select(["version"]).report is t.report


def test_table_from_columns_validates():
    c1 = vpcflow.Column("a", "int32", np.array([1, 2], dtype=np.int32))
    c2 = vpcflow.Column("b", "int64", np.array([1], dtype=np.int64))
    with pytest.raises(ValueError):
        vpcflow.Table([c1, c2])
    with pytest.raises(ValueError):
        vpcflow.Table([c1, c1])
    with pytest.raises(ValueError):
        vpcflow.Column("a", "float", np.array([1.0]))
    tt = vpcflow.Table([c1])
    assert tt.num_rows == 2 and tt.to_pydict() == {"a": [1, 2]}
    assert tt.report.rows == 2


@pytest.mark.parametrize("threads", [1, 2])
def test_long_takes_gather_in_c_with_numpy_rules(threads):
    """A take of 2^16 rows or more runs in the C core: the same rows as NumPy's, negative
    indices counted from the end as NumPy does, an index out of range an IndexError."""
    rng = np.random.default_rng(5)
    n = 300_000
    t = vpcflow.Table([
        vpcflow.Column("i64", "int64", rng.integers(-2**62, 2**62, n), rng.random(n) < 0.9),
        vpcflow.Column("u16", "uint16", rng.integers(0, 2**16, n).astype(np.uint16)),
        vpcflow.Column("f64", "float64", rng.normal(size=n)),
        vpcflow.Column("b", "bool", rng.random(n) < 0.5),
    ])
    idx = rng.integers(0, n, 100_000)
    for picks in (idx, np.sort(idx), idx - n):  # random, ascending, negative
        got = t.take(picks, threads=threads)
        for c in t.columns:
            g = got.column(c.name)
            assert g.values.dtype == c.values.dtype
            assert np.array_equal(g.values, c.values[picks])
            assert np.array_equal(g.valid, c.valid[picks])
    with pytest.raises(IndexError):
        t.take(np.append(idx, n), threads=threads)
    assert vpcflow._core.take(np.arange(5), [4, 0]).tolist() == [4, 0]
    with pytest.raises(IndexError, match="index -1 at position 1 is out of range for 5 rows"):
        vpcflow._core.take(np.arange(5), [4, -1])


def test_summarize_says_why_it_needs_a_parsed_table(tmp_path, samples_dir):
    """summarize() reports bad lines, which only a parse has: other tables get a TypeError saying so
    (it was an AttributeError on `bad_lines`, found by the type check)."""
    from vpcflow.summary import summarize

    t = vpcflow.read_logs(samples_dir / "aws-docs-v2.log")
    assert "records, 0 bad lines" in summarize(t)
    vpcflow.write_parquet(t, tmp_path / "t.parquet")
    with pytest.raises(TypeError, match="not parsed from logs: its report is a ParquetReadReport"):
        summarize(vpcflow.read_parquet(tmp_path / "t.parquet"))
