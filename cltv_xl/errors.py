"""Exception types shared by every layer.

Each message is written for an analyst: it names the argument, column or file that is wrong
and what would be accepted instead.
"""

from __future__ import annotations


class CltvError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(CltvError, ValueError):
    """The input data or an argument cannot be used (bad file, missing column, bad value).

    The command line turns it into one line of text and exit code 1.
    """


class FitError(CltvError, RuntimeError):
    """A model cannot be fitted to the data it was given; the message says why and what to do."""


class TemplateError(CltvError, ValueError):
    """A report template lacks a defined name or table the writer needs."""


class CltvWarning(UserWarning):
    """Base class of every warning this package issues (e.g. ``cltv_xl.models.ModelWarning``).

    The command line prints these as ``cltv-xl: warning: ...``; other libraries' warnings go to
    the ``cltv_xl`` debug log (shown with ``--debug``).
    """
