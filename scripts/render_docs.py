"""Render the docs pictures: pages of the demo report (LibreOffice -> PDF -> PNG) and the
cltv_xl.plotting figures.

Usage: ``python scripts/render_docs.py`` from the repository root (needs LibreOffice,
pdftoppm and matplotlib). Writes docs/dashboard.png,
docs/customers.png, docs/segments.png, docs/model-holdout.png, docs/glossary.png,
docs/retention.png, docs/retailer-dashboard.png, docs/retailer-data-issues.png (the
retailer-style sample) and
docs/plots/*.png. ``python scripts/render_docs.py retailer`` renders the retailer pages only.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from lo import convert  # noqa: E402  (tests/lo.py: LibreOffice with forced recalculation)

from cltv_xl.report import build_report  # noqa: E402
from cltv_xl.report.demo import write_demo_orders  # noqa: E402

DPI = 80


def _pages(pdf: Path) -> list[str]:
    """The first lines of text of every page."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    n = int(next(line.split()[-1] for line in info.stdout.splitlines()
                 if line.startswith("Pages:")))
    heads = []
    for i in range(1, n + 1):
        text = subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        heads.append(text.strip()[:80])
    return heads


def _png(pdf: Path, page: int, out: Path) -> None:
    stem = out.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", str(page), "-l", str(page),
                    "-singlefile", str(pdf), str(stem)], check=True)
    print(out)


def report_pages(folder: Path) -> None:
    orders = write_demo_orders(folder / "orders.xlsx")
    plain = build_report(orders, folder / "report.xlsx", cac=20.0, margin=0.3, currency="USD")
    del plain
    build_report(orders, folder / "holdout.xlsx", cac=20.0, margin=0.3, currency="USD",
                 holdout_start="1997-10-01")
    pdf = convert(folder / "report.xlsx", "pdf", folder)
    heads = _pages(pdf)
    first = {h.split("\n")[0]: i + 1 for i, h in reversed(list(enumerate(heads)))}
    _png(pdf, 1, DOCS / "dashboard.png")
    for title, name in (("Customers", "customers"), ("Segments", "segments"),
                        ("Glossary", "glossary")):
        _png(pdf, first[title], DOCS / f"{name}.png")
    pdf = convert(folder / "holdout.xlsx", "pdf", folder)
    heads = _pages(pdf)
    model = next(i + 1 for i, h in enumerate(heads) if h.startswith("Model"))
    _png(pdf, model, DOCS / "model-holdout.png")
    # Issue 14: the Retention sheet of the sample subscription business (cltv-xl demo
    # --subscription).
    from cltv_xl.report.demo import SUBSCRIPTION_DEMO, write_subscription_invoices

    invoices, as_of = write_subscription_invoices(folder / "invoices.xlsx")
    build_report(invoices, folder / "subscription.xlsx", **SUBSCRIPTION_DEMO, as_of=as_of)
    pdf = convert(folder / "subscription.xlsx", "pdf", folder)
    heads = _pages(pdf)
    page = next(i + 1 for i, h in enumerate(heads) if h.startswith("Retention"))
    _png(pdf, page, DOCS / "retention.png")


def retailer_pages(folder: Path) -> None:
    """The retailer-style sample (cltv_xl.report.retail: invoice lines, "C" cancellations, a
    quarter of the rows without a customer id): its Dashboard and the first Data issues page."""
    from cltv_xl.report.retail import write_retail_csv

    orders = write_retail_csv(folder / "online_retail.csv")
    build_report(orders, folder / "retail.xlsx", cac=20.0, margin=0.3, currency="GBP",
                 include_transactions=False)
    pdf = convert(folder / "retail.xlsx", "pdf", folder)
    heads = _pages(pdf)
    _png(pdf, 1, DOCS / "retailer-dashboard.png")
    issues = next(i + 1 for i, h in enumerate(heads) if h.startswith("Data issues"))
    _png(pdf, issues, DOCS / "retailer-data-issues.png")


def plots() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cltv_xl import plotting
    from cltv_xl.datasets import load_cdnow
    from cltv_xl.models import BGNBD, tracking
    from cltv_xl.summary import rfm_summary

    tx = load_cdnow()[["customer_id", "date", "amount"]]
    summary = rfm_summary(tx, calibration_end="1997-09-30", time_unit="W")
    bg = BGNBD().fit_summary(summary)
    result = tracking(BGNBD(), tx, "1997-09-30", "1998-06-30")
    out = DOCS / "plots"
    out.mkdir(exist_ok=True)
    for name, draw in (
        ("frequency_recency_matrix", lambda: plotting.plot_frequency_recency_matrix(
            bg, summary, max_frequency=15)),
        ("probability_alive_matrix", lambda: plotting.plot_probability_alive_matrix(
            bg, summary, max_frequency=15)),
        ("calibration_vs_holdout", lambda: plotting.plot_calibration_vs_holdout(result)),
        ("cumulative_transactions", lambda: plotting.plot_cumulative_transactions(result)),
        ("incremental_transactions", lambda: plotting.plot_incremental_transactions(result)),
    ):
        ax = draw()
        ax.figure.tight_layout()
        ax.figure.savefig(out / f"{name}.png", dpi=DPI)
        plt.close(ax.figure)
        print(out / f"{name}.png")


if __name__ == "__main__":
    if sys.argv[1:] == ["retailer"]:
        with tempfile.TemporaryDirectory() as tmp:
            retailer_pages(Path(tmp))
        raise SystemExit(0)
    with tempfile.TemporaryDirectory() as tmp:
        report_pages(Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        retailer_pages(Path(tmp))
    plots()
