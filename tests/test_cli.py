"""The command line: vpcflow demo / head / summary, and python -m vpcflow."""
from __future__ import annotations

import subprocess
import sys

import pytest

import vpcflow
from vpcflow.cli import main

pytestmark = pytest.mark.no_asan  # starts other processes, or slow under ASan


def test_head_prints_the_first_rows_of_a_sample(samples_dir, capsys):
    assert main(["head", str(samples_dir / "aws-docs-v2.log"), "-n", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "vpcflow.Table: 3 rows x 14 columns"
    assert out[1].split()[:4] == ["version", "account_id", "interface_id", "srcaddr"]
    assert "172.31.16.139" in out[4] and "20641" in out[4] and "ACCEPT" in out[4]
    assert "NODATA" in out[6] and len(out) == 7


def test_head_of_a_directory_reads_only_what_it_needs(tmp_path, capsys):
    info = vpcflow.synth.write_sample(tmp_path, records=3000, seed=5)
    assert main(["head", str(tmp_path), "-n", "4"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("vpcflow.Table: 4 rows x ")
    first = vpcflow.read_logs(sorted(info.paths)[0]).head(4)
    assert first["srcport"][0] is not None and str(first["interface_id"][0]) in out[4]


def test_summary_reports_bad_lines_with_skip(samples_dir, capsys):
    path = samples_dir / "flowlogs-reader-v5-alphabetical-with-bogus-line.log"
    assert main(["summary", str(path), "--on-error", "skip"]) == 0
    out = capsys.readouterr().out
    assert "2 records, 1 bad lines" in out
    assert f"{path}:4: expected 29 fields, found 2" in out
    assert "top 5 talkers by bytes sent:" in out and "198.51.100.7" in out


def test_summary_error_exits_1_naming_file_and_line(samples_dir, capsys):
    path = samples_dir / "flowlogs-reader-v5-alphabetical-with-bogus-line.log"
    assert main(["summary", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vpcflow: error: ") and f"{path}:4:" in err and "bogus line" in err


def test_missing_path_exits_1(tmp_path, capsys):
    assert main(["head", str(tmp_path / "nope")]) == 1
    assert "no such file or directory" in capsys.readouterr().err


def test_demo_generates_reads_and_summarises(tmp_path, capsys):
    assert main(["demo", "--records", "20000", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "wrote 20,000 flow-log records" in out
    assert "20,000 records, 0 bad lines" in out
    assert "top 5 rejected destination ports (flows):" in out
    t = vpcflow.read_logs(tmp_path / "logs")
    assert t.num_rows == 20000
    # the converted dataset holds the same records
    flows = vpcflow.read_parquet(tmp_path / "flows")
    assert flows.num_rows == 20000
    assert int(flows.column("bytes").values.sum()) == int(t.column("bytes").values.sum())
    # the top talker printed is the true top talker
    from vpcflow.summary import top_by
    addr, total = top_by(t, "srcaddr", "bytes", n=1)[0]
    assert f"{addr}" in out and f"{total:,}" in out


def test_python_dash_m(samples_dir):
    r = subprocess.run([sys.executable, "-m", "vpcflow", "head", str(samples_dir / "aws-docs-v5.log"), "-n", "1"],
                       capture_output=True, text=True, check=True)
    assert "52.95.128.179" in r.stdout and r.stdout.startswith("vpcflow.Table: 1 rows")


def test_version(capsys):
    with pytest.raises(SystemExit) as ei:
        main(["--version"])
    assert ei.value.code == 0
    assert capsys.readouterr().out.strip() == f"vpcflow {vpcflow.__version__}"


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`vpcflow query ... | head -1`: the reader leaves early; no traceback, no error line, status 141."""
    vpcflow.synth.write_sample(tmp_path, records=20000, seed=3)
    p = subprocess.Popen([sys.executable, "-m", "vpcflow", "query", str(tmp_path), "fields srcaddr, dstaddr, bytes",
                          "--format", "csv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    assert p.stdout.readline().decode().strip() == "srcaddr,dstaddr,bytes"
    p.stdout.close()  # 20,000 rows are far more than a pipe holds: the writer meets the closed pipe
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 141 and err == ""
