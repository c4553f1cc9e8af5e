"""The SPEC §9 forecast of a company's customers, from the extract step's aggregates.

The glue between the per-customer aggregates (one row per customer) and ``predict.py``: each
customer's order history ``x, t_x, T`` in days and ``m_x``, the fits of a full run (or the
parameters a refresh is given), and the six forecast figures. No Odoo import.

A figure is empty (NaN, stored as NULL) where the model that feeds it has no fit, and for a
customer without an order day. ``churn_usual_revenue`` needs no model: it is set for every
customer with an order day.
"""

import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from . import predict

FORECAST_COLUMNS = (
    "churn_p_alive",
    "churn_expected_orders",
    "churn_expected_order_value",
    "churn_expected_revenue",
    "churn_usual_revenue",
    "churn_revenue_at_stake",
)
# The span whose revenue sets a customer's usual pace (SPEC §9), whatever the value window.
USUAL_PACE_DAYS = 365

# Why a model has no fit, as the run stores it.
TOO_FEW_CUSTOMERS = "too_few_customers"
NO_MAXIMUM = "no_maximum"
NO_FINITE_MEAN = "no_finite_mean"
FIT_FAILURES = [
    (TOO_FEW_CUSTOMERS, "Too few repeat customers"),
    (NO_MAXIMUM, "No convergence"),
    (NO_FINITE_MEAN, "No finite mean (q <= 1)"),
]


@dataclass(frozen=True)
class Fits:
    """A company's fitted models: what a run stores and a refresh reuses.

    ``orders`` holds the MBG/NBD ``r, alpha, a, b, log_likelihood`` and ``spend`` the Gamma-Gamma
    ``p, q, v``, each None without a fit; then ``*_failure`` says why (one of FIT_FAILURES) and
    ``*_detail`` gives the library's own words. ``repeat_customers`` have an ``x >= 1``;
    ``spend_customers`` also a positive ``m_x``. ``seconds``: the fits and the figures they feed.
    """

    orders: dict | None = None
    orders_failure: str | None = None
    orders_detail: str | None = None
    spend: dict | None = None
    spend_failure: str | None = None
    spend_detail: str | None = None
    repeat_customers: int = 0
    spend_customers: int = 0
    seconds: float = 0.0

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        return cls(**values)


def order_histories(aggregates, as_of):
    """``x, t_x, T`` (days) and ``m_x`` of the customers with an order day up to ``as_of``.

    ``aggregates`` has ``order_days`` (distinct order days), ``first_day``, ``last_day`` and
    ``m_x`` (the mean amount of the order days after the first; NaN with one order day).
    """
    traded = aggregates[aggregates["first_day"].notna()]
    first_day = traded["first_day"]
    return pd.DataFrame(
        {
            "x": traded["order_days"].astype(float) - 1.0,
            "t_x": (traded["last_day"] - first_day).dt.days.astype(float),
            "T": (pd.Timestamp(as_of) - first_day).dt.days.astype(float),
            "m_x": traded["m_x"].astype(float),
        },
        index=traded.index,
    )


def forecast_customers(aggregates, as_of, period_days, fits=None):
    """The forecast figures of ``aggregates``' customers (same index) and the fits they come from.

    Without ``fits`` (a full run) both models are fitted on these customers; with ``fits`` (a
    refresh of a few customers) their parameters are used as they are, nothing is refitted.
    """
    histories = order_histories(aggregates, as_of)
    if fits is None:
        fits, predicted = _fit(histories, period_days)
    else:
        predicted = _predict(histories, fits, period_days)
    expected_revenue = predicted["expected_orders"] * predicted["expected_order_value"]
    usual_revenue = usual_period_revenue(aggregates.loc[histories.index, "rev_year"], histories["T"], period_days)
    traded = pd.DataFrame(
        {
            "churn_p_alive": predicted["p_alive"],
            "churn_expected_orders": predicted["expected_orders"],
            "churn_expected_order_value": predicted["expected_order_value"],
            "churn_expected_revenue": expected_revenue,
            "churn_usual_revenue": usual_revenue.to_numpy(),
            # NaN stays NaN: without an expected revenue, nothing is said about what is at stake.
            "churn_revenue_at_stake": np.maximum(0.0, usual_revenue.to_numpy() - expected_revenue),
        },
        index=histories.index,
    )
    return traded.reindex(aggregates.index), fits


def usual_period_revenue(revenue_year, T, period_days):
    """What a customer buys in ``period_days`` at its usual pace (SPEC §9).

    The revenue of the 365 days ending on as_of, spread over the days the customer was a
    customer within them (``T + 1``, at least one period, at most the 365 days).
    """
    days = np.minimum(USUAL_PACE_DAYS, np.maximum(period_days, np.asarray(T, dtype=float) + 1.0))
    return revenue_year.fillna(0.0).astype(float) * period_days / days


def _fit(histories, period_days):
    started = time.perf_counter()
    x, t_x, T, m_x = (histories[name].to_numpy() for name in ("x", "t_x", "T", "m_x"))
    prediction = predict.predict_customers(x, t_x, T, m_x, period_days)
    repeat = int((x >= 1).sum())
    spenders = int(((x >= 1) & (m_x > 0)).sum())
    fits = Fits(
        orders=prediction["mbgnbd"],
        orders_failure=_failure(prediction["mbgnbd_error"], repeat),
        orders_detail=prediction["mbgnbd_error"],
        spend=prediction["gamma_gamma"],
        spend_failure=_failure(prediction["gamma_gamma_error"], spenders),
        spend_detail=prediction["gamma_gamma_error"],
        repeat_customers=repeat,
        spend_customers=spenders,
        seconds=time.perf_counter() - started,
    )
    return fits, prediction


def _failure(error, customers):
    """The run's code for a fit's error message (None: it was fitted)."""
    if error is None:
        return None
    if customers < predict.MIN_REPEAT_CUSTOMERS:
        return TOO_FEW_CUSTOMERS
    # fit_gamma_gamma's only error once the likelihood has its maximum.
    if error.startswith("the spend model gives q"):
        return NO_FINITE_MEAN
    return NO_MAXIMUM


def _predict(histories, fits, period_days):
    x, t_x, T, m_x = (histories[name].to_numpy() for name in ("x", "t_x", "T", "m_x"))
    missing = np.full(len(histories), np.nan)
    predicted = dict.fromkeys(("p_alive", "expected_orders", "expected_order_value"), missing)
    if fits.orders:
        predicted["p_alive"] = predict.p_alive(fits.orders, x, t_x, T, modified=True)
        predicted["expected_orders"] = predict.expected_orders(fits.orders, period_days, x, t_x, T, modified=True)
    if fits.spend:
        predicted["expected_order_value"] = predict.expected_order_value(fits.spend, x, m_x)
    return predicted
