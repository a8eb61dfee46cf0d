"""Competition metrics, equal to scikit-learn 1.2's (golden g10); labels are 1 = fake, 0 = real.

    >>> import dfd.metrics
    >>> dfd.metrics.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> dfd.metrics.log_loss(y, p, eps=dfd.metrics.DFDC_LOG_LOSS_EPS)   # the DFDC's clipping
"""

from ._dfd.metrics import (  # noqa: F401
    DFDC_LOG_LOSS_EPS,
    accuracy,
    equal_error_rate,
    f1,
    log_loss,
    precision,
    recall,
    roc_auc,
    roc_curve,
    tpr_at_fpr,
    write_dfdc_submission,
    write_ffdv_submission,
)

__all__ = [
    "DFDC_LOG_LOSS_EPS",
    "accuracy",
    "equal_error_rate",
    "f1",
    "log_loss",
    "precision",
    "recall",
    "roc_auc",
    "roc_curve",
    "tpr_at_fpr",
    "write_dfdc_submission",
    "write_ffdv_submission",
]
