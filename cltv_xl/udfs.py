"""Stable public path: ``cltv_xl.udfs`` is :mod:`cltv_xl.excel.udfs`.

Workbooks, the ribbon's VBA and user scripts name this path, so it stays. The alias makes it
the very same module object (not a copy), so settings and patches apply to both names.
"""

import sys

from .excel import udfs as _module

sys.modules[__name__] = _module
