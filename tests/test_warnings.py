"""Only cltv-xl's own warnings reach the user as "cltv-xl: warning"; others go to the debug log."""

from __future__ import annotations

import io
import logging
import warnings

import numpy as np

from cltv_xl import cli
from cltv_xl.errors import CltvWarning
from cltv_xl.models import ConvergenceWarning, ModelWarning


def _noisy_command(args, out, err):
    warnings.warn("spend barely varies", ModelWarning, stacklevel=1)
    warnings.warn("a library deprecation", DeprecationWarning, stacklevel=1)
    warnings.warn("a library's runtime warning", RuntimeWarning, stacklevel=1)
    return 0


def _run(monkeypatch, *argv: str) -> str:
    monkeypatch.setitem(cli.COMMANDS, "lite", _noisy_command)
    err = io.StringIO()
    assert cli.main(["lite", *argv], stdout=io.StringIO(), stderr=err) == 0
    return err.getvalue()


def test_own_warning_classes_share_one_base():
    assert issubclass(ModelWarning, CltvWarning)
    assert issubclass(ConvergenceWarning, CltvWarning)


def test_only_own_warnings_are_shown(monkeypatch, caplog):
    with caplog.at_level(logging.DEBUG, logger="cltv_xl"):
        text = _run(monkeypatch)
    assert text.splitlines() == ["cltv-xl: warning: spend barely varies"]
    logged = caplog.text
    assert "DeprecationWarning: a library deprecation" in logged
    assert "RuntimeWarning: a library's runtime warning" in logged


def test_debug_shows_the_other_warnings(monkeypatch):
    text = _run(monkeypatch, "--debug")
    assert "cltv-xl: warning: spend barely varies" in text
    assert "cltv-xl: debug: DeprecationWarning: a library deprecation" in text
    assert "warning: a library" not in text


def test_not_a_time_without_unit_on_numpy_2():
    # numpy 2.x deprecates np.datetime64("NaT") without a unit; the loaders must not trigger it.
    from cltv_xl.loading import read_transactions

    frame = np.array([["id", "date", "amount"], ["a", "2024-01-05", 3], ["b", "soon", 4]],
                     dtype=object)
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        tx = read_transactions(pd.DataFrame(frame[1:], columns=frame[0]))
    assert tx.counts["used"] == 1 and tx.counts["rejected"] == 1
