"""Spark backend (``engine="spark"``): the same SQL on a cluster, a Spark Connect server or
local mode; per-customer scoring runs per partition with ``mapInPandas``.

The session: ``spark=`` (an existing ``SparkSession``), else ``master=`` or the environment
variable :data:`MASTER_ENV` (``local[2]``, ``spark://host:7077``, ``yarn``, ...) or a Spark
Connect URL (``sc://host:15002``, also read from ``SPARK_REMOTE``); default ``local[*]``.
pyspark is the optional extra ``cltv-xl[spark]``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .sql import SPARK, statements

#: Environment variable holding the Spark master or Spark Connect (sc://) URL.
MASTER_ENV = "CLTV_XL_SPARK_MASTER"


def session(master: str | None = None):
    """A SparkSession for ``master`` (or :data:`MASTER_ENV`, ``SPARK_REMOTE``, ``local[*]``)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("engine 'spark' needs pyspark: pip install 'cltv-xl[spark]'") from None
    url = master or os.environ.get(MASTER_ENV) or os.environ.get("SPARK_REMOTE") or "local[*]"
    if url.startswith("local"):
        # Local workers run this interpreter (with cltv_xl and pandas), not the first python3.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("cltv-xl")
    if url.startswith("sc://"):
        return builder.remote(url).getOrCreate()
    return (builder.master(url)
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate())


class SparkBackend:
    """Runs the shared SQL (:mod:`cltv_xl.engines.sql`) in Spark SQL."""

    dialect = SPARK

    def __init__(self, source, *, spark=None, master: str | None = None):
        if hasattr(source, "sparkSession"):  # a Spark DataFrame: its views live in its session
            self.spark = source.sparkSession
        else:
            base = spark if spark is not None else session(master)
            try:  # own temporary views, so two summaries in one application do not clash
                self.spark = base.newSession()
            except Exception:  # Spark Connect sessions cannot fork
                self.spark = base
        self.first_row = 2
        if isinstance(source, pd.DataFrame):
            frame = self.spark.createDataFrame(source)
        elif hasattr(source, "createOrReplaceTempView"):  # a Spark DataFrame
            frame = source
        else:
            path = str(source)
            suffix = Path(path).suffix.lower()
            if suffix == ".parquet" or Path(path).is_dir():
                frame = self.spark.read.parquet(path)
                self.first_row = 1
            elif suffix in (".csv", ".txt", ".tsv"):
                frame = self.spark.read.option("header", True).csv(path)  # every column text
            else:
                raise InputError(f"{Path(path).name}: engine 'spark' reads .csv and .parquet")
        frame.createOrReplaceTempView("cltv_raw")
        self.columns = list(frame.columns)

    def execute(self, script: str) -> None:
        for stmt in statements(script):
            self.spark.sql(stmt)

    def frame(self, query: str) -> pd.DataFrame:
        return self.spark.sql(query).toPandas()

    def arrow(self, query: str):
        return self.spark.sql(query).toArrow()

    def batches(self, query: str) -> Iterator[pd.DataFrame]:
        yield self.frame(query)

    def write_scores(self, query: str, output: Path,
                     score: Callable[[pd.DataFrame], pd.DataFrame]) -> int:
        """Score every partition with ``mapInPandas`` and write a Parquet folder."""
        from pyspark.sql.types import DoubleType, StructField, StructType

        from .scoring import SCORE_COLUMNS

        data = self.spark.sql(query)
        schema = StructType([*data.schema.fields,
                             *(StructField(c, DoubleType()) for c in SCORE_COLUMNS)])

        def per_partition(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            for batch in batches:
                yield score(batch)

        scored = data.mapInPandas(per_partition, schema)
        scored.write.mode("overwrite").parquet(str(output))
        return int(self.spark.read.parquet(str(output)).count())

    def write_query(self, query: str, output: Path) -> int:
        """The rows of ``query`` into a Parquet folder."""
        self.spark.sql(query).write.mode("overwrite").parquet(str(output))
        return int(self.spark.read.parquet(str(output)).count())

    def close(self) -> None:
        """Drop the cached customers; leave the application running (the caller may own it,
        and a restart costs seconds)."""
        self.spark.sql("UNCACHE TABLE IF EXISTS cltv_all_customers")

