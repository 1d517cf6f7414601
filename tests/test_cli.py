"""The ``cltv-xl`` command line: report, demo, addin, lite; exit codes and messages."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from cltv_xl import cli
from cltv_xl.report.demo import write_demo_orders


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def orders(tmp_path_factory) -> Path:
    return write_demo_orders(tmp_path_factory.mktemp("orders") / "orders.xlsx")


def _cell(wb, name):
    sheet, coord = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][coord.replace("$", "")]


def test_report_with_json_and_counts_agree(orders, tmp_path):
    out = tmp_path / "cltv-report.xlsx"
    js = tmp_path / "summary.json"
    code, stdout, stderr = run("report", str(orders), "-o", str(out), "--json", str(js),
                               "--cac", "40", "--margin", "0.3", "--horizon", "26",
                               "--holdout-start", "1997-10-01")
    assert code == 0, stderr
    assert stderr == ""  # not a terminal: no progress bar
    data = json.loads(js.read_text())
    rows = data["rows"]
    assert (f"Rows: {rows['read']:,} read, {rows['used']:,} used, {rows['rejected']:,} rejected, "
            f"{rows['blank']:,} blank, {rows['doubtful']:,} doubtful") in stdout
    assert data["assumptions"] == {"cac": 40.0, "margin": 0.3, "discount_rate": 0.01,
                                   "horizon": 26.0, "inactivity": 3.0, "time_unit": "W",
                                   "kpi_period": "M", "holdout_start": "1997-10-01",
                                   "currency": "", "discount_unit": "M", "horizon_unit": "W",
                                   "as_of": None, "model": "auto",
                                   "palive_guard": 0.5, "business": "auto"}
    wb = openpyxl.load_workbook(out, data_only=True)
    assert _cell(wb, "KPI_CLTV").value == pytest.approx(data["kpis"]["cltv"], rel=1e-12)
    assert _cell(wb, "COUNT_REJECTED").value == rows["rejected"] == sum(
        i["rows"] for i in data["issues_by_reason"] if i["severity"] == "rejected")
    assert _cell(wb, "ASSUME_HORIZON").value == 26


def test_units_and_defaults(orders, tmp_path):
    js = tmp_path / "s.json"
    code, _, err = run("report", str(orders), "-o", str(tmp_path / "r.xlsx"), "--json", str(js),
                       "--time-unit", "months", "--kpi-period", "weeks", "--no-transactions",
                       "--quiet")
    assert code == 0, err
    data = json.loads(js.read_text())
    assert data["models"]["time_unit"] == "M"
    assert data["assumptions"]["horizon"] == pytest.approx(52 * 7 / (365.25 / 12))
    assert data["assumptions"]["kpi_period"] == "W"


def test_usage_error_exit_2(capsys):
    assert cli.main(["report"]) == 2
    assert "usage:" in capsys.readouterr().err
    assert cli.main(["frobnicate"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.xlsx"], "missing.xlsx"),
        (["ORDERS", "--time-unit", "fortnights"], "--time-unit"),
        (["ORDERS", "--margin", "2"], "margin"),
        (["ORDERS", "--sheet", "Nope"], "Nope"),
    ],
)
def test_bad_input_exit_1_one_line(orders, tmp_path, args, message):
    args = [str(orders) if a == "ORDERS" else a for a in args]
    if args[0] == "missing.xlsx":
        args[0] = str(tmp_path / "missing.xlsx")
    code, _out, err = run("report", *args, "-o", str(tmp_path / "r.xlsx"))
    assert code == 1
    assert err.startswith("cltv-xl: error: ") and err.count("\n") == 1
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "r.xlsx").exists()


def test_refuses_to_overwrite_input(orders):
    code, _, err = run("report", str(orders), "-o", str(orders))
    assert code == 1 and "over its input" in err


def test_lock_file_stops(orders, tmp_path):
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"old")
    (tmp_path / "~$report.xlsx").write_bytes(b"")
    code, _, err = run("report", str(orders), "-o", str(out))
    assert code == 1 and "open in Excel" in err
    assert out.read_bytes() == b"old"


def test_failed_write_leaves_old_file(orders, tmp_path, monkeypatch):
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"old")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("cltv_xl.report.xlsx_writer._assemble", boom)
    code, _, err = run("report", str(orders), "-o", str(out))
    assert code == 1 and "No space left" in err
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_debug_shows_traceback(tmp_path):
    with pytest.raises(Exception, match="missing"):
        cli.main(["report", str(tmp_path / "missing.xlsx"), "-o", str(tmp_path / "r.xlsx"),
                  "--debug"])


def test_demo(tmp_path):
    code, out, err = run("demo", "-o", str(tmp_path / "demo"))
    assert code == 0, err
    for name in ("orders.xlsx", "cltv-report.xlsx", "cltv-summary.json"):
        assert (tmp_path / "demo" / name).exists()
        assert name in out
    data = json.loads((tmp_path / "demo" / "cltv-summary.json").read_text())
    assert data["rows"]["rejected"] == 3
    reasons = {i["reason"] for i in data["issues_by_reason"]}
    assert any("total" in r for r in reasons) and any("refund" in r for r in reasons)


def test_lite_prints_files(monkeypatch):
    monkeypatch.setattr("cltv_xl.lite.lite_files",
                        lambda: {"main.py": "print(1)\n", "requirements.txt": "cltv-xl\n"})
    code, out, _ = run("lite")
    assert code == 0
    assert "# ---- main.py ----\nprint(1)" in out and "# ---- requirements.txt ----" in out


def test_addin_commands_call_the_addin_module(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr("cltv_xl.addin.build_addin",
                        lambda out: calls.append(out) or out / "cltv_xl.xlam")
    monkeypatch.setattr("cltv_xl.addin.install_addin", lambda: "Copied to X")
    code, out, _ = run("addin", "build", "--out", str(tmp_path))
    assert code == 0 and calls == [tmp_path] and "cltv_xl.xlam" in out
    code, out, _ = run("addin", "install")
    assert code == 0 and "Copied to X" in out


def test_console_script_entry_point(orders, tmp_path):
    done = subprocess.run([sys.executable, "-m", "cltv_xl.cli", "--version"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and "cltv-xl" in done.stdout


def test_the_program_flushes_its_output_and_runs_exit_handlers(orders, tmp_path):
    """``cltv-xl`` (``cli.run``) leaves with ``os._exit``: the JSON on a pipe is whole, the exit
    code is the command's, and ``atexit`` handlers still run."""
    done = subprocess.run(
        [sys.executable, "-m", "cltv_xl.cli", "report", str(orders), "-o",
         str(tmp_path / "r.xlsx"), "--json", "-", "--quiet"],
        capture_output=True, text=True, check=False)
    assert done.returncode in (cli.EXIT_OK, cli.EXIT_GAPS), done.stderr
    assert json.loads(done.stdout)["rows"]["used"] > 6000
    assert (tmp_path / "r.xlsx").is_file()
    script = ("import atexit, sys; from cltv_xl.cli import run; "
              "atexit.register(lambda: print('handler ran', file=sys.stderr)); run()")
    bad = subprocess.run([sys.executable, "-c", script, "report", str(tmp_path / "nope.xlsx"),
                          "-o", str(tmp_path / "x.xlsx")], capture_output=True, text=True,
                         check=False)
    assert bad.returncode == cli.EXIT_INPUT
    assert bad.stderr.splitlines() == [f"cltv-xl: error: {tmp_path / 'nope.xlsx'}: file not found",
                                       "handler ran"]


def test_the_program_freezes_the_imports_for_the_collector(orders, tmp_path, monkeypatch):
    """As the program (``cli.run``), ``report`` imports with the cyclic collector paused, then
    freezes what is alive into its permanent generation and turns it back on; called as a
    library, the collector is left as it was."""
    import gc

    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    code = cli.main(["report", str(orders), "-o", str(tmp_path / "lib.xlsx"), "--quiet"])
    assert code in (cli.EXIT_OK, cli.EXIT_GAPS)
    assert gc.isenabled() and gc.get_freeze_count() == frozen  # library: untouched
    monkeypatch.setattr(cli, "_PROGRAM", True)
    try:
        code = cli.main(["report", str(orders), "-o", str(tmp_path / "prog.xlsx"), "--quiet"])
        assert code in (cli.EXIT_OK, cli.EXIT_GAPS)
        assert gc.isenabled() and gc.get_freeze_count() > frozen
        with pytest.raises(ImportError), cli._imports_settled():  # a failed import too
            assert not gc.isenabled()
            raise ImportError("no such library")
        assert gc.isenabled()
    finally:
        gc.unfreeze()  # hand this test process's objects back to the collector


#: Run as the program, then report which NumPy submodules were executed and whether the test
#: helpers still work when something does use them.
_LAZY_PROBE = r"""
import json, sys
from cltv_xl import cli
cli._PROGRAM = True
code = cli.main(sys.argv[1:])
kinds = {n: type(sys.modules.get(n)).__name__ for n in cli._UNUSED_MODULES}
import numpy
numpy.testing.assert_allclose([1.0], [1.0])  # used after all: it loads then
import scipy.spatial
assert scipy.spatial.distance.euclidean([0, 0], [3, 4]) == 5.0
print(json.dumps({"code": code, "kinds": kinds,
                  "after": type(sys.modules["numpy.testing"]).__name__}))
"""


def test_the_program_defers_modules_a_report_never_uses(orders, tmp_path):
    """SciPy's import touches every NumPy submodule, and scipy.optimize imports scipy.spatial;
    as the program, NumPy's f2py and test helpers and SciPy's spatial stay lazy modules through
    a whole report (nothing runs them), and still work when used."""
    done = subprocess.run([sys.executable, "-c", _LAZY_PROBE, "report", str(orders), "-o",
                           str(tmp_path / "r.xlsx"), "--quiet"],
                          capture_output=True, text=True, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["code"] in (cli.EXIT_OK, cli.EXIT_GAPS), done.stderr
    assert out["kinds"] == dict.fromkeys(cli._UNUSED_MODULES, "_LazyModule")
    assert out["after"] == "module"
    # Called as a library, nothing is made lazy (the probe without _PROGRAM): each module is
    # loaded as usual, or not at all where this SciPy does not import it (older SciPy does
    # not copy NumPy's namespace).
    lib = subprocess.run([sys.executable, "-c", _LAZY_PROBE.replace("cli._PROGRAM = True", ""),
                          "report", str(orders), "-o", str(tmp_path / "s.xlsx"), "--quiet"],
                         capture_output=True, text=True, check=True)
    kinds = json.loads(lib.stdout.strip().splitlines()[-1])["kinds"]
    assert set(kinds.values()) <= {"module", "NoneType"}, kinds


def test_the_checks_start_before_numpy_is_imported():
    """``cltv-xl report`` starts the pre-flight child before it imports anything heavy: the
    module that starts it does not load NumPy, and the limits are the same objects through the
    old import path."""
    probe = ("import sys; import cltv_xl.loading.ahead; "
             "print('numpy' in sys.modules, 'pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["False", "False"]
    from cltv_xl.loading import limits, preflight

    for name in ("CHECKED_SUFFIXES", "Limits", "Preflight", "limits_in_effect", "set_limits",
                 "use_limits"):
        assert getattr(preflight, name) is getattr(limits, name), name
