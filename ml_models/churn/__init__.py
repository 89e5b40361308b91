"""Customer analytics for one business: RFM, segments, churn probability and predicted lifetime value.

Plain pandas / scikit-learn / scipy, no Django: DataFrames of sale lines in, DataFrames out. Every
function takes the business's sale lines ``[customer_id, invoice, timestamp, amount]`` (``amount`` is the
line total, negative for a return; a null ``customer_id`` is an anonymous sale) and an ``as_of`` timestamp,
and reads only the lines dated on or before it.

The Django service needs only ``score_customers`` and ``segment_summary``; the other functions are the
steps it is made of, public so that each can be tested and reused.
"""

from ml_models.churn.clv import predict_clv
from ml_models.churn.features import FEATURE_COLUMNS, churn_features
from ml_models.churn.model import (
    HIGH_RISK_THRESHOLD,
    MEDIUM_RISK_THRESHOLD,
    ChurnModel,
    churn_risk,
    recency_churn_probability,
    train_churn_model,
)
from ml_models.churn.rfm import RFM_COLUMNS, rfm_table
from ml_models.churn.scoring import (
    SCORE_COLUMNS,
    SUGGESTED_OFFERS,
    CustomerScores,
    score_customers,
    segment_summary,
)
from ml_models.churn.segments import SEGMENTS, segment_customers

__all__ = [
    "FEATURE_COLUMNS",
    "HIGH_RISK_THRESHOLD",
    "MEDIUM_RISK_THRESHOLD",
    "RFM_COLUMNS",
    "SCORE_COLUMNS",
    "SEGMENTS",
    "SUGGESTED_OFFERS",
    "ChurnModel",
    "CustomerScores",
    "churn_features",
    "churn_risk",
    "predict_clv",
    "recency_churn_probability",
    "rfm_table",
    "score_customers",
    "segment_customers",
    "segment_summary",
    "train_churn_model",
]
