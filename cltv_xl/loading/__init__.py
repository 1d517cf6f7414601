"""Read and clean transactions from .xlsx/.xlsm/.csv files and DataFrames.

``read_transactions`` finds the header row, maps the customer id, date and amount columns, and
cleans them with :func:`clean_columns`, the single cleaning implementation that the worksheet
functions also call. See ``docs/loading.md`` for the accepted inputs and the rules.
"""

from __future__ import annotations

from .api import read_transactions
from .clean import clean_columns
from .headers import SYNONYMS, find_header

__all__ = ["SYNONYMS", "clean_columns", "find_header", "read_transactions"]
