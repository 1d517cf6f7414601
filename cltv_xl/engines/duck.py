"""DuckDB backend: the embedded engine for CSV and Parquet files larger than memory allows
pandas to handle comfortably (and for any source with ``engine="duckdb"``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .sql import DUCKDB, statements

#: Rows per batch when results are streamed to Python (scoring, Parquet output).
BATCH_ROWS = 1 << 20


def _import():
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a dependency
        raise InputError("engine 'duckdb' needs the duckdb package: pip install duckdb") from None
    return duckdb


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


class DuckDBBackend:
    """Runs the shared SQL (:mod:`cltv_xl.engines.sql`) in an in-process DuckDB database."""

    dialect = DUCKDB

    def __init__(self, source: str | Path | pd.DataFrame, *, threads: int | None = None):
        duckdb = _import()
        self.con = duckdb.connect(config={"preserve_insertion_order": True})
        self.con.execute("SET enable_progress_bar = false")  # no bars over the CLI's lines
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.first_row = 2  # a header row above the data, as in a sheet or CSV
        if isinstance(source, pd.DataFrame):
            self.con.register("cltv_source", source)
            scan = "cltv_source"
        else:
            path = Path(source)
            suffix = path.suffix.lower()
            if suffix == ".parquet" or path.is_dir():
                glob = str(path / "*.parquet") if path.is_dir() else str(path)
                scan = f"read_parquet({_literal(glob)})"
                self.first_row = 1  # records, no header
            elif suffix in (".csv", ".txt", ".tsv"):
                scan = f"read_csv({_literal(str(path))}, all_varchar = true, header = true)"
            else:
                raise InputError(f"{path.name}: engine 'duckdb' reads .csv and .parquet files")
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW cltv_raw AS SELECT * FROM {scan}")
            self.columns = [r[0] for r in self.con.execute("DESCRIBE cltv_raw").fetchall()]
        except duckdb.Error as exc:
            name = "the DataFrame" if isinstance(source, pd.DataFrame) else Path(source).name
            raise InputError(f"{name}: cannot read it ({str(exc).splitlines()[0]})") from None

    def execute(self, script: str) -> None:
        for stmt in statements(script):
            self.con.execute(stmt)

    def frame(self, query: str) -> pd.DataFrame:
        return self.con.execute(query).df()

    def arrow(self, query: str):
        return self.con.sql(query).to_arrow_table()

    def batches(self, query: str) -> Iterator[pd.DataFrame]:
        reader = self.con.sql(query).to_arrow_reader(BATCH_ROWS)
        for batch in reader:
            yield batch.to_pandas()

    def write_scores(self, query: str, output: Path,
                     score: Callable[[pd.DataFrame], pd.DataFrame]) -> int:
        """Score the customers of ``query`` batch by batch into one Parquet file."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..safety import atomic_write

        n = 0

        def write(tmp: Path) -> None:
            nonlocal n
            writer = None
            try:
                for batch in self.batches(query):
                    table = pa.Table.from_pandas(score(batch), preserve_index=False)
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, table.schema)
                    writer.write_table(table)
                    n += table.num_rows
            finally:
                if writer is not None:
                    writer.close()

        atomic_write(output, write)
        return n

    def write_query(self, query: str, output: Path) -> int:
        """The rows of ``query`` into one Parquet file, written atomically."""
        from ..safety import atomic_write

        n = 0

        def write(tmp: Path) -> None:
            nonlocal n
            n = int(self.con.execute(
                f"COPY ({query}) TO {_literal(str(tmp))} (FORMAT PARQUET)").fetchone()[0])

        atomic_write(output, write)
        return n

    def close(self) -> None:
        self.con.close()
