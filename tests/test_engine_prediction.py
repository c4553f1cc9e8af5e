"""The forecast of SPEC §9 in a run: fitted on the company's customers, kept on the run, reused by a refresh.

A book of shops is drawn from the MBG/NBD and Gamma-Gamma processes (tests/lib/clv_simulation.py)
and entered as confirmed orders on local days before as_of. The test keeps each shop's planned order
days and amounts, works out ``x, t_x, T`` and ``m_x`` from them by itself, and expects the run's
parameters and each shop's figures to be what lib/predict.py gives on those histories.
"""

import math
from datetime import time, timedelta

import numpy as np
import pytest

from odoo.addons.customer_churn_cockpit.lib import predict

from clv_simulation import simulate_mbgnbd
from common import AS_OF

P = 30
SHOPS = 42
FORECAST = (
    "churn_p_alive",
    "churn_expected_orders",
    "churn_expected_order_value",
    "churn_expected_revenue",
    "churn_usual_revenue",
    "churn_revenue_at_stake",
)


def commit_hooks(env):
    """What the commit of the user's transaction runs (the test itself rolls back)."""
    env.cr.precommit.run()


def plan_book(seed=3):
    """Each shop's order days (days before as_of, oldest first) and the amount of each order."""
    rng = np.random.default_rng(seed)
    T = rng.integers(60, 241, SHOPS)
    book = simulate_mbgnbd(rng, r=1.5, alpha=45.0, a=0.6, b=4.0, T=T)
    plans = []
    for first_ago, x, t_x in zip(T, book["x"], book["t_x"], strict=True):
        span = int(t_x)
        repeat = min(int(x), span)  # repeat orders within the first day merge into it
        later = []
        if repeat:
            later = [*sorted(rng.choice(np.arange(1, span), size=repeat - 1, replace=False).tolist()), span]
        mean = rng.gamma(4.0, 25.0)
        orders = [(int(first_ago) - offset, round(float(rng.gamma(6.0, mean / 6.0)), 2)) for offset in [0, *later]]
        plans.append(orders)
    # Two orders on one day make one order day; a refund lowers that day's amount.
    plans[0].append((plans[0][-1][0], 35.0))
    plans[1].append((plans[1][-1][0], -20.0))
    return plans


@pytest.fixture
def shop(shop):
    """A distributor in Shanghai, set before ``today`` reads the company's day (from 16:00 UTC,
    Shanghai is on UTC's tomorrow)."""
    shop.company.partner_id.tz = "Asia/Shanghai"
    return shop


def enter_book(shop, plans, as_of=AS_OF):
    """The orders as a salesperson enters them, in Shanghai at 07:00 (the day before, in UTC)."""
    customers = []
    for index, orders in enumerate(plans):
        customer = shop.customer(f"Shop {index:02d}")
        for days_ago, amount in orders:
            shop.order(customer, as_of - timedelta(days=days_ago), amount, local_time=time(7, 0))
        customers.append(customer)
    return customers


def histories(plans):
    """x, t_x, T and m_x of each shop, from its planned orders (SPEC §9)."""
    x, t_x, T, m_x = [], [], [], []
    for orders in plans:
        by_day = {}
        for days_ago, amount in orders:
            by_day[days_ago] = by_day.get(days_ago, 0.0) + amount
        days = sorted(by_day, reverse=True)  # oldest first
        x.append(len(days) - 1)
        t_x.append(days[0] - days[-1])
        T.append(days[0])
        m_x.append(np.mean([by_day[day] for day in days[1:]]) if len(days) > 1 else math.nan)
    return tuple(np.array(values, dtype=float) for values in (x, t_x, T, m_x))


def usual_revenue(orders, T):
    """The revenue of the 365 days ending on as_of, at the pace of one period (SPEC §9)."""
    year = sum(amount for days_ago, amount in orders if days_ago < 365)
    return year * P / min(365, max(P, T + 1))


def stored_forecast(env, partner):
    """The six figures as the table holds them: None where empty (the ORM would read 0.0)."""
    env.flush_all()
    env.cr.execute(
        f"SELECT {', '.join(FORECAST)} FROM customer_churn_figure WHERE partner_id = %s AND company_id = %s",
        [partner.id, env.company.id],
    )
    return dict(zip(FORECAST, env.cr.fetchone(), strict=True))


def latest_run(env):
    return env["customer.churn.run"].search([("company_id", "=", env.company.id)], limit=1)


def test_run_fits_both_models_and_each_shop_gets_its_forecast(shop):
    plans = plan_book()
    customers = enter_book(shop, plans)
    prospect = shop.customer("Prospect")
    shop.recompute(as_of=AS_OF)
    x, t_x, T, m_x = histories(plans)
    reference = predict.predict_customers(x, t_x, T, m_x, P)
    assert reference["mbgnbd"] and reference["gamma_gamma"], "the drawn book must be one the models fit"
    run = latest_run(shop.env)
    # The maximum is what both fits must agree on. The parameters sit on a flat ridge of the likelihood
    # (Gamma-Gamma's p, q and v above all), so inputs equal to the last bit but summed in another order
    # (SQL against numpy) move them by a few parts per million: they are held to 1e-4, the forecasts
    # they give to 1e-5.
    assert run.mbgnbd_log_likelihood == pytest.approx(reference["mbgnbd"]["log_likelihood"], rel=1e-9)
    for name, value in reference["mbgnbd"].items():
        assert run[f"mbgnbd_{name}"] == pytest.approx(value, rel=1e-4), name
    for name, value in reference["gamma_gamma"].items():
        assert run[f"gamma_gamma_{name}"] == pytest.approx(value, rel=1e-4), name
    assert (run.mbgnbd_failure, run.gamma_gamma_failure, run.fit_note) == (False, False, False)
    assert run.repeat_customers == int((x >= 1).sum())
    assert run.spend_customers == int(((x >= 1) & (m_x > 0)).sum())
    assert run.fit_seconds > 0
    for index, customer in enumerate(customers):
        figures = stored_forecast(shop.env, customer)
        expected_revenue = reference["expected_orders"][index] * reference["expected_order_value"][index]
        usual = usual_revenue(plans[index], T[index])
        assert figures["churn_p_alive"] == pytest.approx(reference["p_alive"][index], rel=1e-5)
        assert figures["churn_expected_orders"] == pytest.approx(reference["expected_orders"][index], rel=1e-5)
        assert figures["churn_expected_order_value"] == pytest.approx(
            reference["expected_order_value"][index], rel=1e-5
        )
        assert figures["churn_expected_revenue"] == pytest.approx(expected_revenue, rel=1e-5)
        assert figures["churn_usual_revenue"] == pytest.approx(usual, rel=1e-9)
        assert figures["churn_revenue_at_stake"] == pytest.approx(
            max(0.0, usual - expected_revenue), rel=1e-5, abs=1e-6
        )
    assert shop.figures(customers[2]).churn_p_alive == pytest.approx(reference["p_alive"][2], rel=1e-5)
    assert stored_forecast(shop.env, prospect) == dict.fromkeys(FORECAST)


def test_a_company_with_one_shop_has_no_forecast_and_its_run_says_why(shop, env):
    customer = shop.customer("Only shop")
    shop.orders(customer, [AS_OF - timedelta(days=40), AS_OF - timedelta(days=10)], 90.0)
    shop.recompute(as_of=AS_OF)
    run = latest_run(env)
    assert (run.mbgnbd_failure, run.gamma_gamma_failure) == ("too_few_customers", "too_few_customers")
    assert (run.repeat_customers, run.spend_customers) == (1, 1)
    assert not (run.mbgnbd_r or run.mbgnbd_log_likelihood or run.gamma_gamma_q)
    assert run.fit_note == (
        "No order forecast: 1 customers ordered on more than one day; the model needs at least 30.\n"
        "No order value forecast: 1 customers ordered on more than one day with a positive mean amount; "
        "the model needs at least 30."
    )
    env["res.lang"]._activate_lang("zh_CN")
    env["ir.module.module"]._load_module_terms(["customer_churn_cockpit"], ["zh_CN"])
    assert "至少需要 30 个" in run.with_context(lang="zh_CN").fit_note
    figures = stored_forecast(env, customer)
    assert {name: value for name, value in figures.items() if value is not None} == {
        # The usual pace needs no model: 180 over the 41 days the shop has been a customer, per 30 days.
        "churn_usual_revenue": pytest.approx(180.0 * 30 / 41)
    }


def test_refresh_uses_the_last_runs_parameters(shop, today):
    """An order confirmed after a run: the shop's forecast follows it, with the models of that run."""
    plans = plan_book()
    customers = enter_book(shop, plans, today)
    shop.recompute(as_of=today)
    run = latest_run(shop.env)
    stored = {name: run[f"mbgnbd_{name}"] for name in ("r", "alpha", "a", "b")}
    spend = {name: run[f"gamma_gamma_{name}"] for name in ("p", "q", "v")}
    customer = customers[3]
    shop.order(customer, today, 120.0, local_time=time(7, 0))
    commit_hooks(shop.env)
    plans[3].append((0, 120.0))
    x, t_x, T, m_x = histories(plans)
    figures = stored_forecast(shop.env, customer)
    # SPEC §9's P(alive), written out, at the run's parameters and the shop's new history.
    r, alpha, a, b = stored.values()
    assert (x[3], t_x[3]) == (1, T[3])  # a first repeat order day, today
    p_alive = 1 / (1 + a / (b + x[3]) * ((alpha + T[3]) / (alpha + t_x[3])) ** (r + x[3]))
    assert figures["churn_p_alive"] == pytest.approx(p_alive, rel=1e-6)
    value = predict.expected_order_value(spend, x[3:4], m_x[3:4])[0]
    assert figures["churn_expected_order_value"] == pytest.approx(value, rel=1e-6)
    assert latest_run(shop.env) == run
    # What a refit on the new histories would give is measurably different: the refresh did not refit.
    refit = predict.fit_bgnbd(x, t_x, T, modified=True)
    assert abs(refit["r"] - stored["r"]) > 1e-6 * stored["r"]


def test_refresh_after_a_run_without_a_fit_leaves_the_forecast_empty(shop, env, today):
    customer = shop.customer("Only shop")
    shop.order(customer, today - timedelta(days=20), 90.0)
    shop.recompute(as_of=today)
    shop.order(customer, today, 60.0)
    commit_hooks(env)
    assert stored_forecast(env, customer) == {**dict.fromkeys(FORECAST), "churn_usual_revenue": 150.0}
