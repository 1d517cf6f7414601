"""Issue 9 acceptance: the same orders exported the ways real systems export them.

Each variant is generated here (nothing is checked in) from one list of true orders, and each
must give exactly the true revenue, every row accounted for, the true last order date and no
swapped day/month. The .xls and .ods files are written by LibreOffice inside the test.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from cltv_xl.loading import read_transactions
from tests.lo import convert

# The true orders: (customer, date, amount in cents). Days on both sides of 12, amounts with
# thousands, a refund, and ids with leading zeros.
ORDERS = [
    ("00017", dt.date(2023, 1, 5), 123456),
    ("00017", dt.date(2023, 2, 11), 1250),
    ("00017", dt.date(2023, 3, 28), 99),
    ("K-0002", dt.date(2023, 4, 3), 300000),
    ("K-0002", dt.date(2023, 4, 30), -1999),
    ("K-0002", dt.date(2023, 6, 7), 4500),
    ("99", dt.date(2023, 7, 12), 1000000),
    ("99", dt.date(2023, 8, 9), 15),
    ("99", dt.date(2023, 10, 13), 7777),
    ("405", dt.date(2023, 11, 1), 2500),
    ("405", dt.date(2023, 12, 24), 123),
    ("405", dt.date(2024, 1, 2), 250050),
]
TRUE_REVENUE = sum(Decimal(c) / 100 for _, _, c in ORDERS)
TRUE_LAST = max(d for _, d, _ in ORDERS)


def _eu(cents: int, euro: bool = False) -> str:
    """1234.56 written the German way: "1.234,56" (and " €")."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    text = f"{sign}{whole:,}".replace(",", ".") + f",{frac:02d}"
    return text + (" €" if euro else "")


def _us(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{frac:02d}"


def _check(tx) -> None:
    """Exactly the true orders: revenue, counts, last date, every (id, date, amount)."""
    assert tx.counts["read"] == len(ORDERS) == tx.counts["used"]
    assert tx.counts["rejected"] == 0
    revenue = sum(Decimal(str(round(a, 2))) for a in tx.data["amount"])
    assert revenue == TRUE_REVENUE
    assert tx.as_of == pd.Timestamp(TRUE_LAST)
    got = sorted(
        (c, d.date(), round(a * 100))
        for c, d, a in tx.data[["customer_id", "date", "amount"]].itertuples(index=False)
    )
    assert got == sorted(ORDERS)
    assert not tx.date_order.get("ambiguous")
    assert tx.warnings == []


def test_european_csv(tmp_path: Path) -> None:
    lines = ["Kunde;Datum;Betrag"] + [
        f"{c};{d:%d.%m.%Y};{_eu(a)}" for c, d, a in ORDERS
    ]
    path = tmp_path / "eu.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tx = read_transactions(path)
    _check(tx)
    assert tx.date_order["order"] == "day/month/year"
    assert tx.reading == {"container": "csv", "encoding": "utf-8", "delimiter": "semicolon"}


def test_cp1252_csv_with_german_headers(tmp_path: Path) -> None:
    lines = ["Kundennummer;Rechnungsdatum;Umsatz €;Bemerkung"] + [
        f"{c};{d:%d.%m.%Y};{_eu(a, euro=True)};Größe ä" for c, d, a in ORDERS
    ]
    path = tmp_path / "de.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    tx = read_transactions(path)
    _check(tx)
    assert tx.column_map["date"] == "Rechnungsdatum"
    assert tx.column_map["amount"] == "Umsatz €"
    assert tx.reading["encoding"].startswith("cp1252 (not valid UTF-8")


def test_us_csv(tmp_path: Path) -> None:
    lines = ["Customer ID,Order Date,Order Total"] + [
        f'{c},{d.month}/{d.day}/{d.year},"{_us(a)}"' for c, d, a in ORDERS
    ]
    path = tmp_path / "us.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tx = read_transactions(path)
    _check(tx)
    assert tx.date_order["order"] == "month/day/year"


def test_utf16_unicode_text_and_tsv(tmp_path: Path) -> None:
    # Excel's "Unicode Text": UTF-16 LE with a byte-order mark, tab-separated, CRLF.
    lines = ["Customer ID\tOrder Date\tAmount"] + [
        f"{c}\t{d.month}/{d.day}/{d.year}\t{a / 100:.2f}" for c, d, a in ORDERS
    ]
    text = "\r\n".join(lines) + "\r\n"
    path = tmp_path / "export.txt"
    path.write_bytes(text.encode("utf-16"))  # writes the BOM
    tx = read_transactions(path)
    _check(tx)
    assert tx.reading["encoding"] == "utf-16 (byte-order mark)"
    assert tx.reading["delimiter"] == "tab"
    tsv = tmp_path / "export.tsv"
    tsv.write_text(text, encoding="utf-8-sig")
    _check(read_transactions(tsv))


def _xlsx(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["Orders export"])
    ws.append([])
    ws.append(["Customer ID", "Order Date", "Amount"])
    for c, d, a in ORDERS:
        ws.append([c, dt.datetime(d.year, d.month, d.day), a / 100])
    wb.save(path)
    return path


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_xls_and_ods_written_by_libreoffice(tmp_path: Path, fmt: str) -> None:
    out = convert(_xlsx(tmp_path / "orders.xlsx"), fmt, tmp_path / "lo")
    assert out.suffix == f".{fmt}"
    tx = read_transactions(out)
    _check(tx)
    assert [r for r in tx.data["row"]] == list(range(4, 4 + len(ORDERS)))
    assert tx.reading["container"] == fmt


def test_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": [c for c, _, _ in ORDERS],
            "order_date": pd.to_datetime([d for _, d, _ in ORDERS]),
            "amount": [a / 100 for _, _, a in ORDERS],
        }
    )
    path = tmp_path / "orders.parquet"
    frame.to_parquet(path)
    tx = read_transactions(path)
    _check(tx)
    assert tx.reading == {"container": "parquet"}
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(Exception, match=r"^broken.parquet: cannot read the Parquet file"):
        read_transactions(broken)


def test_latin1_csv_whose_first_pound_sign_is_beyond_3_mb(tmp_path: Path) -> None:
    head = "Customer,Date,Amount,Description\n"
    filler = "".join(
        f"c{i % 97},2024-01-{i % 28 + 1:02d},1.00,plain ascii description number {i:07d}\n"
        for i in range(60_000)
    )
    assert len(head) + len(filler) > 3 * 1024 * 1024
    tail = "x,2024-02-01,£12.50,café crème £\n"
    path = tmp_path / "latin1.csv"
    path.write_bytes((head + filler + tail).encode("latin-1"))
    tx = read_transactions(path)
    assert tx.counts["read"] == tx.counts["used"] == 60_001
    assert tx.reading["encoding"].startswith("cp1252 (not valid UTF-8: byte 0xa3 at offset ")
    offset = int(tx.reading["encoding"].split("offset ")[1].split(")")[0].replace(",", ""))
    assert offset == len((head + filler + "x,2024-02-01,").encode("latin-1"))
    last = tx.data.iloc[-1]
    assert (last["customer_id"], last["amount"]) == ("x", 12.5)
    assert round(tx.data["amount"].sum(), 2) == 60_000 + 12.5
