"""Probabilistic customer-base models and model-based CLV.

* :class:`BGNBD` - Fader, Hardie & Lee (2005), *Marketing Science* 24(2)
* :class:`ParetoNBD` - Schmittlein, Morrison & Colombo (1987); Fader & Hardie (2005) note 009
* :class:`GammaGamma` - Fader & Hardie (2013), note 025 (spend per transaction)
* :class:`SBG` - Fader & Hardie (2007), shifted-beta-geometric contract renewals
* :func:`predict_clv` - discounted CLV per customer
* :func:`calibration_holdout`, :func:`tracking` - validation on a holdout period

Warnings: :class:`ConvergenceWarning` (fit did not converge; ``converged_`` is False) and
:class:`ModelWarning` (fitted, but read the message). Errors: ``cltv_xl.errors.FitError`` (the
data cannot identify the model) and ``InputError`` (bad arguments).
"""

from ._fitting import ConvergenceWarning, ModelWarning
from .bgnbd import BGNBD
from .clv import predict_clv
from .gammagamma import GammaGamma
from .holdout import TrackingResult, calibration_holdout, tracking
from .paretonbd import ParetoNBD
from .sbg import SBG

__all__ = [
    "BGNBD",
    "SBG",
    "ConvergenceWarning",
    "GammaGamma",
    "ModelWarning",
    "ParetoNBD",
    "TrackingResult",
    "calibration_holdout",
    "predict_clv",
    "tracking",
]
