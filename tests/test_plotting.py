"""cltv_xl.plotting draws the model's own numbers (matplotlib, the [plot] extra)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from cltv_xl import plotting
from cltv_xl.datasets import load_cdnow
from cltv_xl.errors import InputError
from cltv_xl.models import BGNBD, tracking
from cltv_xl.summary import rfm_summary


@pytest.fixture(scope="module")
def cdnow():
    tx = load_cdnow()[["customer_id", "date", "amount"]]
    summary = rfm_summary(tx, calibration_end="1997-09-30", time_unit="W")
    return tx, summary, BGNBD().fit_summary(summary)


def test_matrices_show_the_model_values(cdnow):
    _tx, summary, bg = cdnow
    ax = plotting.plot_probability_alive_matrix(bg, summary, max_frequency=10)
    image = ax.images[0].get_array()
    assert image.shape == (11, 101)
    T = float(summary["T"].max())
    # Row = frequency, column = recency on a 101-point grid from 0 to T.
    assert image[5, 50] == pytest.approx(bg.p_alive(5, T / 2, T))
    assert image[0, 0] == pytest.approx(1.0)  # BG/NBD: a one-time buyer is alive
    ax = plotting.plot_frequency_recency_matrix(bg, summary, max_frequency=10, t=4)
    assert ax.images[0].get_array()[3, 100] == pytest.approx(
        bg.expected_purchases(4, 3, T, T))
    matplotlib.pyplot.close("all")


def test_tracking_plots_draw_the_tracking_data(cdnow):
    tx, _summary, _bg = cdnow
    result = tracking(BGNBD(), tx, "1997-09-30", "1998-06-30")
    ax = plotting.plot_cumulative_transactions(result)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["actual"].get_ydata(),
                               result.cumulative["actual_cumulative"])
    np.testing.assert_allclose(lines["model"].get_ydata(),
                               result.cumulative["predicted_cumulative"])
    ax = plotting.plot_incremental_transactions(result)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["actual"].get_ydata(), result.cumulative["actual"])
    ax = plotting.plot_calibration_vs_holdout(result)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["actual"].get_ydata(), result.by_frequency["actual"])
    np.testing.assert_allclose(lines["model"].get_ydata(), result.by_frequency["predicted"])
    matplotlib.pyplot.close("all")


def test_bad_inputs_are_one_line_errors(cdnow):
    _tx, summary, _bg = cdnow
    with pytest.raises(InputError, match="not fitted"):
        plotting.plot_probability_alive_matrix(BGNBD(), summary)
    with pytest.raises(InputError, match="tracking"):
        plotting.plot_cumulative_transactions(summary)
