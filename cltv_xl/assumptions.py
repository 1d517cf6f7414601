"""``Assumptions``: the one place where a report input's default, unit and allowed range live.

Every front door parses its inputs into this frozen value object:

* keyword arguments (:func:`cltv_xl.build_report`, :func:`cltv_xl.report.compute_report`):
  ``Assumptions.parse(**kwargs)``;
* the command line's option strings: :meth:`Assumptions.from_strings`;
* the template's Assumptions cells (``ASSUME_*`` defined names), read back by the refresh:
  :meth:`Assumptions.from_cells`;
* worksheet-function arguments (``CLV_PREDICT``, ``BGNBD_FIT``): the same constructor, with
  the function's own units (horizon in months).

Construction validates every field with :mod:`cltv_xl.validation` (one message per bad value,
e.g. ``margin must be in (0, 1]; got 2``). :data:`FIELDS` documents each field (meaning, unit,
default, range); the README's table of report options is tested against it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .errors import InputError
from .timeunits import UNIT_NAMES, as_date, convert, convert_rate
from .validation import choice, number, unit

#: ``business`` values: ``"auto"`` applies :func:`cltv_xl.business.detect_business`.
BUSINESS_CHOICES: tuple[str, ...] = ("auto", "subscription", "transactional")

#: Longest CLV horizon accepted, in years (in any unit), and most discounting periods: the
#: per-customer CLV sums one term per period of the horizon unit.
MAX_HORIZON_YEARS = 100.0
MAX_HORIZON_PERIODS = 10_000

#: Default CLV horizon (used when ``horizon`` is not given), in weeks, whatever the unit.
DEFAULT_HORIZON_WEEKS = 52.0

#: Model choices: ``"auto"`` (the pipeline compares BG/NBD, MBG/NBD and Pareto/NBD and keeps
#: the best: :func:`cltv_xl.pipeline.choose_purchase_model`), a named purchase model, or
#: ``"none"`` (no predictive model: only the historical KPIs and tables).
MODEL_CHOICES: tuple[str, ...] = ("auto", "bgnbd", "mbgnbd", "paretonbd", "none")

#: Allowed numeric ranges: field -> keyword arguments of :func:`cltv_xl.validation.number`.
RANGES: dict[str, dict[str, Any]] = {
    "cac": {"low": 0.0},
    "margin": {"low": 0.0, "high": 1.0, "low_open": True},
    "discount_rate": {"low": 0.0, "high": 1.0},
    "horizon": {"low": 0.0, "low_open": True},
    "inactivity": {"low": 1.0},
    "palive_guard": {"low": 0.0, "high": 1.0},
}


@dataclass(frozen=True)
class Assumptions:
    """The validated inputs of a CLTV report (and of the predictive worksheet functions).

    ``cac``: acquisition cost per customer (currency, >= 0). ``margin``: gross margin, a
    fraction in (0, 1]. ``currency``: a label for money cells (e.g. ``"EUR"``; default none).
    ``discount_rate``: per ``discount_unit`` (default 0.01 **per month**), in [0, 1].
    ``horizon``: the CLV horizon in ``horizon_unit``; ``None`` means 52 weeks, and
    ``horizon_unit`` ``None`` means ``time_unit``; at most :data:`MAX_HORIZON_YEARS` years and
    :data:`MAX_HORIZON_PERIODS` periods. ``time_unit``: the models' unit (default weeks).
    ``kpi_period``: unit of ARPU, churn rate and lifetime (default months). ``inactivity``: the
    churn window in KPI periods (>= 1). ``as_of``: end of the observation window (default: the
    last order date). ``holdout_start``: optional start of a holdout period. ``model``: one of
    :data:`MODEL_CHOICES`. ``palive_guard``: a customer whose P(alive) is below it is never a
    Champion, Loyal, Potential or New customer (segments; default 0.5, in [0, 1]).
    ``business``: ``"subscription"`` (fit the sBG on the monthly cohort survival table and
    show the Retention sheet), ``"transactional"`` or ``"auto"`` (default: decided by the rule
    of :mod:`cltv_xl.business`).
    """

    cac: float = 0.0
    margin: float = 1.0
    currency: str = ""
    discount_rate: float = 0.01
    discount_unit: str = "M"
    horizon: float | None = None
    horizon_unit: str | None = None
    time_unit: str = "W"
    kpi_period: str = "M"
    inactivity: float = 3.0
    as_of: pd.Timestamp | None = None
    holdout_start: pd.Timestamp | None = None
    model: str = "auto"
    palive_guard: float = 0.5
    business: str = "auto"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name, bounds in RANGES.items():
            if name == "horizon" and self.horizon is None:
                continue
            set_(self, name, number(getattr(self, name), name, **bounds))
        set_(self, "time_unit", unit(self.time_unit, "time_unit"))
        set_(self, "kpi_period", unit(self.kpi_period, "kpi_period"))
        set_(self, "discount_unit", unit(self.discount_unit, "discount_unit"))
        h_unit = self.time_unit if self.horizon_unit is None else unit(
            self.horizon_unit, "horizon_unit")
        set_(self, "horizon_unit", h_unit)
        if self.horizon is None:
            set_(self, "horizon", float(convert(DEFAULT_HORIZON_WEEKS, "W", h_unit)))
        _check_horizon(self.horizon, h_unit)
        text = self.currency.strip() if isinstance(self.currency, str) else None
        if text is None or len(text) > 8 or any(
                not (ch.isalnum() or ch in "$€£¥₹ .") for ch in text):
            raise InputError("currency must be a short code or symbol such as USD, EUR or €; "
                             f"got {self.currency!r}")
        set_(self, "currency", text)
        set_(self, "as_of", as_date(self.as_of, "as_of"))
        set_(self, "holdout_start", as_date(self.holdout_start, "holdout_start"))
        model = self.model.strip().lower() if isinstance(self.model, str) else self.model
        if model not in MODEL_CHOICES:
            raise InputError(f"model must be one of {', '.join(MODEL_CHOICES)}; got "
                             f"{self.model!r}")
        set_(self, "model", model)
        set_(self, "business", choice(self.business, "business",
                                      {c: c for c in BUSINESS_CHOICES},
                                      "one of " + ", ".join(BUSINESS_CHOICES)))

    # ------------------------------------------------------------------ parsers
    @classmethod
    def parse(cls, **kwargs: Any) -> Assumptions:
        """From keyword arguments; ``None`` keeps a field's default, an unknown name is an
        :class:`InputError` listing the known ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise InputError(f"unknown assumption {', '.join(unknown)}; known: "
                             f"{', '.join(sorted(known))}")
        return cls(**{k: v for k, v in kwargs.items() if v is not None})

    @classmethod
    def from_strings(cls, labels: dict[str, str] | None = None,
                     **texts: str | None) -> Assumptions:
        """From texts such as command-line options (``"0.3"``, ``"weeks"``, ``"1997-09-30"``);
        ``None`` or blank keeps the default. ``labels`` (field -> where the user typed it, e.g.
        ``"option --margin"``) is added to an error message."""
        values = {k: (None if isinstance(v, str) and not v.strip() else v)
                  for k, v in texts.items()}
        return _located(lambda: cls.parse(**values), labels or {})

    @classmethod
    def from_cells(cls, cells: dict[str, Any]) -> Assumptions:
        """From the template's ``ASSUME_*`` cells (defined name -> cell value), as a refresh
        reads them; a missing or blank cell keeps its default. The cells hold the horizon in
        model time units and the discount rate per month (:data:`CELL_FIELDS`)."""
        values = {field: cells.get(name) for name, field in CELL_FIELDS.items()}
        labels = {field: f"Assumptions cell {name}" for name, field in CELL_FIELDS.items()}
        return cls.from_strings(labels, **values)

    # ------------------------------------------------------------------ derived values
    @property
    def horizon_model_units(self) -> float:
        """The horizon in model time units (what the template's ASSUME_HORIZON cell shows)."""
        return float(convert(self.horizon, self.horizon_unit, self.time_unit))

    @property
    def discount_per_horizon_unit(self) -> float:
        """The discount rate per period of ``horizon_unit`` (CLV is discounted once a period),
        converted once here: ``(1 + d) ** (length ratio) - 1``."""
        return self.discount_per(self.horizon_unit)

    def discount_per(self, unit_code: str) -> float:
        """The discount rate per ``unit_code`` (the one conversion, compound)."""
        if unit_code == self.discount_unit:
            return float(self.discount_rate)
        return float(convert_rate(self.discount_rate, self.discount_unit, unit_code))

    def cells(self) -> dict[str, Any]:
        """The template's ``ASSUME_*`` cells (inverse of :meth:`from_cells`)."""
        return {
            "ASSUME_CAC": float(self.cac),
            "ASSUME_MARGIN": float(self.margin),
            "ASSUME_DISCOUNT_RATE": self.discount_per("M"),
            "ASSUME_HORIZON": self.horizon_model_units,
            "ASSUME_INACTIVITY": float(self.inactivity),
            "ASSUME_TIME_UNIT": UNIT_NAMES[self.time_unit],
            "ASSUME_KPI_PERIOD": UNIT_NAMES[self.kpi_period],
            "ASSUME_PALIVE_GUARD": float(self.palive_guard),
            "ASSUME_CURRENCY": self.currency,
            "ASSUME_MODEL": self.model,
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (units as codes, dates as ISO text or None)."""
        def iso(d: pd.Timestamp | None) -> str | None:
            return None if d is None else pd.Timestamp(d).date().isoformat()

        return {
            "cac": float(self.cac),
            "margin": float(self.margin),
            "currency": self.currency,
            "discount_rate": float(self.discount_rate),
            "discount_unit": self.discount_unit,
            "horizon": float(self.horizon),
            "horizon_unit": self.horizon_unit,
            "inactivity": float(self.inactivity),
            "time_unit": self.time_unit,
            "kpi_period": self.kpi_period,
            "as_of": iso(self.as_of),
            "holdout_start": iso(self.holdout_start),
            "model": self.model,
            "palive_guard": float(self.palive_guard),
            "business": self.business,
        }

    def as_fields(self) -> dict[str, Any]:
        """The fields as keyword arguments of the constructor."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


#: Template defined name -> field (the Assumptions sheet's yellow input cells).
CELL_FIELDS: dict[str, str] = {
    "ASSUME_CAC": "cac",
    "ASSUME_MARGIN": "margin",
    "ASSUME_DISCOUNT_RATE": "discount_rate",
    "ASSUME_HORIZON": "horizon",
    "ASSUME_INACTIVITY": "inactivity",
    "ASSUME_TIME_UNIT": "time_unit",
    "ASSUME_KPI_PERIOD": "kpi_period",
    "ASSUME_PALIVE_GUARD": "palive_guard",
    "ASSUME_CURRENCY": "currency",
    "ASSUME_MODEL": "model",
}


def _located(make: Any, labels: dict[str, str]) -> Assumptions:
    """``make()``, with ``labels[field]`` appended to an error about ``field``."""
    try:
        return make()
    except InputError as exc:
        text = str(exc)
        field = next((f for f in labels if text.startswith(f + " ")), None)
        if field is None:
            raise
        raise InputError(f"{text} ({labels[field]})") from None


def _check_horizon(horizon: float, horizon_unit: str) -> None:
    years = float(convert(horizon, horizon_unit, "D")) / 365.25
    if years > MAX_HORIZON_YEARS:
        raise InputError(f"horizon must be at most {MAX_HORIZON_YEARS:g} years; got "
                         f"{horizon:g} {UNIT_NAMES[horizon_unit]} ({years:,.0f} years)")
    if math.ceil(horizon) > MAX_HORIZON_PERIODS:
        raise InputError(f"horizon must be at most {MAX_HORIZON_PERIODS:,} periods of "
                         f"{UNIT_NAMES[horizon_unit]}; got {horizon:g} (use a longer time unit)")
