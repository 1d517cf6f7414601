"""RFM scores, named segments and the per-segment table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cltv_xl.datasets import load_cdnow
from cltv_xl.errors import InputError
from cltv_xl.segments import (
    SEGMENT_RULES,
    SEGMENTS,
    _quantile_score,
    lapsed,
    rfm_scores,
    rfm_segments,
    segment_table,
)
from cltv_xl.summary import rfm_summary

AS_OF = pd.Timestamp("2024-12-31")

# customer: (days since last purchase, purchase days, average spend per purchase day)
EIGHT = {
    "c1": (1, 1, 50.0),
    "c2": (2, 10, 100.0),
    "c3": (3, 9, 10.0),
    "c4": (4, 2, 40.0),
    "c5": (5, 8, 30.0),
    "c6": (6, 2, 20.0),
    "c7": (7, 2, 80.0),
    "c8": (8, 2, 5.0),
}


def _summary(spec: dict[str, tuple[int, int, float]], as_of=AS_OF) -> pd.DataFrame:
    ids = list(spec)
    days = np.array([spec[c][0] for c in ids])
    purchase_days = np.array([spec[c][1] for c in ids])
    avg = np.array([spec[c][2] for c in ids])
    frame = pd.DataFrame(
        {
            "frequency": purchase_days - 1,
            "last_purchase": as_of - pd.to_timedelta(days, unit="D"),
            "revenue": avg * purchase_days,
        },
        index=pd.Index(ids, name="customer_id"),
    )
    frame.attrs["as_of"] = as_of
    return frame


def test_quantile_score_exact():
    assert _quantile_score(pd.Series(range(8))).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert _quantile_score(pd.Series([10, 20, 30, 40])).tolist() == [1, 2, 3, 4]
    # Ties share the mid-rank: ranks 1, 3.5 x 4, 6, 7, 8.
    assert _quantile_score(pd.Series([1, 2, 2, 2, 2, 8, 9, 10])).tolist() == [
        1, 2, 2, 2, 2, 3, 4, 4
    ]
    assert _quantile_score(pd.Series([5.0])).tolist() == [3]
    assert _quantile_score(pd.Series([7.0, 7.0, 7.0])).tolist() == [3, 3, 3]
    assert _quantile_score(pd.Series([1, 2])).tolist() == [2, 4]  # mid-ranks at 25% and 75%


def test_scores_of_the_eight_customer_example():
    s = rfm_scores(_summary(EIGHT))
    assert s["recency_days"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert s["purchase_days"].tolist() == [1, 10, 9, 2, 8, 2, 2, 2]
    assert s["monetary"].tolist() == [50, 100, 10, 40, 30, 20, 80, 5]
    assert s["r"].tolist() == [4, 4, 3, 3, 2, 2, 1, 1]
    assert s["f"].tolist() == [1, 4, 4, 2, 3, 2, 2, 2]
    assert s["m"].tolist() == [3, 4, 1, 3, 2, 2, 4, 1]


def test_every_segment_in_the_eight_customer_example():
    seg = rfm_segments(_summary(EIGHT))
    assert seg.to_dict() == {
        "c1": "New",  # one purchase day, recent
        "c2": "Champions",  # R4 F4 M4
        "c3": "Loyal",  # R3 F4 M1
        "c4": "Potential",  # R3 F2, two purchase days
        "c5": "At risk",  # R2 F3
        "c6": "Hibernating",  # R2 F2 M2
        "c7": "At risk",  # R1 M4
        "c8": "Lost",  # R1 F2 M1
    }
    assert isinstance(seg.dtype, pd.CategoricalDtype)
    assert list(seg.cat.categories) == list(SEGMENTS)
    assert seg.name == "segment"
    assert set(SEGMENT_RULES) == set(SEGMENTS)


def test_total_monetary_option_changes_m_scores():
    s = rfm_scores(_summary(EIGHT), monetary="total")
    # Totals: 50, 1000, 90, 80, 240, 40, 160, 10.
    assert s["monetary"].tolist() == [50, 1000, 90, 80, 240, 40, 160, 10]
    assert s["m"].tolist() == [2, 4, 3, 2, 4, 1, 3, 1]


def test_tiny_inputs_are_deterministic():
    one_time = rfm_segments(_summary({"x": (30, 1, 10.0)}))
    assert one_time.tolist() == ["New"]
    repeat = rfm_segments(_summary({"x": (30, 3, 10.0)}))
    assert repeat.tolist() == ["Champions"]
    same = rfm_segments(_summary({c: (10, 2, 5.0) for c in "abcde"}))
    assert same.tolist() == ["Champions"] * 5


def test_as_of_defaults_and_override():
    summary = _summary(EIGHT)
    later = rfm_scores(summary, as_of=AS_OF + pd.Timedelta(days=10))
    assert later["recency_days"].tolist() == [11, 12, 13, 14, 15, 16, 17, 18]
    summary.attrs.clear()  # falls back to the latest last purchase
    assert rfm_scores(summary)["recency_days"].tolist() == [0, 1, 2, 3, 4, 5, 6, 7]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.integers(1, 6), st.sampled_from([5.0, 10.0, 20.0])),
        min_size=1,
        max_size=25,
    ),
    st.randoms(use_true_random=False),
)
def test_row_order_does_not_matter(rows, rnd):
    spec = {f"id{i:02d}": row for i, row in enumerate(rows)}
    summary = _summary(spec)
    order = list(summary.index)
    rnd.shuffle(order)
    a = rfm_segments(summary)
    b = rfm_segments(summary.loc[order])
    assert (b.loc[a.index] == a).all()
    # Equal R, F, M always give the same segment.
    scores = rfm_scores(summary)
    key = scores[["r", "f", "m", "purchase_days"]].astype(str).agg("-".join, axis=1)
    assert (a.astype(str).groupby(key).nunique() == 1).all()


def test_segment_table_exact():
    summary = _summary(EIGHT)
    seg = rfm_segments(summary)
    table = segment_table(summary, seg)
    assert list(table.index) == list(SEGMENTS)
    assert list(table.columns) == [
        "customers", "share_of_customers", "revenue", "value", "average_value", "share_of_value"
    ]
    assert table["customers"].tolist() == [1, 1, 1, 1, 2, 1, 1]
    # Revenues: c2 1000, c3 90, c4 80, c1 50, c5 + c7 = 240 + 160, c6 40, c8 10.
    assert table["revenue"].tolist() == [1000, 90, 80, 50, 400, 40, 10]
    assert table.loc["At risk", "average_value"] == 200.0
    assert table.loc["At risk", "share_of_value"] == pytest.approx(400 / 1670)
    assert table["share_of_value"].sum() == pytest.approx(1.0)
    assert table["share_of_customers"].sum() == pytest.approx(1.0)


def test_segment_table_with_value_column_and_empty_segments():
    summary = _summary(EIGHT)
    summary["clv"] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    seg = rfm_segments(summary)
    table = segment_table(summary, seg, value_col="clv")
    assert table.loc["At risk", "value"] == 12.0
    assert table.loc["At risk", "average_value"] == 6.0
    assert table.loc["At risk", "share_of_value"] == pytest.approx(12 / 36)
    assert table.loc["At risk", "revenue"] == 400.0
    same = segment_table(summary, seg, value_col=summary["clv"])
    pd.testing.assert_frame_equal(table, same)
    # A segment with nobody in it stays in the table with zeros.
    two = summary.loc[["c1", "c2"]]
    t2 = segment_table(two, rfm_segments(two))
    assert len(t2) == 7
    assert t2.loc["Lost"].tolist() == [0, 0.0, 0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda s: rfm_segments(s.drop(columns="revenue")), "missing"),
        (lambda s: rfm_segments(s.iloc[:0]), "no customers"),
        (lambda s: rfm_segments(s, as_of="2024-12-25"), "before the last purchase"),
        (lambda s: rfm_segments(s, as_of="nonsense"), "as_of must be a date"),
        (lambda s: rfm_scores(s, monetary="median"), "monetary must be"),
        (lambda s: rfm_segments([1, 2]), "rfm_summary frame"),
        (lambda s: segment_table(s, rfm_segments(s), value_col="clv"), "not a column"),
        (lambda s: segment_table(s, rfm_segments(s).iloc[:3]), "indexed like summary"),
    ],
)
def test_bad_input(call, pattern):
    with pytest.raises(InputError, match=pattern):
        call(_summary(EIGHT))


def test_cdnow_segments_cover_everyone():
    summary = rfm_summary(load_cdnow())
    seg = rfm_segments(summary)
    assert seg.notna().all() and len(seg) == 2357
    counts = seg.value_counts()
    # F ranks repeat buyers among themselves (one-time buyers score 1), so recent repeat buyers
    # with few purchase days are "Potential" rather than none at all.
    assert counts["Potential"] > 0
    scores = rfm_scores(summary)
    assert (scores.loc[summary["frequency"] == 0, "f"] == 1).all()
    assert set(scores.loc[summary["frequency"] > 0, "f"]) == {1, 2, 3, 4}
    assert counts.sum() == 2357
    table = segment_table(summary, seg)
    assert table["revenue"].sum() == pytest.approx(summary["revenue"].sum())
    assert table.loc["Champions", "share_of_value"] > 0.5


def test_guards_demote_churned_and_unlikely_alive_customers():
    """Hand-worked: the guards cap R at 2, then the same rules run."""
    summary = _summary(EIGHT)
    churned = pd.Series([False, True, False, True, False, False, False, False],
                        index=summary.index)
    p_alive = np.array([0.9, 0.9, 0.3, 0.9, 0.9, 0.9, 0.9, 0.9])
    seg = rfm_segments(summary, churned=churned, p_alive=p_alive)
    assert seg.to_dict() == {
        "c1": "New",
        "c2": "At risk",  # Champion profile (R4 F4 M4) but churned: R -> 2, F4
        "c3": "At risk",  # Loyal profile (R3 F4 M1) but P(alive) 0.3 < 0.5: R -> 2, F4
        "c4": "At risk",  # Potential profile (R3 F2 M3) but churned: R -> 2, M3
        "c5": "At risk",
        "c6": "Hibernating",
        "c7": "At risk",
        "c8": "Lost",
    }
    # A lower guard lets c3 stay Loyal; no guard at all reproduces the relative segments.
    assert rfm_segments(summary, p_alive=p_alive, palive_guard=0.2)["c3"] == "Loyal"
    assert (rfm_segments(summary, churned=np.zeros(8, bool), p_alive=np.ones(8))
            == rfm_segments(summary)).all()
    assert lapsed(summary, churned=churned, p_alive=p_alive).tolist() == [
        False, True, True, True, False, False, False, False]


def test_guard_arguments_are_checked():
    summary = _summary(EIGHT)
    with pytest.raises(InputError, match="palive_guard"):
        rfm_segments(summary, p_alive=np.ones(8), palive_guard=1.5)
    with pytest.raises(InputError, match="one value per customer"):
        rfm_segments(summary, churned=[True, False])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(-5, 5).map(float), st.floats(-1e3, 1e3)), min_size=1,
                max_size=60))
def test_quantile_score_is_the_mid_rank_rule(values):
    """The one-sort scores equal the rule written with pandas' own min and max ranks."""
    s = pd.Series(values, dtype=np.float64)
    two_rank = (s.rank(method="min") + s.rank(method="max")).to_numpy(np.int64)
    expected = 1 + (4 * (two_rank - 1)) // (2 * len(s))
    assert _quantile_score(s.to_numpy()).tolist() == expected.tolist()
    assert _quantile_score(s).tolist() == expected.tolist()


def test_quantile_score_refuses_nan():
    with pytest.raises(ValueError, match="NaN"):
        _quantile_score(np.array([1.0, np.nan]))
