"""Output paths (issue 12 items 7 and 11, issue 13 item 6b): ``--json -``, special files,
symbolic links, ``-o`` equal to the template, temporary files on SIGTERM or after a kill, and
warnings printed before "Report written"."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cltv_xl import cli
from cltv_xl.report.demo import write_demo_orders
from cltv_xl.safety import atomic_write, remove_stale_temps

ROOT = Path(__file__).resolve().parents[1]


def run(*argv: str, same_stream: bool = False) -> tuple[int, str, str]:
    out = io.StringIO()
    err = out if same_stream else io.StringIO()
    code = cli.main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def orders(tmp_path_factory) -> Path:
    return write_demo_orders(tmp_path_factory.mktemp("orders") / "orders.xlsx")


def test_json_dash_writes_the_summary_to_stdout(orders, tmp_path):
    code, out, err = run("report", str(orders), "-o", str(tmp_path / "r.xlsx"), "--json", "-")
    assert code == 0, err
    data = json.loads(out)  # stdout is the JSON and nothing else
    assert data["rows"]["read"] > 0
    assert "Report written" in err
    assert not (tmp_path / "-").exists() and not Path("-").exists()


def test_json_to_a_device_is_written_in_place(orders, tmp_path):
    code, _out, err = run("report", str(orders), "-o", str(tmp_path / "r.xlsx"),
                          "--json", "/dev/null", "--quiet")
    assert code == 0, err
    assert Path("/dev/null").is_char_device()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_json_to_dev_full_is_an_error_and_dev_full_stays_a_device(orders, tmp_path):
    code, _out, err = run("report", str(orders), "-o", str(tmp_path / "r.xlsx"),
                          "--json", "/dev/full")
    assert code == cli.EXIT_INPUT
    assert err.startswith("cltv-xl: error: ") and "No space left" in err
    assert Path("/dev/full").is_char_device()


def test_json_to_a_fifo_is_written_in_place(orders, tmp_path):
    fifo = tmp_path / "summary.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    code, _out, err = run("report", str(orders), "-o", str(tmp_path / "r.xlsx"),
                          "--json", str(fifo), "--quiet")
    reader.join(60)
    assert code == 0, err
    assert json.loads(got[0])["rows"]["read"] > 0
    assert fifo.is_fifo()


def test_json_to_a_symlink_keeps_the_link(orders, tmp_path):
    target = tmp_path / "real.json"
    target.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    code, _out, err = run("report", str(orders), "-o", str(tmp_path / "r.xlsx"),
                          "--json", str(link), "--quiet")
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["rows"]["read"] > 0


def test_report_to_a_symlink_keeps_the_link(orders, tmp_path):
    target = tmp_path / "real.xlsx"
    target.write_bytes(b"old")
    link = tmp_path / "link.xlsx"
    link.symlink_to(target)
    code, _out, err = run("report", str(orders), "-o", str(link), "--quiet")
    assert code == 0, err
    assert link.is_symlink() and target.read_bytes()[:2] == b"PK"


def test_report_to_a_device_is_refused(orders, tmp_path):
    dev = tmp_path / "null.xlsx"
    dev.symlink_to("/dev/null")
    code, _out, err = run("report", str(orders), "-o", str(dev))
    assert code == cli.EXIT_INPUT and "not a regular file" in err
    assert Path("/dev/null").is_char_device()


def test_output_equal_to_the_template_is_refused(orders, tmp_path):
    from cltv_xl.report.template import default_template

    template = tmp_path / "my-template.xlsx"
    template.write_bytes(default_template().read_bytes())
    before = template.read_bytes()
    code, _out, err = run("report", str(orders), "-o", str(template), "--template",
                          str(template))
    assert code == cli.EXIT_INPUT and "over its template" in err
    assert template.read_bytes() == before
    code, _out, err = run("report", str(orders), "-o", str(tmp_path / "r.xlsx"),
                          "--template", str(template), "--json", str(template))
    assert code == cli.EXIT_INPUT and "its own file name" in err
    assert template.read_bytes() == before


def test_stale_temp_files_of_a_killed_run_are_removed_and_nothing_else(tmp_path):
    dest = tmp_path / "report.xlsx"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".report.cltv-xl-{dead}-abc123.xlsx.tmp"
    alive = tmp_path / f".report.cltv-xl-{os.getppid()}-abc123.xlsx.tmp"
    other = tmp_path / f".other.cltv-xl-{dead}-abc123.xlsx.tmp"
    mine = tmp_path / ".report-abc123.xlsx.tmp"  # not our tag: never touched
    for p in (stale, alive, other, mine):
        p.write_bytes(b"x")
    atomic_write(dest, lambda tmp: tmp.write_bytes(b"new"))
    assert dest.read_bytes() == b"new"
    assert not stale.exists()
    assert alive.exists() and other.exists() and mine.exists()
    assert remove_stale_temps(dest) == []


SLOW_WRITER = """
import sys, time
import cltv_xl.report.xlsx_writer as w
def slow(src, dest, pending, cached, *rest):
    dest.write_bytes(b"partial")
    print("writing", flush=True)
    time.sleep(60)
w._assemble = slow
from cltv_xl import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def test_sigterm_removes_the_temp_file_and_exits_143(orders, tmp_path):
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"old")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, "report", str(orders), "-o",
                             str(out), "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "writing"
        assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read()
    assert code == 143, err
    assert "terminated" in err and "Traceback" not in err
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_warnings_come_before_report_written(orders, tmp_path, monkeypatch):
    import warnings

    from cltv_xl import pipeline
    from cltv_xl.errors import CltvWarning

    real = pipeline.run

    def warn_then_run(*a, **k):
        warnings.warn("the holdout model did not converge", CltvWarning, stacklevel=1)
        return real(*a, **k)

    monkeypatch.setattr(pipeline, "run", warn_then_run)
    code, text, _ = run("report", str(orders), "-o", str(tmp_path / "r.xlsx"),
                        "--holdout-start", "1998-01-01", same_stream=True)
    assert code == 0
    assert text.index("warning: the holdout model") < text.index("Report written")
    assert text.count("the holdout model did not converge") == 1

