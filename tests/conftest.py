"""Test-session setup: xlwings' Office.js layer must be active before anything imports xlwings.

On Linux the plain ``xw.func``/``xw.script`` decorators do nothing; with ``XLWINGS_ON_SERVER``
set, xlwings uses the Office.js (xlwings Server / Lite) decorators, so the worksheet functions
are registered and can be called through ``xlwings.server``. The ``noncommercial`` key is
xlwings' licence key for non-commercial use, which covers this project's tests.
"""

import os

os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
