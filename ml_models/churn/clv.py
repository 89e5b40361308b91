"""Predicted customer lifetime value: expected purchases (BG/NBD) x expected order value (Gamma-Gamma).

Both models are fitted per business by maximum likelihood with ``scipy.optimize``, following
Fader, Hardie & Lee, "Counting your customers the easy way" (2005) for BG/NBD and Fader & Hardie,
"The Gamma-Gamma model of monetary value" (2013). Inputs come from ``rfm_table``, in weeks:

- ``x`` = repeat purchases = ``frequency - 1``
- ``t_x`` = weeks from the first to the last purchase = ``(tenure_days - recency_days) / 7``
- ``T`` = weeks from the first purchase to ``as_of`` = ``tenure_days / 7``

When a fit cannot be trusted (too few customers or repeat customers, no convergence, parameters that
make the expectation undefined, or non-finite predictions), a simple estimate replaces it:

- purchases: the customer's historical rate (purchases per day over their tenure, but at least
  ``MIN_RATE_DAYS`` and at least their usual gap between purchases) x the horizon x the probability
  that they are still active (the recency rule of ``model.py``);
- order value: the average order value shrunk toward the business's mean, one order's worth.

Predictions are never NaN and never negative; customers without a purchase are worth 0.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, special

from ml_models.churn.features import DEFAULT_GAP_DAYS

MIN_CUSTOMERS_TO_FIT = 20
MIN_REPEAT_CUSTOMERS_TO_FIT = 5
MIN_RATE_DAYS = 30
BG_NBD = "bg_nbd"
GAMMA_GAMMA = "gamma_gamma"
SIMPLE = "simple"
# Bounds on the log of every parameter: wide enough for real data, narrow enough to keep exp() finite.
_LOG_BOUNDS = (-12.0, 12.0)


def predict_clv(
    rfm: pd.DataFrame, *, horizon_days: int = 365, churn_probability: pd.Series | None = None
) -> pd.Series:
    """Return each customer's predicted net spend over the next ``horizon_days``, undiscounted.

    ``rfm`` is the output of ``rfm_table``. The result is a ``float64`` Series named ``predicted_clv``,
    same index, rounded to cents, every value finite and >= 0. ``result.attrs["method"]`` says which
    estimates were used, e.g. ``"bg_nbd x gamma_gamma"`` or ``"simple x gamma_gamma"``.

    With ``churn_probability`` (same index), the value is consistent with that churn estimate: the
    purchases expected *if the customer is still active* times ``1 - churn_probability``, instead of the
    purchase model's own chance that they are active. (BG/NBD takes every one-order customer to be
    active, so on its own it would give a one-off buyer the churn model calls 94% gone a full year's
    worth of orders.)
    """
    buyers = rfm.loc[rfm["frequency"] > 0]
    result = pd.Series(0.0, index=rfm.index, name="predicted_clv")
    if buyers.empty:
        result.attrs["method"] = "no purchases"
        return result
    frequency = buyers["frequency"].to_numpy(dtype=np.float64)
    tenure = buyers["tenure_days"].to_numpy(dtype=np.float64)
    recency = buyers["recency_days"].to_numpy(dtype=np.float64)
    purchases, purchases_method, active = _expected_purchases(frequency, recency, tenure, horizon_days)
    if churn_probability is not None:
        staying = 1.0 - churn_probability.reindex(buyers.index).fillna(0.0).clip(0.0, 1.0).to_numpy(float)
        purchases = purchases / np.clip(active, 1e-12, None) * staying
    value, value_method = expected_order_value(
        frequency, buyers["average_order_value"].to_numpy(dtype=np.float64)
    )
    clv = np.nan_to_num(purchases * value, nan=0.0, posinf=0.0, neginf=0.0).clip(min=0.0)
    result.loc[buyers.index] = np.round(clv, 2)
    result.attrs["method"] = f"{purchases_method} x {value_method}"
    return result


def expected_purchases(
    frequency: np.ndarray, recency_days: np.ndarray, tenure_days: np.ndarray, *, horizon_days: int
) -> tuple[np.ndarray, str]:
    """Expected purchases in the next ``horizon_days`` for customers with at least one purchase.

    Returns the predictions and the method used (``"bg_nbd"`` or ``"simple"``).
    """
    predicted, method, _active = _expected_purchases(frequency, recency_days, tenure_days, horizon_days)
    return predicted, method


def _expected_purchases(frequency, recency_days, tenure_days, horizon_days):
    """Expected purchases, the method, and the probability of being active that the method assumed."""
    x = frequency - 1.0
    t_x = np.clip(tenure_days - recency_days, 0.0, None) / 7.0
    big_t = tenure_days / 7.0
    parameters = fit_bg_nbd(x, t_x, big_t)
    if parameters is not None:
        predicted = bg_nbd_conditional_expected_purchases(parameters, x, t_x, big_t, horizon_days / 7.0)
        if np.all(np.isfinite(predicted)) and np.all(predicted >= 0):
            return predicted, BG_NBD, bg_nbd_probability_alive(parameters, x, t_x, big_t)
    predicted, active = _simple_expected_purchases(frequency, recency_days, tenure_days, horizon_days)
    return predicted, SIMPLE, active


def expected_order_value(frequency: np.ndarray, average_order_value: np.ndarray) -> tuple[np.ndarray, str]:
    """Expected value of a future order for customers with at least one purchase (>= 0).

    Returns the predictions and the method used (``"gamma_gamma"`` or ``"simple"``).
    """
    value = np.clip(average_order_value, 0.0, None)
    parameters = fit_gamma_gamma(frequency, value)
    if parameters is not None:
        p, q, gamma = parameters
        predicted = p * (gamma + frequency * value) / (p * frequency + q - 1.0)
        if np.all(np.isfinite(predicted)) and np.all(predicted >= 0):
            return predicted, GAMMA_GAMMA
    positive = value[value > 0]
    mean_value = float(positive.mean()) if len(positive) else 0.0
    # One pseudo-order at the business's mean: a single order is weak evidence of a customer's level.
    return (frequency * value + mean_value) / (frequency + 1.0), SIMPLE


def bg_nbd_log_likelihood(parameters, x, t_x, big_t) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood for ``parameters = (r, alpha, a, b)``."""
    r, alpha, a, b = parameters
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    beta_ab = special.betaln(a, b)
    alive_term = special.betaln(a, b + x) - beta_ab - (r + x) * np.log(alpha + big_t)
    repeat = x > 0
    dropout_term = np.full_like(x, -np.inf, dtype=np.float64)
    dropout_term[repeat] = (
        special.betaln(a + 1.0, b + x[repeat] - 1.0) - beta_ab - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    )
    return common + np.logaddexp(alive_term, dropout_term)


def fit_bg_nbd(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> tuple[float, float, float, float] | None:
    """Maximum-likelihood ``(r, alpha, a, b)``, or ``None`` when the fit cannot be trusted.

    Untrustworthy: fewer than ``MIN_CUSTOMERS_TO_FIT`` customers or ``MIN_REPEAT_CUSTOMERS_TO_FIT``
    repeat customers, no convergence, a parameter at its bound, or ``a`` within 0.01 of 1 (the
    conditional expectation divides by ``a - 1``; it is well defined on both sides of 1, but not near it).
    """
    if len(x) < MIN_CUSTOMERS_TO_FIT or int(np.sum(x > 0)) < MIN_REPEAT_CUSTOMERS_TO_FIT:
        return None
    # Customers with the same (x, t_x, T) have the same likelihood: fit on the distinct rows, weighted.
    rows, counts = np.unique(np.column_stack([x, t_x, big_t]), axis=0, return_counts=True)
    unique_x, unique_t_x, unique_t = rows[:, 0], rows[:, 1], rows[:, 2]
    scale = float(np.mean(big_t)) or 1.0

    def negative_log_likelihood(log_parameters):
        parameters = np.exp(log_parameters)
        value = -np.sum(counts * bg_nbd_log_likelihood(parameters, unique_x, unique_t_x, unique_t))
        return value / len(x) if np.isfinite(value) else 1e10

    start = np.log([1.0, scale, 1.0, 1.0])
    parameters = _minimise(negative_log_likelihood, start, bounds=[_LOG_BOUNDS] * 4)
    if parameters is None or abs(parameters[2] - 1.0) < 0.01:
        return None
    return tuple(float(value) for value in parameters)


def bg_nbd_conditional_expected_purchases(parameters, x, t_x, big_t, horizon_weeks: float) -> np.ndarray:
    """E[purchases in (T, T + horizon] | x, t_x, T] under BG/NBD (Fader, Hardie & Lee 2005, eq. 10)."""
    r, alpha, a, b = parameters
    z = horizon_weeks / (alpha + big_t + horizon_weeks)
    hypergeometric = special.hyp2f1(r + x, b + x, a + b + x - 1.0, z)
    log_ratio = (r + x) * np.log((alpha + big_t) / (alpha + big_t + horizon_weeks))
    numerator = (a + b + x - 1.0) / (a - 1.0) * (1.0 - np.exp(log_ratio) * hypergeometric)
    return numerator / _inverse_probability_alive(parameters, x, t_x, big_t)


def bg_nbd_probability_alive(parameters, x, t_x, big_t) -> np.ndarray:
    """P(the customer has not dropped out) under BG/NBD."""
    return 1.0 / _inverse_probability_alive(parameters, x, t_x, big_t)


def _inverse_probability_alive(parameters, x, t_x, big_t) -> np.ndarray:
    r, alpha, a, b = parameters
    repeat = x > 0
    log_odds = np.full_like(x, -np.inf, dtype=np.float64)
    log_odds[repeat] = (
        np.log(a)
        - np.log(b + x[repeat] - 1.0)
        + (r + x[repeat]) * (np.log(alpha + big_t[repeat]) - np.log(alpha + t_x[repeat]))
    )
    return 1.0 + np.exp(np.clip(log_odds, None, 700.0))


def fit_gamma_gamma(frequency: np.ndarray, value: np.ndarray) -> tuple[float, float, float] | None:
    """Maximum-likelihood Gamma-Gamma ``(p, q, gamma)`` on customers with a positive average order value.

    ``None`` when there are fewer than ``MIN_CUSTOMERS_TO_FIT`` such customers, the fit fails, or
    ``q <= 1`` (the conditional expectation divides by ``p x + q - 1``; the population mean needs q > 1).
    """
    usable = value > 0
    if int(np.sum(usable)) < MIN_CUSTOMERS_TO_FIT:
        return None
    n = frequency[usable]
    m = value[usable]
    scale = float(np.mean(m))

    def negative_log_likelihood(log_parameters):
        p, q, gamma = np.exp(log_parameters)
        log_likelihood = (
            special.gammaln(p * n + q)
            - special.gammaln(p * n)
            - special.gammaln(q)
            + q * np.log(gamma)
            + (p * n - 1.0) * np.log(m)
            + p * n * np.log(n)
            - (p * n + q) * np.log(gamma + n * m)
        )
        value_sum = -np.sum(log_likelihood)
        return value_sum / len(n) if np.isfinite(value_sum) else 1e10

    start = np.log([1.0, 2.0, scale])
    parameters = _minimise(negative_log_likelihood, start, bounds=[_LOG_BOUNDS] * 3)
    if parameters is None or parameters[1] <= 1.0:
        return None
    return tuple(float(value) for value in parameters)


def _minimise(function, start, *, bounds) -> np.ndarray | None:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = optimize.minimize(function, start, method="L-BFGS-B", bounds=bounds)
    if not result.success or not np.all(np.isfinite(result.x)):
        return None
    low, high = bounds[0]
    if np.any(np.isclose(result.x, low, atol=1e-3)) or np.any(np.isclose(result.x, high, atol=1e-3)):
        return None
    return np.exp(result.x)


def _simple_expected_purchases(frequency, recency_days, tenure_days, horizon_days):
    """Expected purchases and the probability of being active they assume (the recency rule)."""
    repeat = frequency >= 2
    own_gap = np.where(repeat, (tenure_days - recency_days) / np.clip(frequency - 1.0, 1.0, None), np.nan)
    typical_gap = float(np.nanmedian(own_gap)) if np.any(repeat) else DEFAULT_GAP_DAYS
    gap = np.clip(np.where(repeat, own_gap, typical_gap), 1.0, None)
    # Over a short tenure one purchase says little about the rate: spread it over at least one usual gap
    # (a first purchase last week is not a purchase a week).
    rate = frequency / np.maximum(np.clip(tenure_days, MIN_RATE_DAYS, None), gap)
    still_active = np.exp(-np.clip(recency_days - gap, 0.0, None) / gap)
    return rate * horizon_days * still_active, still_active
