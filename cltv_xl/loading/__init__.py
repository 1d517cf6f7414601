"""Read and clean transactions from workbooks (.xlsx/.xlsm/.xlsb/.xls/.ods), text files
(.csv/.tsv/.txt), Parquet files and DataFrames.

``read_transactions`` finds the header row, maps the customer id, date and amount columns (or
quantity and unit price for line items, plus an order id and a status when present), and
cleans them with :func:`clean_columns`, the single cleaning implementation that the worksheet
functions also call. See ``docs/loading.md`` for the accepted inputs and the rules.
"""

from __future__ import annotations

from .api import read_transactions
from .clean import clean_columns
from .headers import SYNONYMS, find_header

__all__ = ["SYNONYMS", "clean_columns", "find_header", "read_transactions"]
