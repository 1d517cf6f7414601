"""Engines for big transaction logs: the summary stage in DuckDB or Spark.

``summarise(source, engine="auto"|"pandas"|"duckdb"|"spark", time_unit=..., as_of=...)``
returns rfm_summary's frame; ``open_summary(...)`` keeps the summary inside the engine for
``purchase_stats()``/``spend_stats()`` (sufficient statistics), ``fit()`` and
``score_to_parquet(...)``; ``score_to_parquet(source, output, ...)`` does all three.
The SQL text, shared by both engines, is :mod:`cltv_xl.engines.sql`. See ``docs/scale.md``.
"""

from .core import (
    DUCKDB_MIN_BYTES,
    ENGINES,
    EngineSummary,
    ScoreResult,
    choose_engine,
    open_summary,
    score_to_parquet,
    summarise,
)
from .spark import MASTER_ENV

__all__ = [
    "DUCKDB_MIN_BYTES",
    "ENGINES",
    "MASTER_ENV",
    "EngineSummary",
    "ScoreResult",
    "choose_engine",
    "open_summary",
    "score_to_parquet",
    "summarise",
]
