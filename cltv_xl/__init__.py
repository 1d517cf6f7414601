"""cltv-xl: customer lifetime value for Excel.

Public API (imported lazily, so ``import cltv_xl`` stays cheap inside Excel):

* :func:`read_transactions` - read and clean a transaction sheet (.xlsx/.xlsm/.csv/DataFrame)
* :func:`rfm_summary` - per-customer frequency, recency, T and monetary value
* :func:`cohorts` - monthly acquisition cohorts
* :mod:`cltv_xl.metrics` - closed-form CLTV formulas
* :mod:`cltv_xl.models` - BG/NBD, Pareto/NBD, Gamma-Gamma, discounted CLV
* :class:`Assumptions` - the report's inputs: defaults, units and allowed ranges
* :func:`build_report` - the offline Excel report
* :func:`refresh_report` - recompute the report inside an open workbook (xlwings)
"""

from __future__ import annotations

from ._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "Transactions": "cltv_xl.transactions",
    "read_transactions": "cltv_xl.loading",
    "rfm_summary": "cltv_xl.summary",
    "cohorts": "cltv_xl.cohort_tables",
    "build_report": "cltv_xl.report",
    "compute_report": "cltv_xl.report",
    "Assumptions": "cltv_xl.assumptions",
    "refresh_report": "cltv_xl.excel.refresh",
    "main": "cltv_xl.excel.refresh",  # the desktop add-in's RunPython entry (cltv_xl.xlam)
    "InputError": "cltv_xl.errors",
    "FitError": "cltv_xl.errors",
}

__all__ = [*_EXPORTS, "__version__"]


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
