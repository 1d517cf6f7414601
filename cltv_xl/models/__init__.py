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
