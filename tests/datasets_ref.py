"""Reference data sets of the tests (see tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DATA = Path(__file__).parent / "data"


def load_donations() -> pd.DataFrame:
    """Fader, Hardie & Shang (2010) donations: frequency, recency, periods, weights."""
    return pd.read_csv(DATA / "donations.csv")
