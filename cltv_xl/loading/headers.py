"""Find the header row of a transaction sheet and map its columns to roles.

The required roles are ``customer``, ``date`` and ``amount``; ``amount`` may instead be derived
from a ``quantity`` and a unit ``price`` column (line items). The optional roles ``order``
(order or invoice id) and ``status`` (a cancellation/refund status) are mapped when present.
Header names are compared after :func:`normalise` (accents dropped, lower case, letters and
digits only), first against exact synonyms, then by keyword, so "Customer ID", "CustomerID",
"cust_id" and "Client #" all name the customer column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputError
from .amounts import parse_amounts
from .dates import parse_dates

ROLES = ("customer", "date", "amount")
#: Optional roles: line items (quantity x unit price), order/invoice id, cancellation status.
OPTIONAL_ROLES = ("quantity", "price", "order", "status")
ALL_ROLES = (*ROLES, *OPTIONAL_ROLES)
#: How many rows from the top are searched for the header row.
HEADER_SEARCH_ROWS = 30

_LABEL = {"customer": "customer id", "date": "date", "amount": "amount"}
_ARG = {r: f"{r}_col" for r in ALL_ROLES} | {"customer": "customer_col"}
_CLI = {r: f"--{r}-col" for r in ALL_ROLES}

#: Exact synonyms, compared after :func:`normalise`.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer": (
        "customerid", "customer", "customerno", "customernumber", "customernr", "customercode",
        "customerkey", "custid", "cust", "custno", "custnumber", "custcode", "client", "clientid",
        "clientno", "clientnumber", "clientcode", "account", "accountid", "accountno",
        "accountnumber", "accountcode", "acct", "acctno", "buyer", "buyerid", "userid", "user",
        "memberid", "member", "shopperid", "contactid", "customeremail", "email", "kunde",
        "kundennummer", "kundenid", "kundennr", "klant", "klantnummer", "klantid", "klantnr",
        "numeroclient", "idclient", "codeclient", "cliente", "idcliente",
        "numerocliente", "codigocliente", "masterid",
    ),
    "date": (
        "date", "orderdate", "invoicedate", "transactiondate", "txdate", "transdate",
        "purchasedate", "saledate", "salesdate", "paymentdate", "documentdate", "postingdate",
        "bookingdate", "orderday", "day", "datetime", "timestamp", "orderdatetime", "createdat",
        "created", "orderedat", "purchasedat", "orderplaced", "datum", "rechnungsdatum",
        "bestelldatum", "belegdatum", "buchungsdatum", "kaufdatum", "auftragsdatum",
        "verkaufsdatum", "lieferdatum", "factuurdatum", "besteldatum", "orderdatum", "datumorder",
        "datefacture", "datedecommande", "datecommande", "fecha", "fechafactura", "fechapedido",
        "fechacompra", "fechadeventa", "fechaventa", "datafattura",
    ),
    "amount": (
        "amount", "ordertotal", "total", "revenue", "sales", "value", "netamount", "grossamount",
        "totalamount", "ordervalue", "orderamount", "saleamount", "salesamount", "invoiceamount",
        "invoicetotal", "transactionamount", "amountpaid", "paid", "payment", "spend", "turnover",
        "totalsales", "totalrevenue", "linetotal", "totalprice", "price", "net", "gross",
        "dollarvalue", "dollars", "subtotal", "betrag", "umsatz", "gesamtbetrag", "nettobetrag",
        "bruttobetrag", "rechnungsbetrag", "summe", "gesamt", "gesamtpreis", "umsatzeur",
        "bedrag", "totaalbedrag", "omzet", "totaal", "montant", "montantttc", "montantht",
        "chiffredaffaires", "importe", "importetotal", "ventas", "monto", "importo",
    ),
    "quantity": (
        "quantity", "qty", "quantityordered", "qtyordered", "units", "unitssold",
        "pieces", "pcs", "menge", "anzahl", "stuck", "stuckzahl", "stk", "aantal", "hoeveelheid",
        "quantite", "qte", "cantidad", "cant", "quantita", "quantidade",
    ),
    "price": (
        "unitprice", "price", "priceeach", "priceperunit", "itemprice", "unitcost",
        "salesprice", "saleprice", "listprice", "einzelpreis", "stuckpreis", "preis",
        "preisjeeinheit", "stuckprijs", "prijs", "eenheidsprijs", "prixunitaire", "prix",
        "preciounitario", "precio", "prezzounitario", "prezzo", "precounitario", "preco",
    ),
    "order": (
        "invoiceno", "invoice", "invoiceid", "invoicenumber", "invoicenr", "orderid", "orderno",
        "ordernumber", "ordernr", "order", "ordercode", "orderref", "orderreference",
        "transactionid", "transactionno", "receiptno", "receiptnumber", "receiptid", "billno",
        "documentno", "documentnumber", "salesorder", "salesorderid", "rechnungsnummer",
        "rechnungsnr", "rechnung", "bestellnummer", "bestellnr", "bestellung", "auftragsnummer",
        "auftragsnr", "belegnummer", "belegnr", "factuurnummer", "factuurnr", "bestelnummer",
        "ordernummer", "numerofacture", "nfacture", "facture", "numerocommande", "ncommande",
        "commande", "numerofactura", "factura", "numeropedido", "pedido", "idpedido",
    ),
    "status": (
        "status", "orderstatus", "state", "orderstate", "financialstatus", "paymentstatus",
        "transactionstatus", "invoicestatus", "transactiontype", "type", "ordertype",
        "bestellstatus", "auftragsstatus", "zahlungsstatus", "statut", "etat", "estado",
        "estadopedido", "stato",
    ),
}
#: Keywords: a header containing one of these maps to the role when no exact synonym matched.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "customer": ("customer", "client", "account", "cust", "buyer", "member", "shopper",
                 "kunde", "klant"),
    "date": ("date", "day", "datum", "fecha"),
    "amount": ("amount", "total", "revenue", "sales", "value", "price", "spend", "paid",
               "betrag", "umsatz", "montant", "importe", "bedrag"),
    # Optional roles are matched by exact synonym only (a keyword would catch "Invoice Date").
    "quantity": (), "price": (), "order": (), "status": (),
}

#: Last-resort exact names, tried only when nothing better matched.
WEAK: dict[str, tuple[str, ...]] = {
    "customer": ("id", "name", "customername", "clientname", "accountname"),
    "date": ("when", "period"),
    "amount": ("usd", "eur", "gbp", "dollar", "euro"),
    "quantity": (), "price": (), "order": (), "status": (),
}

_LETTERS = re.compile(r"^[A-Za-z]{1,3}$")


def normalise(name: object) -> str:
    """Header text reduced to lower-case ASCII letters and digits, accents dropped
    ("Order Total ($)" -> "ordertotal", "Quantité" -> "quantite", "Stückpreis" -> "stuckpreis")."""
    if name is None:
        return ""
    text = unicodedata.normalize("NFKD", str(name).casefold())
    return re.sub(r"[^0-9a-z]", "", text)


def column_position(spec: int | str) -> int | None:
    """0-based position of a 1-based column index (``3``) or an Excel letter (``"C"``).

    Returns ``None`` when ``spec`` is a header name rather than a position.
    """
    if isinstance(spec, bool):
        raise InputError(f"a column must be a header name, a 1-based index or a letter; got {spec}")
    if isinstance(spec, int):
        if spec < 1:
            raise InputError(f"column indexes are 1-based (1 = column A); got {spec}")
        return spec - 1
    text = str(spec).strip()
    if text.isdigit():
        return column_position(int(text))
    if _LETTERS.match(text):
        pos = 0
        for ch in text.upper():
            pos = pos * 26 + (ord(ch) - 64)
        return pos - 1
    return None


@dataclass(frozen=True)
class HeaderMatch:
    """Where the header is and which column holds each role.

    ``row`` is the 0-based index of the header row in the rows searched, or ``None`` when the
    data has no header row (all columns were given by position); ``columns`` maps role -> 0-based
    column position; ``names`` maps role -> header text (or the column letter when headerless).
    """

    row: int | None
    columns: dict[str, int]
    names: dict[str, str]


def excel_letter(pos: int) -> str:
    """Excel column letter of a 0-based position (0 -> "A", 27 -> "AB")."""
    out = ""
    pos += 1
    while pos:
        pos, rem = divmod(pos - 1, 26)
        out = chr(65 + rem) + out
    return out


def _resolve(overrides: dict[str, int | str | None], width: int) -> dict[str, tuple[str, object]]:
    """Each override as ("pos", 0-based position) or ("name", normalised header).

    Text of one to three letters is a column letter when that column exists ("C"), otherwise a
    header name ("Amt", "ID").
    """
    out: dict[str, tuple[str, object]] = {}
    for role, spec in overrides.items():
        if spec is None:
            continue
        pos = column_position(spec)
        if pos is not None and (not isinstance(spec, str) or spec.strip().isdigit() or pos < width):
            out[role] = ("pos", pos)
        else:
            out[role] = ("name", normalise(spec))
    return out


def _best(norm: list[str], taken: set[int], role: str, stage: str) -> int | None:
    """Column that best names ``role`` at this matching stage: for exact and weak names the one
    earliest in the synonym list ("Amount" beats "Total"), for keywords the leftmost."""
    free = [(i, n) for i, n in enumerate(norm) if n and i not in taken]
    if stage == "keyword":
        return next((i for i, n in free if any(k in n for k in KEYWORDS[role])), None)
    names = SYNONYMS[role] if stage == "exact" else WEAK[role]
    ranked = [(names.index(n), i) for i, n in free if n in names]
    return min(ranked)[1] if ranked else None


#: Order in which roles are matched at each stage: ``price`` only once a quantity column is
#: found (a lone "Price" column is the amount), ``amount`` last so that a unit-price column
#: already taken as ``price`` is not read as the amount.
_MATCH_ORDER = ("customer", "date", "quantity", "order", "status", "price", "amount")


def is_complete(found: dict[str, int] | set[str]) -> bool:
    """Customer, date and either an amount or both quantity and unit price."""
    return (
        "customer" in found
        and "date" in found
        and ("amount" in found or ("quantity" in found and "price" in found))
    )


def _map_row(
    cells: Sequence[object], overrides: dict[str, tuple[str, object]]
) -> tuple[dict[str, int], int]:
    """Map roles to positions in one candidate header row; return the mapping and how many roles
    were matched by name (synonym, keyword or name override)."""
    norm = [normalise(c) for c in cells]
    found: dict[str, int] = {}
    by_name = 0
    taken: set[int] = set()
    # Overrides first: they win over synonyms.
    for role in ALL_ROLES:
        if role not in overrides:
            continue
        kind, key = overrides[role]
        if kind == "name":
            hits = [i for i, n in enumerate(norm) if key and n == key]
            if hits:
                found[role] = hits[0]
                taken.add(hits[0])
                by_name += 1
        elif int(key) < len(cells):  # type: ignore[call-overload]
            found[role] = int(key)  # type: ignore[call-overload]
            taken.add(int(key))  # type: ignore[call-overload]
    for stage in ("exact", "keyword", "weak"):
        for role in _MATCH_ORDER:
            if role in found or role in overrides:
                continue
            if role == "price" and "quantity" not in found:
                continue
            if role == "amount" and "quantity" in overrides and "price" in overrides:
                continue  # line items asked for: quantity x price is the amount
            pick = _best(norm, taken, role, stage)
            if pick is not None:
                found[role] = pick
                taken.add(pick)
                by_name += 1
    return found, by_name


def _is_label(value: object, parse) -> bool:
    """A cell that reads as a column label: text that the column's parser cannot read."""
    if not isinstance(value, str) or not value.strip():
        return False
    import pandas as pd

    return bool(parse(pd.Series([value], dtype=object)).status[0] > 1)


def find_header(
    rows: Sequence[Sequence[object]],
    overrides: dict[str, int | str | None],
    *,
    where: str = "the data",
) -> HeaderMatch:
    """Find the header row among ``rows`` (the first rows of a sheet, as cell values).

    The header is the first row in which all three roles can be mapped. When every role is
    given by position (index or letter), the header is the first row whose date and amount cells
    are labels rather than values, and there is no header when no such row exists.
    Raises :class:`InputError` naming the missing roles, the headers seen and the option to pass.
    """
    rows = [list(r) for r in rows[:HEADER_SEARCH_ROWS]]
    width = max((len(r) for r in rows), default=0)
    resolved = _resolve(overrides, width)
    positional = {role: key for role, (kind, key) in resolved.items() if kind == "pos"}
    if is_complete(set(positional)) and len(positional) == len(resolved):
        cols = {role: int(pos) for role, pos in positional.items()}
        value_col = cols.get("amount", cols.get("price"))
        for i, cells in enumerate(rows):
            date_cell = cells[cols["date"]] if cols["date"] < len(cells) else None
            amount_cell = cells[value_col] if value_col < len(cells) else None
            if _is_label(date_cell, parse_dates) and _is_label(amount_cell, parse_amounts):
                names = {
                    r: str(cells[p]).strip() if p < len(cells) and cells[p] is not None
                    else excel_letter(p)
                    for r, p in cols.items()
                }
                return HeaderMatch(i, cols, names)
        return HeaderMatch(None, cols, {r: excel_letter(p) for r, p in cols.items()})

    best: tuple[int, int, dict[str, int]] | None = None
    for i, cells in enumerate(rows):
        if not any(normalise(c) for c in cells):
            continue
        found, by_name = _map_row(cells, resolved)
        if is_complete(found) and by_name > 0:
            names = {
                r: (str(cells[p]).strip() if cells[p] is not None else "") or excel_letter(p)
                for r, p in found.items()
            }
            return HeaderMatch(i, found, names)
        score = len(set(found) & set(ROLES))
        if best is None or score > best[1]:
            best = (i, score, found)
    raise InputError(_missing_message(rows, best, overrides, where))


def _missing_message(
    rows: list[list[object]],
    best: tuple[int, int, dict[str, int]] | None,
    overrides: dict[str, int | str | None],
    where: str,
) -> str:
    if best is None:
        return f"No header row found in {where}: the first {HEADER_SEARCH_ROWS} rows are empty."
    i, _, found = best
    missing = [r for r in ROLES if r not in found]
    seen = ", ".join(repr(str(c).strip()) for c in rows[i] if normalise(c)) or "(none)"
    what = " or ".join(_LABEL[r] for r in missing)
    bad = [r for r in missing if overrides.get(r) is not None]
    extra = "".join(
        f" {_ARG[r]}={overrides[r]!r} matches no column." for r in bad
    )
    args = ", ".join(f"{_ARG[r]}=..." for r in missing)
    cli = ", ".join(_CLI[r] for r in missing)
    if "amount" in missing:  # line items: quantity x unit price stands in for an amount
        what = what.replace("amount", "amount (or quantity and unit price)")
        args += " (or quantity_col=... and price_col=...)"
    return (
        f"No {what} column found in {where}.{extra} Columns seen: {seen}. "
        f"Pass {args} (CLI: {cli})."
    )
