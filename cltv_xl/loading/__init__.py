"""Read and clean transactions from workbooks (.xlsx/.xlsm/.xlsb/.xls/.ods), text files
(.csv/.tsv/.txt), Parquet files and DataFrames.

``read_transactions`` finds the header row, maps the customer id, date and amount columns (or
quantity and unit price for line items, plus an order id and a status when present), and
cleans them with :func:`clean_columns`, the single cleaning implementation that the worksheet
functions also call. See ``docs/loading.md`` for the accepted inputs and the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .api import read_transactions
    from .clean import clean_columns
    from .headers import SYNONYMS, find_header

#: Public names and their submodules, imported on first use (PEP 562): the command line can
#: import :mod:`cltv_xl.loading.preflight` (NumPy only) before pandas is loaded.
_WHERE = {
    "read_transactions": ".api",
    "clean_columns": ".clean",
    "SYNONYMS": ".headers",
    "find_header": ".headers",
}

__all__ = ["SYNONYMS", "clean_columns", "find_header", "read_transactions"]


__getattr__ = lazy_exports(__name__, _WHERE, globals())
