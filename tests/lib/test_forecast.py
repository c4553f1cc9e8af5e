"""The SPEC §9 forecast of a company's customers from their aggregates (lib/forecast.py), without Odoo.

Each story builds the aggregates the extraction step gives (distinct order days, first and last
order day, the mean amount of the order days after the first, the revenue of the 365 days ending
on as_of) and reads the six forecast figures. Expected values come from the SPEC's formulas,
written out here with scipy, never from lib/predict.py's own functions; the fits themselves are
lib/predict.py's (tests/lib/test_predict.py), so a full run is checked against its
``predict_customers`` on the same histories.
"""

import json
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import special

from odoo.addons.customer_churn_cockpit.lib import forecast, predict

from clv_simulation import simulate_mbgnbd, simulate_spend

AS_OF = date(2025, 6, 30)
P = 30
ORDERS = {"r": 0.8, "alpha": 12.0, "a": 0.6, "b": 3.5, "log_likelihood": -1000.0}
SPEND = {"p": 5.0, "q": 3.0, "v": 80.0}


def customer(partner_id, first_ago=None, last_ago=None, order_days=1, m_x=math.nan, rev_year=math.nan):
    """One customer's aggregates; ``first_ago`` None is a customer that never ordered."""
    traded = first_ago is not None
    return {
        "partner_id": partner_id,
        "first_day": AS_OF - timedelta(days=first_ago) if traded else None,
        "last_day": AS_OF - timedelta(days=first_ago if last_ago is None else last_ago) if traded else None,
        "order_days": order_days if traded else math.nan,
        "m_x": m_x,
        "rev_year": rev_year,
    }


def aggregates(*rows):
    frame = pd.DataFrame(list(rows)).set_index("partner_id")
    for name in ("first_day", "last_day"):
        frame[name] = pd.to_datetime(frame[name])
    return frame.astype({"order_days": float, "m_x": float, "rev_year": float})


def spec_p_alive(params, x, t_x, T):
    r, alpha, a, b = (params[name] for name in ("r", "alpha", "a", "b"))
    return 1.0 / (1.0 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def spec_expected_orders(params, x, t_x, T, t=P):
    r, alpha, a, b = (params[name] for name in ("r", "alpha", "a", "b"))
    bracket = 1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * special.hyp2f1(
        r + x, b + x + 1.0, a + b + x, t / (alpha + T + t)
    )
    return (a + b + x) / (a - 1.0) * bracket * spec_p_alive(params, x, t_x, T)


def spec_order_value(params, x, m_x):
    p, q, v = (params[name] for name in ("p", "q", "v"))
    population = p * v / (q - 1.0)
    if x >= 1 and m_x > 0:
        return (q - 1.0) / (p * x + q - 1.0) * population + p * x / (p * x + q - 1.0) * m_x
    return population


def test_order_history_in_days():
    """First order 40 days before as_of, last 10 days before, 4 order days: x = 3, t_x = 30, T = 40."""
    histories = forecast.order_histories(aggregates(customer(7, 40, 10, order_days=4, m_x=55.0)), AS_OF)
    assert histories.loc[7].to_dict() == {"x": 3.0, "t_x": 30.0, "T": 40.0, "m_x": 55.0}


def test_a_customer_that_never_ordered_has_no_history():
    histories = forecast.order_histories(aggregates(customer(1), customer(2, 5)), AS_OF)
    assert list(histories.index) == [2]


@pytest.mark.parametrize(
    "T, revenue, usual",
    [
        (0, 300.0, 300.0),  # first order today: one period at least
        (29, 300.0, 300.0),  # T + 1 = 30 = P
        (30, 310.0, 300.0),  # 31 days a customer: 310 * 30 / 31
        (99, 300.0, 90.0),  # 100 days: 300 * 30 / 100
        (364, 365.0, 30.0),  # the whole year
        (1000, 365.0, 30.0),  # a customer for longer than the year: the year still
        (1000, math.nan, 0.0),  # no sales in the year
        (200, -201.0, -30.0),  # a refund larger than the sales: negative usual pace
    ],
)
def test_usual_revenue_spreads_the_year_over_the_days_a_customer(T, revenue, usual):
    result = forecast.usual_period_revenue(pd.Series([revenue]), np.array([T]), P)
    assert result.iloc[0] == pytest.approx(usual)


def test_figures_with_given_parameters_follow_the_spec_formulas():
    """A refresh's case: the parameters are given, nothing is fitted."""
    fits = forecast.Fits(orders=ORDERS, spend=SPEND)
    frame = aggregates(
        customer(1, 200, 20, order_days=6, m_x=120.0, rev_year=720.0),  # x 5, t_x 180, T 200
        customer(2, 50, order_days=1, rev_year=90.0),  # one order day: the population's value
        customer(3, 300, 100, order_days=3, m_x=-40.0, rev_year=-80.0),  # refunds: population value
        customer(4),  # never ordered: all empty
    )
    figures, returned = forecast.forecast_customers(frame, AS_OF, P, fits)
    assert returned is fits
    cases = {
        1: (5, 180, 200, 120.0, 720.0 * 30 / 201),
        2: (0, 0, 50, math.nan, 90.0 * 30 / 51),
        3: (2, 200, 300, -40.0, -80 * 30 / 301),
    }
    for partner_id, (x, t_x, T, m_x, usual) in cases.items():
        row = figures.loc[partner_id]
        expected_revenue = spec_expected_orders(ORDERS, x, t_x, T) * spec_order_value(SPEND, x, m_x)
        assert row["churn_p_alive"] == pytest.approx(spec_p_alive(ORDERS, x, t_x, T), rel=1e-12)
        assert row["churn_expected_orders"] == pytest.approx(spec_expected_orders(ORDERS, x, t_x, T), rel=1e-9)
        assert row["churn_expected_order_value"] == pytest.approx(spec_order_value(SPEND, x, m_x), rel=1e-12)
        assert row["churn_expected_revenue"] == pytest.approx(expected_revenue, rel=1e-9)
        assert row["churn_usual_revenue"] == pytest.approx(usual, rel=1e-12)
        assert row["churn_revenue_at_stake"] == pytest.approx(max(0.0, usual - expected_revenue), rel=1e-9, abs=1e-12)
    assert figures.loc[2, "churn_expected_order_value"] == pytest.approx(5.0 * 80.0 / 2.0)
    assert figures.loc[3, "churn_expected_order_value"] == pytest.approx(5.0 * 80.0 / 2.0)
    assert figures.loc[3, "churn_revenue_at_stake"] == 0.0  # negative usual pace: nothing at stake
    assert figures.loc[4].isna().all()


def test_at_stake_is_what_the_usual_pace_exceeds_the_expected_revenue_by():
    """3,650 sold in the year by a customer of 400 days: 300 a period, less the expected revenue."""
    fits = forecast.Fits(orders=ORDERS, spend=SPEND)
    frame = aggregates(customer(1, 400, 5, order_days=40, m_x=100.0, rev_year=3650.0))
    figures, _fits = forecast.forecast_customers(frame, AS_OF, P, fits)
    row = figures.loc[1]
    assert row["churn_usual_revenue"] == pytest.approx(300.0)
    assert row["churn_revenue_at_stake"] == pytest.approx(300.0 - row["churn_expected_revenue"])


def test_without_a_spend_fit_only_the_order_figures_are_set():
    fits = forecast.Fits(orders=ORDERS, spend_failure=forecast.TOO_FEW_CUSTOMERS)
    figures, _fits = forecast.forecast_customers(
        aggregates(customer(1, 100, 10, order_days=5, m_x=60.0, rev_year=300.0)), AS_OF, P, fits
    )
    row = figures.loc[1]
    assert row["churn_p_alive"] == pytest.approx(spec_p_alive(ORDERS, 4, 90, 100))
    assert math.isnan(row["churn_expected_order_value"])
    assert math.isnan(row["churn_expected_revenue"])
    assert math.isnan(row["churn_revenue_at_stake"])
    assert row["churn_usual_revenue"] == pytest.approx(300.0 * 30 / 101)


def test_without_any_fit_only_the_usual_revenue_is_set():
    figures, _fits = forecast.forecast_customers(
        aggregates(customer(1, 100, 10, order_days=5, m_x=60.0, rev_year=300.0)), AS_OF, P, forecast.Fits()
    )
    row = figures.loc[1]
    assert row.drop("churn_usual_revenue").isna().all()
    assert row["churn_usual_revenue"] == pytest.approx(300.0 * 30 / 101)


def test_a_company_with_one_customer_fits_nothing_and_says_why():
    figures, fits = forecast.forecast_customers(
        aggregates(customer(1, 100, 10, order_days=5, m_x=60.0, rev_year=300.0)), AS_OF, P
    )
    assert (fits.orders, fits.spend) == (None, None)
    assert (fits.orders_failure, fits.spend_failure) == (forecast.TOO_FEW_CUSTOMERS, forecast.TOO_FEW_CUSTOMERS)
    assert (fits.repeat_customers, fits.spend_customers) == (1, 1)
    assert "at least 30" in fits.orders_detail
    assert figures.loc[1].drop("churn_usual_revenue").isna().all()


def test_a_company_without_any_order_fits_nothing():
    figures, fits = forecast.forecast_customers(aggregates(customer(1), customer(2)), AS_OF, P)
    assert fits.orders_failure == forecast.TOO_FEW_CUSTOMERS
    assert (fits.repeat_customers, fits.spend_customers) == (0, 0)
    assert figures.isna().all().all()


def simulated_book(customers, seed, q=4.0):
    """Aggregates of shops drawn from the MBG/NBD and Gamma-Gamma processes, first seen up to 2 years ago."""
    rng = np.random.default_rng(seed)
    T = rng.integers(0, 731, customers)
    book = simulate_mbgnbd(rng, r=2.0, alpha=20.0, a=0.5, b=8.0, T=T)
    t_x = np.floor(book["t_x"]).astype(int)
    m_x = simulate_spend(rng, book["x"], p=6.0, q=q, v=300.0)
    rows = [
        customer(i + 1, int(T[i]), int(T[i] - t_x[i]), int(book["x"][i]) + 1, m_x[i], m_x[i] * book["x"][i])
        for i in range(customers)
    ]
    return aggregates(*rows)


def test_a_full_run_fits_both_models_as_predict_customers_does():
    frame = simulated_book(3000, seed=11)
    # A weekly buyer of eight years (hundreds of order days), one with refunds only, one newcomer.
    frame.loc[9001] = aggregates(customer(9001, 2920, 3, order_days=418, m_x=95.0, rev_year=4940.0)).iloc[0]
    frame.loc[9002] = aggregates(customer(9002, 300, 30, order_days=4, m_x=-25.0, rev_year=-75.0)).iloc[0]
    frame.loc[9003] = aggregates(customer(9003, 0, order_days=1, rev_year=40.0)).iloc[0]
    figures, fits = forecast.forecast_customers(frame, AS_OF, P)
    histories = forecast.order_histories(frame, AS_OF)
    reference = predict.predict_customers(*(histories[n].to_numpy() for n in ("x", "t_x", "T", "m_x")), P)
    assert fits.orders == reference["mbgnbd"]
    assert fits.spend == reference["gamma_gamma"]
    assert (fits.orders_failure, fits.spend_failure, fits.orders_detail, fits.spend_detail) == (None,) * 4
    assert fits.repeat_customers == int((histories["x"] >= 1).sum())
    assert fits.spend_customers == int(((histories["x"] >= 1) & (histories["m_x"] > 0)).sum())
    assert fits.seconds > 0
    np.testing.assert_array_equal(figures["churn_p_alive"].to_numpy(), reference["p_alive"])
    np.testing.assert_array_equal(figures["churn_expected_orders"].to_numpy(), reference["expected_orders"])
    np.testing.assert_array_equal(figures["churn_expected_order_value"].to_numpy(), reference["expected_order_value"])
    assert figures.notna().all().all()
    weekly = figures.loc[9001]
    assert weekly["churn_p_alive"] == pytest.approx(spec_p_alive(fits.orders, 417, 2917, 2920), rel=1e-9)
    assert 0 < weekly["churn_expected_orders"] < 30
    refunds = figures.loc[9002]
    assert refunds["churn_expected_order_value"] == pytest.approx(spec_order_value(fits.spend, 3, -25.0))
    assert refunds["churn_revenue_at_stake"] == 0.0


def test_a_spend_model_without_a_finite_mean_is_named():
    """Mean spends spread so widely between shops (q = 0.6) that the fitted q stays below 1."""
    _figures, fits = forecast.forecast_customers(simulated_book(3000, seed=5, q=0.6), AS_OF, P)
    assert fits.orders is not None
    assert fits.spend is None
    assert fits.spend_failure == forecast.NO_FINITE_MEAN


def test_fits_survive_a_json_round_trip():
    """The scheduled run stages its fits as json between transactions."""
    fits = forecast.Fits(orders=ORDERS, spend_failure=forecast.NO_MAXIMUM, spend_detail="no", repeat_customers=40)
    assert forecast.Fits.from_dict(json.loads(json.dumps(fits.to_dict()))) == fits
