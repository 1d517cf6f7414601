"""The ``cltv-xl`` command line.

* ``cltv-xl report INPUT -o OUTPUT [options]`` - the offline Excel report (the main job);
* ``cltv-xl demo [-o DIR]`` - a sample transactions workbook from the bundled CDNOW data and its
  report;
* ``cltv-xl addin build [--out DIR]``, ``cltv-xl addin install`` - the desktop Excel add-in;
* ``cltv-xl lite`` - the files to paste into xlwings Lite.

Exit codes (:data:`EXIT_CODES`): 0 success; 1 bad input (an unreadable or hostile file, a
missing column, a bad option value, a broken template, an output that cannot be written or
is open in Excel, not enough memory); 2 usage error; 3 the report was written, but with gaps
(a model or the churn rate could not be estimated: the Dashboard and the Model sheet say
why); 4 an internal error (a bug: please report it with the ``--debug`` traceback); 130
interrupted (Ctrl-C); 143 terminated (SIGTERM). In every failure nothing is left behind: the
temporary file is removed. Errors are one line, ``cltv-xl: error: ...``, whatever the
exception; ``--debug`` shows the traceback. A progress bar is drawn on stderr when it is a
terminal and ``--quiet`` is not given.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from . import __version__
from .errors import CltvError, CltvWarning

PROG = "cltv-xl"

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_GAPS = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM

#: Exit code -> meaning (the README's exit-code paragraph and docs/report.md list the same).
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_INPUT: "bad input: unreadable or hostile file, missing column, bad option, broken "
                "template, output not writable or open in Excel, not enough memory",
    EXIT_USAGE: "usage error",
    EXIT_GAPS: "report written with gaps: a model or the churn rate could not be estimated",
    EXIT_INTERNAL: "internal error (a bug; rerun with --debug and report the traceback)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); nothing was written",
    EXIT_TERMINATED: "terminated (SIGTERM); nothing was written",
}


class Terminated(BaseException):
    """Raised in the main thread by the SIGTERM handler, so that ``finally`` blocks (the
    removal of a temporary output file) run before the process exits with 143."""

#: Steps reported by ``build_report`` in order (the progress bar's scale).
STEPS = (
    "reading transactions",
    "summarising customers",
    "computing KPIs",
    "fitting the purchase and spend models",
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
        self.step = ""

    def __call__(self, step: str) -> None:
        self.step = step
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
    for opt, what in (("--quantity-col", "quantity"), ("--price-col", "unit price"),
                      ("--order-col", "order/invoice id")):
        src.add_argument(opt, metavar="COL", help=f"{what} column (header, letter or number); "
                         "line items: amount = quantity x unit price")
    order = src.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", action="store_const", const=True, default=None,
                       help="read text dates like 03/04/2024 as day/month/year "
                       "(default: inferred from the column)")
    order.add_argument("--monthfirst", dest="dayfirst", action="store_const", const=False,
                       help="read text dates like 03/04/2024 as month/day/year")
    src.add_argument("--as-of", metavar="DATE", help="end of the observation window "
                     "(YYYY-MM-DD; default: the last order date); later rows are rejected")
    a = p.add_argument_group("assumptions (written to the Assumptions sheet; defaults and "
                             "ranges: cltv_xl.Assumptions)")
    a.add_argument("--cac", metavar="X",
                   help="customer acquisition cost per customer, in currency (default 0)")
    a.add_argument("--margin", metavar="M",
                   help="gross margin as a fraction, e.g. 0.3 (default 1 = revenue)")
    a.add_argument("--discount-rate", metavar="D",
                   help="discount rate per month for predicted CLV (default 0.01 = 1%%)")
    a.add_argument("--horizon", metavar="N",
                   help="CLV horizon in model time units (default: 52 weeks)")
    a.add_argument("--time-unit", metavar="UNIT",
                   help="model time unit: days, weeks (default) or months")
    a.add_argument("--kpi-period", metavar="UNIT",
                   help="period of ARPU, churn rate and lifetime: days, weeks or months "
                   "(default)")
    a.add_argument("--inactivity", metavar="N",
                   help="churn window in KPI periods: no purchase for longer = churned "
                   "(default 3)")
    a.add_argument("--holdout-start", metavar="DATE",
                   help="also fit the purchase model up to this date and track the rest "
                   "(Model sheet); with --model auto the models are compared on it")
    a.add_argument("--model", metavar="MODEL",
                   help="purchase model: auto (default: compare BG/NBD, MBG/NBD and "
                   "Pareto/NBD, keep the best by holdout error or BIC), bgnbd, mbgnbd, "
                   "paretonbd, or none (historical KPIs only)")
    a.add_argument("--currency", metavar="CODE",
                   help="currency code shown beside money figures, e.g. USD (default: none)")
    a.add_argument("--palive-guard", metavar="P",
                   help="segments: customers with P(alive) below P are never Champions or "
                   "Loyal (default 0.5)")
    a.add_argument("--business", metavar="KIND",
                   help="subscription (fit the sBG retention model: Retention sheet), "
                   "transactional, or auto (default: detected from regular monthly payments)")
    o = p.add_argument_group("output")
    o.add_argument("--template", metavar="PATH", help="a restyled report template (.xlsx)")
    o.add_argument("--json", metavar="SUMMARY.json",
                   help="also write a JSON summary ('-' for stdout)")
    o.add_argument("--no-transactions", action="store_true",
                   help="leave the Transactions sheet empty (very large inputs)")
    e = p.add_argument_group("engine (big CSV/Parquet logs; docs/scale.md)")
    e.add_argument("--engine", choices=("auto", "pandas", "duckdb", "spark"), default="auto",
                   help="auto (default): DuckDB for a CSV or Parquet file of 64 MiB or more, "
                        "pandas otherwise")
    e.add_argument("--spark-master", metavar="URL",
                   help="Spark master or sc:// URL (default $CLTV_XL_SPARK_MASTER, local[*])")
    e.add_argument("--customers-parquet", metavar="PATH",
                   help="engine runs: every customer's scores (default: "
                        "OUTPUT-customers.parquet beside the report)")


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
    demo.add_argument("--subscription", action="store_true",
                      help="a sample SaaS business's monthly invoices instead (Retention sheet)")
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


def assumptions_from_args(args: argparse.Namespace):
    """The command line's options parsed into :class:`cltv_xl.Assumptions` (one validation:
    a bad value is a one-line error naming the option's field and the allowed range)."""
    from .assumptions import Assumptions

    fields = ("cac", "margin", "discount_rate", "horizon", "time_unit", "kpi_period",
              "inactivity", "as_of", "holdout_start", "currency", "palive_guard", "model",
              "business")
    labels = {f: "option --" + f.replace("_", "-") for f in fields}
    return Assumptions.from_strings(
        labels, cac=args.cac, margin=args.margin, discount_rate=args.discount_rate,
        horizon=args.horizon, time_unit=args.time_unit, kpi_period=args.kpi_period,
        inactivity=args.inactivity, as_of=args.as_of, holdout_start=args.holdout_start,
        currency=args.currency, palive_guard=args.palive_guard, model=args.model,
        business=getattr(args, "business", None),
    )


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "not estimated"
    return f"{value:,.{digits}f}"


def _pct(value: Any) -> str:
    return "not estimated" if value is None else f"{value:.1%}"


def summary_lines(report: Any, output: Path) -> list[str]:
    """What the terminal shows after a report: where it is, the row counts, the headline
    (a KPI the report could not estimate reads "not estimated")."""
    from .timeunits import UNIT_NAMES

    c, k, a = report.counts, report.kpis, report.assumptions
    m = report.models
    if a.model == "none":
        model_line = "Model: none (--model none): historical KPIs and tables only"
    elif m.get("chosen"):
        model_line = f"Model: {m['reason']}"
    else:
        model_line = f"Model: not estimated: {m.get('reason', '')}"
    if k["ltv_cac"] is not None:
        ratio = f"{k['ltv_cac']:.2f}x"
    else:
        ratio = "n/a (CAC is 0)" if a.cac == 0 else "not estimated"
    read_as = report.read_as() if hasattr(report, "read_as") else ""
    return [
        f"Report written: {output}",
        *([read_as] if read_as else []),
        f"Rows: {c['read']:,} read, {c['used']:,} used, {c['rejected']:,} rejected, "
        f"{c['blank']:,} blank, {c['doubtful']:,} doubtful (details: Data issues sheet)",
        f"Customers {k['customers']:,} | revenue {_fmt(k['revenue'], 0)} | ARPU "
        f"{_fmt(k['arpu'])} per {UNIT_NAMES[a.kpi_period][:-1]} | churn "
        f"{_pct(k['churn_rate'])} | lifetime {_fmt(k['lifetime'], 1)}"
        f"{'' if k['lifetime'] is None else ' ' + UNIT_NAMES[a.kpi_period]}",
        f"CLTV {_fmt(k['cltv'])} | LTV:CAC {ratio} | predicted CLV next {a.horizon:g} "
        f"{UNIT_NAMES[a.time_unit]}: {_fmt(k['predicted_clv'], 0)} | likely alive "
        f"{_pct(k['share_alive'])}",
        model_line,
        *_retention_lines(report),
    ]


def _retention_lines(report: Any) -> list[str]:
    """Issue 14: the subscription line (sBG figures of the Retention sheet), if any."""
    cells = getattr(report, "retention_cells", {}) or {}
    fitted = cells.get("SUB_FITTED")
    if fitted is None or fitted.startswith("No"):
        return []
    if fitted != "Yes":
        return [f"Subscription: retention model (sBG) {fitted}"]
    life = cells["SUB_LIFETIME_SBG"]
    life = life if isinstance(life, str) else f"{life:,.1f} months"
    return [f"Subscription (Retention sheet): sBG alpha {cells['SUB_ALPHA']:.3f}, beta "
            f"{cells['SUB_BETA']:.3f} | lifetime {life} (1 / churn: "
            f"{cells['SUB_LIFETIME_CLASSIC']:,.1f}) | DERL-based CLV "
            f"{cells['SUB_CLV_SBG']:,.2f} (one churn rate: {cells['SUB_CLV_CLASSIC']:,.2f})"]


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .loading.ahead import start_check, stop_pending

    with _imports_settled():
        # The workbook's pre-flight checks run in a child process while the libraries
        # import; once pandas is in, fastexcel reads the sheet in a thread while SciPy and
        # openpyxl import.
        start_check(args.input)
        _defer_unused_modules()
        if args.engine in (None, "auto", "pandas"):
            from .loading.api import read_ahead

            read_ahead(args.input, sheet=args.sheet, customer_col=args.customer_col,
                       date_col=args.date_col, amount_col=args.amount_col,
                       **{k: v for k in ("quantity_col", "price_col", "order_col")
                          if (v := getattr(args, k)) is not None})
        from .report import build_report
        from .report.model import NOT_ASKED

    progress = args.progress = Progress(err, not args.quiet)
    to_stdout = args.json == "-"
    try:
        report = build_report(
            args.input, args.output, template=args.template, sheet=args.sheet,
            customer_col=args.customer_col, date_col=args.date_col, amount_col=args.amount_col,
            dayfirst=args.dayfirst, json_path=out if to_stdout else args.json,
            include_transactions=not args.no_transactions, progress=progress,
            **{k: v for k in ("quantity_col", "price_col", "order_col")
               if (v := getattr(args, k)) is not None},
            assumptions=assumptions_from_args(args), engine=args.engine,
            spark_master=args.spark_master, customers_parquet=args.customers_parquet,
        )
    finally:
        progress.close()
        stop_pending()
    # Warnings come before "Report written" (they are about this report), each once.
    caught = getattr(args, "caught_warnings", None)
    if caught is not None:
        _print_warnings(caught, err, args)
        caught.clear()
    # --model none leaves the predictions out on purpose: not a gap (exit 0, no warning).
    gaps = {what: why for what, why in report.gap_messages().items() if why != NOT_ASKED}
    for what, why in gaps.items() if not args.quiet else ():  # before "Report written"
        print(f"{PROG}: warning: report written with gaps: {what} not estimated: {why}",
              file=err)
    for line in report.data_quality_lines() if not args.quiet else ():  # loud data loss
        print(f"{PROG}: warning: {line}" if not line.startswith(" ") else line, file=err)
    if not args.quiet:
        info = err if to_stdout else out  # stdout carries the JSON
        for line in summary_lines(report, Path(args.output).resolve()):
            print(line, file=info)
        if args.json and not to_stdout:
            print(f"JSON summary: {Path(args.json).resolve()}", file=info)
    return EXIT_GAPS if gaps else EXIT_OK


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .report import build_report
    from .report.demo import SUBSCRIPTION_DEMO, write_demo_orders, write_subscription_invoices

    folder = Path(args.out).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    if args.subscription:  # issue 14: a SaaS business's monthly invoices
        orders, as_of = write_subscription_invoices(folder / "invoices.xlsx")
        options = {**SUBSCRIPTION_DEMO, "as_of": as_of}
    else:
        orders = write_demo_orders(folder / "orders.xlsx")
        # CDNOW is in US dollars
        options = {"cac": 20.0, "margin": 0.3, "currency": "USD"}
    progress = Progress(err, not args.quiet)
    try:
        report = build_report(orders, folder / "cltv-report.xlsx", **options,
                              json_path=folder / "cltv-summary.json", progress=progress)
    finally:
        progress.close()
    if not args.quiet:
        print(f"Sample {'invoices' if args.subscription else 'orders'}: {orders.resolve()}",
              file=out)
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


def _print_warnings(caught: list[warnings.WarningMessage], err: TextIO, args: argparse.Namespace,
                    ) -> None:
    """cltv-xl's own warnings (:class:`~cltv_xl.errors.CltvWarning`) once each, as
    ``cltv-xl: warning: ...``; other libraries' warnings go to the debug log (``--debug``)."""
    for w in caught:
        if not issubclass(w.category, CltvWarning):
            _debug(args, err, f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})")
    if getattr(args, "quiet", False):
        return
    ours = [w for w in caught if issubclass(w.category, CltvWarning)]
    for message in dict.fromkeys(str(w.message) for w in ours):
        print(f"{PROG}: warning: {message}", file=err)


def _while_reading(exc: BaseException) -> bool:
    """True when the exception was raised inside the loader (:mod:`cltv_xl.loading`): the
    input file cannot be read, whatever the library that failed (fastexcel, pyarrow, zip)."""
    folder = str(Path(__file__).parent / "loading")
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith(folder):
            return True
        tb = tb.tb_next
    return False


def error_message(exc: BaseException, step: str = "", source: str | None = None) -> tuple[str, int]:
    """The one-line message and exit code for any exception that reaches the command line."""
    text = " ".join(str(exc).split()) if str(exc).strip() else ""
    if isinstance(exc, MemoryError):
        detail = f" ({text})" if text else ""
        where = f"reading {source}" if _while_reading(exc) and source else step or "running"
        return (f"out of memory while {where}{detail}; the input or the options "
                "(horizon, time unit) need more memory than this machine has", EXIT_INPUT)
    if isinstance(exc, CltvError):
        return text or type(exc).__name__, EXIT_INPUT
    if isinstance(exc, OSError):
        if exc.filename:
            return f"{exc.strerror or text}: {exc.filename}", EXIT_INPUT
        return text or type(exc).__name__, EXIT_INPUT
    kind = type(exc).__name__
    detail = f"{kind}: {text}" if text else kind
    if len(detail) > 300:
        detail = detail[:297] + "..."
    if _while_reading(exc):
        where = f"{source}: " if source else ""
        return f"{where}cannot read the file ({detail})", EXIT_INPUT
    if isinstance(exc, ValueError):
        return text or kind, EXIT_INPUT
    return (f"internal error while {step or 'running'} ({detail}); rerun with --debug and "
            "report the traceback", EXIT_INTERNAL)


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the command line; return the exit code (:data:`EXIT_CODES`).

    Every exception becomes one line ``cltv-xl: error: ...`` (``--debug`` re-raises it with
    its traceback). SIGTERM raises :class:`Terminated` in the main thread, so the temporary
    output file is removed before the exit with 143."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help/--version exit 0
        return int(exc.code or 0)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            args.caught_warnings = caught
            code = COMMANDS[args.command](args, out, err)
        _print_warnings(caught, err, args)
        return code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was written", file=err)
        return EXIT_INTERRUPTED
    except Terminated:
        print(f"{PROG}: terminated; nothing was written", file=err)
        return EXIT_TERMINATED
    except Exception as exc:  # the last resort: one line, never a traceback
        if getattr(args, "debug", False):
            raise
        step = getattr(getattr(args, "progress", None), "step", "")
        message, code = error_message(exc, step, getattr(args, "input", None))
        print(f"{PROG}: error: {message}", file=err)
        return code
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


#: True in the ``cltv-xl`` program (:func:`run`), whose process ends with the command.
_PROGRAM = False


@contextlib.contextmanager
def _imports_settled() -> Iterator[None]:
    """In the ``cltv-xl`` program: no cyclic garbage collection while the block imports the
    libraries, then every object made so far moved to the collector's permanent generation
    (``gc.freeze``) and collection back on.

    pandas, SciPy and openpyxl leave about 140,000 long-lived objects behind. The collector's
    young passes during their import free nothing, and each full pass later in the report
    walked all of them again: 0.17 s of a 200k-row report went to collection, 0.016 s with
    this. What the freeze keeps for good is the garbage of the imports themselves (about 400
    objects, the same at 200k and 1M rows). Called as a library (``cli.main``), nothing
    changes: that process goes on, and its collector's generations are its own business."""
    import gc

    pause = _PROGRAM and gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause:
            gc.freeze()
            gc.enable()


#: Modules a report never uses, which importing SciPy loads anyway (see below).
_UNUSED_MODULES = ("numpy.f2py", "numpy.testing", "scipy.spatial")


def _defer_unused_modules() -> None:
    """In the ``cltv-xl`` program: NumPy's ``f2py`` and ``testing`` and SciPy's ``spatial``
    registered as lazy modules (:class:`importlib.util.LazyLoader`, the standard library's
    recipe), so that each is executed only if something uses one of its names.

    * SciPy 1.17 copies NumPy's namespace for its array-API layer
      (``scipy._lib.array_api_compat.numpy``): it takes every public name of ``numpy``,
      submodules included, and NumPy imports a submodule on first access. So importing
      ``scipy.special`` ran the Fortran wrapper generator f2py and the test helpers: 60 ms to
      100 ms (``python -X importtime``).
    * ``scipy.optimize`` imports ``scipy.spatial`` (30 modules, about 20 ms) for its global
      optimiser ``shgo``, which a report never calls.

    As lazy modules they are bound but not run; if anything does use them, they load then, as
    before. Called as a library (``cli.main``), nothing changes: the process's modules are the
    caller's."""
    if not _PROGRAM:
        return
    import importlib
    import importlib.util

    for full in _UNUSED_MODULES:
        if full in sys.modules:
            continue
        parent, _, name = full.rpartition(".")
        try:
            package = importlib.import_module(parent)
            spec = importlib.util.find_spec(full)
            if spec is None or spec.loader is None:
                continue
            spec.loader = importlib.util.LazyLoader(spec.loader)
            module = importlib.util.module_from_spec(spec)
            sys.modules[full] = module
            spec.loader.exec_module(module)
        except Exception:  # an unusual NumPy or SciPy: leave it be
            sys.modules.pop(full, None)
            continue
        setattr(package, name, module)  # as an import would: no package __getattr__ asked


def run() -> NoReturn:
    """The ``cltv-xl`` program: :func:`main`, then exit without tearing the interpreter down.

    Once the command is done, Python's own shutdown frees every module and object one by one:
    0.2 s after a 200k-row report, 0.3 s after a 1M-row one (``python bench/bench_report.py
    exit SIZE``). Everything the command wrote is closed by then (the report is renamed into
    place before :func:`main` returns), so this flushes stdout and stderr, runs the ``atexit``
    handlers (logging, leftover pre-flight children) and leaves with ``os._exit``. When a
    flush fails (a closed pipe), the ordinary exit reports it."""
    global _PROGRAM
    _PROGRAM = True
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(code) from None
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":
    run()
