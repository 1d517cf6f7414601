"""Test-session setup: xlwings' Office.js layer must be active before anything imports xlwings.

On Linux the plain ``xw.func``/``xw.script`` decorators do nothing; with ``XLWINGS_ON_SERVER``
set, xlwings uses the Office.js (xlwings Server / Lite) decorators, so the worksheet functions
are registered and can be called through ``xlwings.server``. The ``noncommercial`` key is
xlwings' licence key for non-commercial use, which covers this project's tests.

``no_native_reader`` traps fastexcel for the pre-flight tests.
"""

import os

import pytest  # imports no xlwings

os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


@pytest.fixture
def no_native_reader(monkeypatch):
    """fastexcel.read_excel replaced by a trap: a hostile file that reached it would fail the
    test here instead of aborting the test process."""
    import fastexcel

    calls = []

    def trap(*args, **kwargs):
        calls.append(args)
        raise AssertionError("the native reader was reached")

    monkeypatch.setattr(fastexcel, "read_excel", trap)
    return calls
