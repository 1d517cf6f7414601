"""Bundled sample data.

The CDNOW sample is the public data set of Fader & Hardie: 2,357 customers who made their first
purchase at CDNOW in the first quarter of 1997, with all 6,919 of their purchases to the end of
June 1998 (https://www.brucehardie.com/datasets/). The file holds five whitespace-separated
columns: master id, sample id (1..2357), date (yyyymmdd), number of CDs, dollar value.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

CDNOW_FILE = "CDNOW_sample.txt"
#: End of the 39-week calibration period used in the papers.
CDNOW_CALIBRATION_END = "1997-09-30"
#: Last day of the data (end of the 78-week observation window).
CDNOW_END = "1998-06-30"


def load_cdnow() -> pd.DataFrame:
    """The CDNOW sample: ``customer_id`` (sample id as text), ``date``, ``cds``, ``amount``."""
    path = resources.files("cltv_xl") / "data" / CDNOW_FILE
    with resources.as_file(path) as p:
        raw = pd.read_csv(
            p,
            sep=r"\s+",
            header=None,
            names=["master_id", "sample_id", "date", "cds", "amount"],
            dtype={"master_id": str, "sample_id": "int64", "date": str},
        )
    return pd.DataFrame(
        {
            "customer_id": raw["sample_id"].astype(str).to_numpy(dtype=object),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "cds": raw["cds"].astype("int64"),
            "amount": raw["amount"].astype("float64"),
        }
    )
