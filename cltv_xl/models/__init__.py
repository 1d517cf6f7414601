"""Probabilistic customer-base models and model-based CLV.

* :class:`BGNBD` - Fader, Hardie & Lee (2005), *Marketing Science* 24(2)
* :class:`MBGNBD` - Batislam, Denizel & Filiztekin (2007): BG/NBD where one-time buyers can lapse
* :class:`ParetoNBD` - Schmittlein, Morrison & Colombo (1987); Fader & Hardie (2005) note 009
* :class:`BGBB` - Fader, Hardie & Shang (2010): discrete-time (per-period) purchase opportunities
* :class:`GammaGamma` - Fader & Hardie (2013), note 025 (spend per transaction)
* :class:`SBG` - Fader & Hardie (2007), shifted-beta-geometric contract renewals
* :func:`predict_clv` - discounted CLV per customer
* :func:`calibration_holdout`, :func:`tracking` - validation on a holdout period
* :func:`compare_models` - fit BG/NBD, MBG/NBD and Pareto/NBD and choose by holdout error or BIC

Warnings: :class:`ConvergenceWarning` (fit did not converge; ``converged_`` is False) and
:class:`ModelWarning` (fitted, but read the message). Errors: ``cltv_xl.errors.FitError`` (the
data cannot identify the model) and ``InputError`` (bad arguments).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

#: Where each public name lives. The submodules are imported on first use (PEP 562), so
#: ``import cltv_xl.models.sbg`` or the report's import of this package does not pay for the
#: models it never fits (and scipy.stats is imported only when BG/BB predicts).
_WHERE = {
    "FittedModel": "._base",
    "PurchaseModel": "._base",
    "ConvergenceWarning": "._fitting",
    "ModelWarning": "._fitting",
    "BGBB": ".bgbb",
    "BGNBD": ".bgnbd",
    "predict_clv": ".clv",
    "GammaGamma": ".gammagamma",
    "TrackingResult": ".holdout",
    "calibration_holdout": ".holdout",
    "tracking": ".holdout",
    "MBGNBD": ".mbgnbd",
    "ParetoNBD": ".paretonbd",
    "SBG": ".sbg",
    "MODELS": ".selection",
    "ModelComparison": ".selection",
    "compare_models": ".selection",
}

if TYPE_CHECKING:
    from ._base import FittedModel, PurchaseModel
    from ._fitting import ConvergenceWarning, ModelWarning
    from .bgbb import BGBB
    from .bgnbd import BGNBD
    from .clv import predict_clv
    from .gammagamma import GammaGamma
    from .holdout import TrackingResult, calibration_holdout, tracking
    from .mbgnbd import MBGNBD
    from .paretonbd import ParetoNBD
    from .sbg import SBG
    from .selection import MODELS, ModelComparison, compare_models


__getattr__ = lazy_exports(__name__, _WHERE, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "BGBB",
    "BGNBD",
    "MBGNBD",
    "MODELS",
    "SBG",
    "ConvergenceWarning",
    "FittedModel",
    "GammaGamma",
    "ModelComparison",
    "ModelWarning",
    "ParetoNBD",
    "PurchaseModel",
    "TrackingResult",
    "calibration_holdout",
    "compare_models",
    "predict_clv",
    "tracking",
]
