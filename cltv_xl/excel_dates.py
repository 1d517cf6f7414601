"""Stable public path: ``cltv_xl.excel_dates`` is :mod:`cltv_xl.excel.excel_dates`.

Workbooks, the ribbon's VBA and user scripts name this path, so it stays. The alias makes it
the very same module object (not a copy), so settings and patches apply to both names.
"""

import sys

from .excel import excel_dates as _module

sys.modules[__name__] = _module
