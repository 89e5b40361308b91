"""Churn probability: the chance that a customer makes no purchase in the next ``horizon_days``.

Each business gets its own model, trained on its own history with a time split that cannot leak:

- *training*: features as of past cutoffs ``c`` (lines dated <= ``c`` only), labelled by whether the
  customer made a purchase in ``(c, c + horizon]``. The cutoffs are ``as_of - 2 * horizon`` and up to
  ``EXTRA_TRAINING_CUTOFFS`` more, ``TRAINING_CUTOFF_STEP_DAYS`` apart, going back in time.
- *validation*: features as of ``as_of - horizon``, labels from ``(as_of - horizon, as_of]``. The
  training labels end where the validation features start, so validation sees only the future.
- The candidates (logistic regression on log-scaled features, gradient boosting, the average of the
  two, and the recency rule below) are compared on validation AUC; the best one is refitted on the most
  recent labelled cutoffs (``as_of - horizon`` and earlier, whose labels are all known by ``as_of``) and
  scores features as of ``as_of``. ``validation_auc`` is that of the chosen candidate as fitted without
  the validation window.

When the history is too short (less than ``2 * horizon + MIN_HISTORY_DAYS`` days of identified sales),
has fewer than ``MIN_CUSTOMERS`` customers at a cutoff, or either label class has fewer than
``MIN_CLASS_COUNT`` customers, there is nothing honest to train on: the model falls back to the recency
rule (``recency_churn_probability``) and its ``note`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from ml_models.churn._lines import PreparedLines, invoice_table, normalise_timestamp, prepare_lines
from ml_models.churn.features import FEATURE_COLUMNS, features_from_prepared, typical_gap_days

MODEL = "model"
RECENCY_FALLBACK = "recency_fallback"

# Risk bands on the probability of no purchase in the horizon: "high" when the model expects at least
# seven in ten such customers not to come back unprompted, "low" when it expects fewer than four in ten.
HIGH_RISK_THRESHOLD = 0.7
MEDIUM_RISK_THRESHOLD = 0.4

MIN_HISTORY_DAYS = 30
MIN_CUSTOMERS = 50
MIN_CLASS_COUNT = 5
EXTRA_TRAINING_CUTOFFS = 3
TRAINING_CUTOFF_STEP_DAYS = 30
# Weight, in gaps, of the business's typical gap when estimating a customer's own rhythm.
PRIOR_GAPS = 2.0

_CANDIDATE_LABELS = {
    "logistic_regression": "logistic regression",
    "gradient_boosting": "gradient boosting",
    "average": "average of logistic regression and gradient boosting",
    RECENCY_FALLBACK: "recency rule",
}
_SHORT_LABELS = {**_CANDIDATE_LABELS, "average": "average of both"}


@dataclass
class ChurnModel:
    """A per-business churn model (or the recency rule standing in for one).

    ``method`` is ``"model"`` or ``"recency_fallback"``; ``estimator_name`` names the fitted scikit-learn
    candidate when there is one; ``validation_auc`` is ``None`` when no validation was possible;
    ``candidate_auc`` holds the validation AUC of every candidate compared; ``training_cutoffs`` the
    cutoffs the final estimator was fitted on (latest first); ``note`` explains the choice in a sentence
    or two (at most 255 characters, to fit a ``CharField``).
    """

    method: str
    note: str
    horizon_days: int
    validation_auc: float | None = None
    estimator: object | None = None
    estimator_name: str | None = None
    typical_gap_days: float = 90.0
    candidate_auc: dict[str, float] = field(default_factory=dict)
    training_cutoffs: tuple[pd.Timestamp, ...] = ()

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Return the probability of no purchase in the next ``horizon_days`` for each row of ``features``.

        ``features`` is the output of ``churn_features`` as of the day to score. The result is a
        ``float64`` Series named ``churn_probability``, same index, every value in [0, 1].
        """
        if features.empty:
            return pd.Series(dtype="float64", index=features.index, name="churn_probability")
        if self.method == MODEL and self.estimator is not None:
            # Single-threaded, like the training (see ``train_from_prepared``).
            with threadpool_limits(limits=1):
                probability = self.estimator.predict_proba(features.loc[:, list(FEATURE_COLUMNS)])[:, 1]
            result = pd.Series(probability, index=features.index)
        else:
            result = recency_churn_probability(
                features, horizon_days=self.horizon_days, typical_gap_days=self.typical_gap_days
            )
        return result.clip(0.0, 1.0).fillna(1.0).rename("churn_probability")


def recency_churn_probability(
    features: pd.DataFrame, *, horizon_days: int, typical_gap_days: float
) -> pd.Series:
    """The recency rule: churn probability from how overdue a customer is against their usual rhythm.

    A customer's gap ``g`` is their mean days between purchases, shrunk toward the business's typical
    gap (weight ``PRIOR_GAPS`` gaps) so that two purchases do not make a rhythm. Then, treating purchases
    as a Poisson process while the customer is still active:

    - P(still active) = ``exp(-max(0, recency - g) / g)``: 1 until a purchase is overdue, then decaying
      by a factor e per extra gap;
    - P(buys in the horizon | active) = ``1 - exp(-horizon / g)``;
    - churn probability = 1 - P(still active) x P(buys in the horizon | active).

    It rises with recency for every customer and needs no training labels.
    """
    gaps_seen = (features["frequency"] - 1).clip(lower=0)
    gap = (gaps_seen * features["mean_gap_days"] + PRIOR_GAPS * typical_gap_days) / (gaps_seen + PRIOR_GAPS)
    gap = gap.clip(lower=1.0)
    overdue = (features["recency_days"] - gap).clip(lower=0.0)
    still_active = np.exp(-overdue / gap)
    buys_if_active = 1.0 - np.exp(-horizon_days / gap)
    return (1.0 - still_active * buys_if_active).rename("churn_probability")


def churn_risk(probability):
    """Band a churn probability (a float or a Series of them) as ``"high"``, ``"medium"`` or ``"low"``.

    ``high`` at ``HIGH_RISK_THRESHOLD`` (0.7) and above, ``medium`` from ``MEDIUM_RISK_THRESHOLD`` (0.4),
    ``low`` below. A missing probability is banded ``high``: no evidence of a coming purchase.
    """
    if isinstance(probability, pd.Series):
        values = probability.to_numpy(dtype="float64", na_value=np.nan)
        bands = np.select(
            [np.isnan(values) | (values >= HIGH_RISK_THRESHOLD), values >= MEDIUM_RISK_THRESHOLD],
            ["high", "medium"],
            default="low",
        )
        return pd.Series(bands, index=probability.index, name="churn_risk", dtype="object")
    if probability is None or np.isnan(probability) or probability >= HIGH_RISK_THRESHOLD:
        return "high"
    return "medium" if probability >= MEDIUM_RISK_THRESHOLD else "low"


def train_churn_model(lines: pd.DataFrame, *, as_of, horizon_days: int = 90) -> ChurnModel:
    """Train, validate and return the churn model of one business as of ``as_of``.

    Only lines dated <= ``as_of`` are used. See the module docstring for the time split and the fallback.
    """
    return train_from_prepared(prepare_lines(lines), normalise_timestamp(as_of), horizon_days=horizon_days)


def labelled_sample(
    prepared: PreparedLines, cutoff: pd.Timestamp, horizon_days: int
) -> tuple[pd.DataFrame, pd.Series]:
    """Features as of ``cutoff`` and labels (1 = no purchase in ``(cutoff, cutoff + horizon]``)."""
    features = features_from_prepared(prepared, cutoff)
    following = invoice_table(prepared, cutoff + pd.Timedelta(days=horizon_days), after=cutoff)
    buyers = following.loc[following["is_purchase"], "customer"].unique()
    churned = pd.Series((~features.index.isin(buyers)).astype(np.int64), index=features.index, name="churned")
    return features, churned


def _candidates() -> dict[str, object]:
    # Soft voting with equal weights (the mean of the two probabilities), on its own fresh estimators.
    average = VotingClassifier(list(_base_candidates().items()), voting="soft")
    return {**_base_candidates(), "average": average}


def _base_candidates() -> dict[str, object]:
    return {
        "logistic_regression": make_pipeline(
            FunctionTransformer(_signed_log1p),
            StandardScaler(),
            LogisticRegression(max_iter=2000),
        ),
        # No early stopping and no subsampling: the fit is deterministic without a random seed.
        "gradient_boosting": HistGradientBoostingClassifier(
            max_iter=100,
            learning_rate=0.08,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,
        ),
    }


def _signed_log1p(values):
    # Money and counts are heavily skewed; the log keeps a few big customers from dominating the scale.
    return np.sign(values) * np.log1p(np.abs(values))


def _training_cutoffs(last_cutoff: pd.Timestamp, data_start: pd.Timestamp) -> list[pd.Timestamp]:
    cutoffs = []
    for step in range(EXTRA_TRAINING_CUTOFFS + 1):
        cutoff = last_cutoff - pd.Timedelta(days=step * TRAINING_CUTOFF_STEP_DAYS)
        if cutoff - data_start >= pd.Timedelta(days=MIN_HISTORY_DAYS):
            cutoffs.append(cutoff)
    return cutoffs


def _stack(samples_by_cutoff, prepared, cutoffs, horizon_days):
    for cutoff in cutoffs:
        if cutoff not in samples_by_cutoff:
            samples_by_cutoff[cutoff] = labelled_sample(prepared, cutoff, horizon_days)
    samples = [samples_by_cutoff[cutoff] for cutoff in cutoffs]
    features = pd.concat([sample[0] for sample in samples], ignore_index=True)
    labels = pd.concat([sample[1] for sample in samples], ignore_index=True)
    return features.loc[:, list(FEATURE_COLUMNS)], labels, samples


def _problem_with(labels: pd.Series, what: str) -> str | None:
    if len(labels) < MIN_CUSTOMERS:
        return f"only {len(labels)} customers at the {what} cutoff (at least {MIN_CUSTOMERS} are needed)"
    counts = labels.value_counts()
    churned, stayed = int(counts.get(1, 0)), int(counts.get(0, 0))
    if min(churned, stayed) < MIN_CLASS_COUNT:
        return (
            f"the {what} labels have {stayed} returning and {churned} churned customers "
            f"(at least {MIN_CLASS_COUNT} of each are needed)"
        )
    return None


def train_from_prepared(
    prepared: PreparedLines,
    as_of: pd.Timestamp,
    *,
    horizon_days: int = 90,
    current_features: pd.DataFrame | None = None,
) -> ChurnModel:
    """``train_churn_model`` on prepared lines; ``current_features`` (as of ``as_of``) saves recomputing.

    Training runs single-threaded: on a few thousand rows, OpenMP and BLAS threads cost more in start-up
    than they save, and when other processes (other Celery workers) hold the cores, spinning threads
    made a one-second fit take over ten. Parallelism belongs to the workers, one business each.
    """
    with threadpool_limits(limits=1):
        return _train(prepared, as_of, horizon_days=horizon_days, current_features=current_features)


def _train(prepared, as_of, *, horizon_days, current_features) -> ChurnModel:
    horizon = pd.Timedelta(days=horizon_days)
    if current_features is None:
        current_features = features_from_prepared(prepared, as_of)
    gap = typical_gap_days(current_features)

    def fallback(reason: str, validation_auc: float | None = None, candidate_auc=None) -> ChurnModel:
        return ChurnModel(
            method=RECENCY_FALLBACK,
            note=f"Recency-based estimate, not a trained model: {reason}.",
            horizon_days=horizon_days,
            validation_auc=validation_auc,
            typical_gap_days=gap,
            candidate_auc=candidate_auc or {},
        )

    data_start = prepared.first_timestamp
    if data_start is None or data_start > as_of:
        return fallback("there are no identified customers' sales yet")
    history_days = (as_of - data_start) / pd.Timedelta(days=1)
    needed_days = 2 * horizon_days + MIN_HISTORY_DAYS
    if history_days < needed_days:
        return fallback(
            f"{history_days:.0f} days of history, and training with a {horizon_days}-day horizon needs "
            f"{needed_days} (two {horizon_days}-day label windows and {MIN_HISTORY_DAYS} days before them)"
        )

    validation_cutoff = as_of - horizon
    first_training_cutoff = validation_cutoff - horizon
    samples_by_cutoff: dict[pd.Timestamp, tuple[pd.DataFrame, pd.Series]] = {}
    _, first_training_labels, _ = _stack(samples_by_cutoff, prepared, [first_training_cutoff], horizon_days)
    validation_features, validation_labels = labelled_sample(prepared, validation_cutoff, horizon_days)

    validation_problem = _problem_with(validation_labels, "validation")
    problem = _problem_with(first_training_labels, "training") or validation_problem
    if problem is not None:
        # The rule needs no training, so it can still be validated when only the training data is short.
        validation_auc = None
        if validation_problem is None:
            rule = recency_churn_probability(
                validation_features,
                horizon_days=horizon_days,
                typical_gap_days=typical_gap_days(validation_features),
            )
            validation_auc = float(roc_auc_score(validation_labels, rule))
        return fallback(problem, validation_auc)

    train_features, train_labels, _ = _stack(
        samples_by_cutoff, prepared, _training_cutoffs(first_training_cutoff, data_start), horizon_days
    )
    candidate_auc: dict[str, float] = {}
    probabilities = {}
    for name, estimator in _base_candidates().items():
        estimator.fit(train_features, train_labels)
        probabilities[name] = estimator.predict_proba(validation_features.loc[:, list(FEATURE_COLUMNS)])[:, 1]
    # What the soft-voting candidate would predict, without fitting both models a second time.
    probabilities["average"] = (probabilities["logistic_regression"] + probabilities["gradient_boosting"]) / 2
    for name, probability in probabilities.items():
        candidate_auc[name] = float(roc_auc_score(validation_labels, probability))
    rule = recency_churn_probability(
        validation_features, horizon_days=horizon_days, typical_gap_days=typical_gap_days(validation_features)
    )
    candidate_auc[RECENCY_FALLBACK] = float(roc_auc_score(validation_labels, rule))

    # On a tie the simpler candidate wins: the recency rule, then logistic regression.
    preference = [RECENCY_FALLBACK, "logistic_regression", "gradient_boosting", "average"]
    best = max(preference, key=lambda name: (round(candidate_auc[name], 4), -preference.index(name)))
    comparison = ", ".join(
        f"{_SHORT_LABELS[name]} {auc:.3f}" for name, auc in candidate_auc.items() if name != best
    )
    validated_on = (
        f"on {len(validation_labels):,} customers as of {validation_cutoff:%Y-%m-%d} "
        f"(next {horizon_days} days)"
    )
    if best == RECENCY_FALLBACK:
        return fallback(
            f"no trained model beat it on validation {validated_on}: recency rule "
            f"{candidate_auc[best]:.3f}, {comparison}",
            candidate_auc[best],
            candidate_auc,
        )

    final_cutoffs = _training_cutoffs(validation_cutoff, data_start)
    final_features, final_labels, _ = _stack(samples_by_cutoff, prepared, final_cutoffs, horizon_days)
    estimator = _candidates()[best]
    estimator.fit(final_features, final_labels)
    note = (
        f"Trained on this business's history: {_CANDIDATE_LABELS[best]}, validation AUC "
        f"{candidate_auc[best]:.3f} {validated_on}; others: {comparison}."
    )
    return ChurnModel(
        method=MODEL,
        note=note,
        horizon_days=horizon_days,
        validation_auc=candidate_auc[best],
        estimator=estimator,
        estimator_name=best,
        typical_gap_days=gap,
        candidate_auc=candidate_auc,
        training_cutoffs=tuple(final_cutoffs),
    )
