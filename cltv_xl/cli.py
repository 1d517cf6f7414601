"""The ``cltv-xl`` command line.

* ``cltv-xl report INPUT -o OUTPUT [options]`` - the offline Excel report (the main job);
* ``cltv-xl demo [-o DIR]`` - a sample transactions workbook from the bundled CDNOW data and its
  report;
* ``cltv-xl addin build [--out DIR]``, ``cltv-xl addin install`` - the desktop Excel add-in;
* ``cltv-xl lite`` - the files to paste into xlwings Lite.

Exit codes: 0 success, 1 bad input (unreadable file, missing column, a model that cannot be
fitted, a broken template, an output open in Excel), 2 usage error. Errors are one line,
``cltv-xl: error: ...``; ``--debug`` shows the traceback. A progress bar is drawn on stderr
when it is a terminal and ``--quiet`` is not given.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .errors import CltvError, CltvWarning

PROG = "cltv-xl"

#: Steps reported by ``build_report`` in order (the progress bar's scale).
STEPS = (
    "reading transactions",
    "summarising customers",
    "computing KPIs",
    "fitting BG/NBD and Gamma-Gamma",
    "segments and cohorts",
    "writing the workbook",
)


class Progress:
    """A one-line progress bar on a terminal; silent when the stream is not a TTY."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled and bool(getattr(stream, "isatty", lambda: False)())
        self.start = time.perf_counter()
        self.done = 0

    def __call__(self, step: str) -> None:
        if not self.enabled:
            return
        self.done = STEPS.index(step) if step in STEPS else self.done
        width = 24
        filled = int(width * self.done / len(STEPS))
        bar = "#" * filled + "-" * (width - filled)
        elapsed = time.perf_counter() - self.start
        self.stream.write(f"\r[{bar}] {step:<34} {elapsed:5.1f}s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 72 + "\r")
            self.stream.flush()


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    return value


def _add_report_options(p: argparse.ArgumentParser) -> None:
    src = p.add_argument_group("input")
    src.add_argument("--sheet", metavar="NAME",
                     help="sheet name (default: the first sheet with a header row holding "
                     "customer id, date and amount columns)")
    src.add_argument("--customer-col", metavar="COL",
                     help="customer id column: header text, letter (C) or 1-based number")
    src.add_argument("--date-col", metavar="COL",
                     help="order date column (header, letter or number)")
    src.add_argument("--amount-col", metavar="COL",
                     help="amount column (header, letter or number)")
    src.add_argument("--dayfirst", action="store_true",
                     help="read text dates like 03/04/2024 as day/month/year")
    src.add_argument("--as-of", metavar="DATE", help="end of the observation window "
                     "(YYYY-MM-DD; default: the last order date); later rows are rejected")
    a = p.add_argument_group("assumptions (written to the Assumptions sheet)")
    a.add_argument("--cac", type=_number, metavar="X", default=0.0,
                   help="customer acquisition cost per customer, in currency (default 0)")
    a.add_argument("--margin", type=_number, metavar="M", default=1.0,
                   help="gross margin as a fraction, e.g. 0.3 (default 1 = revenue)")
    a.add_argument("--discount-rate", type=_number, metavar="D", default=0.01,
                   help="discount rate per month for predicted CLV (default 0.01 = 1%%)")
    a.add_argument("--horizon", type=_number, metavar="N", default=None,
                   help="CLV horizon in model time units (default: one year, 52 weeks)")
    a.add_argument("--time-unit", default="weeks", metavar="UNIT",
                   help="model time unit: days, weeks (default) or months")
    a.add_argument("--kpi-period", default="months", metavar="UNIT",
                   help="period of ARPU, churn rate and lifetime: days, weeks or months "
                   "(default)")
    a.add_argument("--inactivity", type=_number, metavar="N", default=3.0,
                   help="churn window in KPI periods: no purchase for longer = churned "
                   "(default 3)")
    a.add_argument("--holdout-start", metavar="DATE",
                   help="fit a second BG/NBD up to this date and track the rest (Model sheet)")
    o = p.add_argument_group("output")
    o.add_argument("--template", metavar="PATH", help="a restyled report template (.xlsx)")
    o.add_argument("--json", metavar="SUMMARY.json", help="also write a JSON summary")
    o.add_argument("--no-transactions", action="store_true",
                   help="leave the Transactions sheet empty (very large inputs)")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")


def parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    top = argparse.ArgumentParser(
        prog=PROG,
        description="Customer lifetime value (CLTV) reports for Excel users.",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)

    rep = sub.add_parser("report", help="build the Excel CLTV report from a transaction sheet",
                         description="Build the Excel CLTV report from a transaction sheet "
                         "(.xlsx, .xlsm or .csv with customer id, order date and amount).")
    rep.add_argument("input", metavar="INPUT", help="transactions (.xlsx, .xlsm, .csv)")
    rep.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                     help="report workbook to write (.xlsx)")
    _add_report_options(rep)
    _common(rep)

    demo = sub.add_parser("demo", help="write a sample orders workbook (CDNOW) and its report")
    demo.add_argument("-o", "--out", "--output", dest="out", default="cltv-demo", metavar="DIR",
                      help="folder to write into (default: cltv-demo)")
    _common(demo)

    addin = sub.add_parser("addin", help="the desktop Excel add-in (CLTV ribbon tab)")
    addin_sub = addin.add_subparsers(dest="addin_command", metavar="ACTION", required=True)
    build = addin_sub.add_parser("build", help="build cltv_xl.xlam")
    build.add_argument("--out", default=".", metavar="DIR", help="folder (default: here)")
    _common(build)
    install = addin_sub.add_parser("install", help="install cltv_xl.xlam into Excel")
    _common(install)

    lite = sub.add_parser("lite", help="print main.py and requirements.txt for xlwings Lite")
    _common(lite)
    return top


def _unit(text: str, name: str) -> str:
    from .errors import InputError
    from .timeunits import check_unit

    try:
        return check_unit(text, name)
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def _assumptions(args: argparse.Namespace) -> dict[str, Any]:
    from .timeunits import convert

    unit = _unit(args.time_unit, "--time-unit")
    horizon = args.horizon if args.horizon is not None else float(convert(52.0, "W", unit))
    return {
        "cac": args.cac,
        "margin": args.margin,
        "discount_rate": args.discount_rate,
        "horizon": horizon,
        "time_unit": unit,
        "kpi_period": _unit(args.kpi_period, "--kpi-period"),
        "inactivity": args.inactivity,
        "holdout_start": args.holdout_start,
    }


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def summary_lines(report: Any, output: Path) -> list[str]:
    """What the terminal shows after a report: where it is, the row counts, the headline."""
    from .timeunits import UNIT_NAMES

    c, k, a = report.counts, report.kpis, report.assumptions
    ratio = "n/a (CAC is 0)" if k["ltv_cac"] is None else f"{k['ltv_cac']:.2f}x"
    return [
        f"Report written: {output}",
        f"Rows: {c['read']:,} read, {c['used']:,} used, {c['rejected']:,} rejected, "
        f"{c['blank']:,} blank, {c['doubtful']:,} doubtful (details: Data issues sheet)",
        f"Customers {k['customers']:,} | revenue {_fmt(k['revenue'], 0)} | ARPU "
        f"{_fmt(k['arpu'])} per {UNIT_NAMES[a.kpi_period][:-1]} | churn "
        f"{k['churn_rate']:.1%} | lifetime {_fmt(k['lifetime'], 1)} {UNIT_NAMES[a.kpi_period]}",
        f"CLTV {_fmt(k['cltv'])} | LTV:CAC {ratio} | predicted CLV next {a.horizon:g} "
        f"{UNIT_NAMES[a.time_unit]}: {_fmt(k['predicted_clv'], 0)} | likely alive "
        f"{k['share_alive']:.1%}",
    ]


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .report import build_report

    progress = Progress(err, not args.quiet)
    try:
        report = build_report(
            args.input, args.output, template=args.template, sheet=args.sheet,
            customer_col=args.customer_col, date_col=args.date_col, amount_col=args.amount_col,
            dayfirst=args.dayfirst, as_of=args.as_of, json_path=args.json,
            include_transactions=not args.no_transactions, progress=progress,
            **_assumptions(args),
        )
    finally:
        progress.close()
    if not args.quiet:
        for line in summary_lines(report, Path(args.output).resolve()):
            print(line, file=out)
        if args.json:
            print(f"JSON summary: {Path(args.json).resolve()}", file=out)
    return 0


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .report import build_report
    from .report.demo import write_demo_orders

    folder = Path(args.out).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    orders = write_demo_orders(folder / "orders.xlsx")
    progress = Progress(err, not args.quiet)
    try:
        report = build_report(orders, folder / "cltv-report.xlsx", cac=20.0, margin=0.3,
                              json_path=folder / "cltv-summary.json", progress=progress)
    finally:
        progress.close()
    if not args.quiet:
        print(f"Sample orders:  {orders.resolve()}", file=out)
        for line in summary_lines(report, (folder / "cltv-report.xlsx").resolve()):
            print(line, file=out)
        print(f"JSON summary:   {(folder / 'cltv-summary.json').resolve()}", file=out)
        print("Open the report in Excel or LibreOffice; try another CAC on the Assumptions "
              "sheet.", file=out)
    return 0


def cmd_addin(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import addin

    if args.addin_command == "build":
        path = addin.build_addin(Path(args.out))
        if not args.quiet:
            print(f"Add-in written: {Path(path).resolve()}", file=out)
    else:
        message = addin.install_addin()
        if not args.quiet:
            print(message, file=out)
    return 0


def cmd_lite(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .lite import lite_files

    for name, content in lite_files().items():
        print(f"# ---- {name} ----", file=out)
        print(content.rstrip("\n"), file=out)
        print(file=out)
    return 0


def _debug(args: argparse.Namespace, err: TextIO, message: str) -> None:
    """Log to the ``cltv_xl`` debug log; ``--debug`` also prints it."""
    logging.getLogger("cltv_xl").debug(message)
    if getattr(args, "debug", False):
        print(f"{PROG}: debug: {message}", file=err)


COMMANDS = {"report": cmd_report, "demo": cmd_demo, "addin": cmd_addin, "lite": cmd_lite}


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 bad input, 2 usage)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help/--version exit 0
        return int(exc.code or 0)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = COMMANDS[args.command](args, out, err)
        ours = [w for w in caught if issubclass(w.category, CltvWarning)]
        for w in caught:  # other libraries' warnings: debug log only (shown with --debug)
            if not issubclass(w.category, CltvWarning):
                _debug(args, err, f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})")
        if not getattr(args, "quiet", False):
            for message in dict.fromkeys(str(w.message) for w in ours):
                print(f"{PROG}: warning: {message}", file=err)
        return code
    except (CltvError, ValueError, OSError) as exc:
        if getattr(args, "debug", False):
            raise
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, OSError) and exc.filename:
            message = f"{exc.strerror or message}: {exc.filename}"
        print(f"{PROG}: error: {message}", file=err)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was written", file=err)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
