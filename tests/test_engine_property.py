"""The engine agrees with an independent, slow implementation of the SPEC on random histories."""

from datetime import datetime, time, timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import Command

from common import AS_OF, M1, M2
from spec_reference import Order, reference_figures

AMOUNTS = [-30, 0, 10, 20, 25, 30, 40, 50, 70, 100, 120, 250]


def boundary_days(config):
    """Days-before-as_of that sit on, just before and just after every threshold and window edge."""
    p, r = config["period_days"], config["at_risk_days"]
    c = r + config["churned_gap"]
    month_edges = [(AS_OF - edge).days for edge in (M1, M2, M1 - timedelta(days=1), AS_OF.replace(day=1))]
    lines = [r, c, c + p, p, 2 * p, 364, 365, config["cycle_min_days"], *month_edges]
    return sorted({max(-5, line + delta) for line in lines for delta in (-1, 0, 1)})


def histories(config):
    # Days inside the two ABC months, drawn often, make several customers share a month and
    # hit the ABC lines exactly; short runs of days a few days apart give customers order cycles
    # whose lines (SPEC §3b) fall inside the drawn days since the last order.
    abc_months = [(AS_OF - (month + timedelta(days=offset))).days for month in (M1, M2) for offset in (3, 10)]
    rhythm = [start + step * k for start in (0, 5, 12) for step in (2, 3, 5, 7) for k in range(3)]
    day = st.one_of(
        st.integers(-5, 430),
        st.sampled_from(boundary_days(config)),
        st.sampled_from(abc_months),
        st.sampled_from(rhythm),
    )
    order = st.tuples(
        st.integers(0, 5),  # customer index
        day,  # days before as_of (negative: after it)
        st.sampled_from(AMOUNTS),
        st.sampled_from(["sale", "sale", "sale", "sale", "draft", "cancel"]),
    )
    return st.lists(order, min_size=4, max_size=30)


thresholds = st.fixed_dictionaries(
    {
        "period_days": st.sampled_from([7, 30, 45]),
        "at_risk_days": st.integers(1, 20),
        "churned_gap": st.integers(1, 25),
        "sales_plunge_percent": st.sampled_from([10, 20, 50]),
        "sales_surge_percent": st.sampled_from([10, 20, 100]),
        "orders_plunge_count": st.integers(0, 2),
        "orders_rise_count": st.integers(0, 2),
        "cycle_multiplier": st.sampled_from([1.5, 2.0]),
        "state_basis": st.sampled_from(["cycle", "fixed"]),
        # k_r as a decimal whose product with a cycle floating point puts past a whole number.
        "at_risk_cycles": st.sampled_from([1.0, 1.1, 1.5]),
        "cycle_gap": st.sampled_from([0.5, 1.0]),
        "cycle_min_days": st.integers(1, 10),
        "abc_a_percent": st.sampled_from([20, 30, 50]),
        "abc_b_percent": st.sampled_from([30, 50]),
        "bands": st.sampled_from([(5, 20, 50), (10, 30, 40), (34, 33, 33)]),
    }
)


class Rollback(Exception):
    pass


@pytest.fixture
def product(env):
    return env["product.product"].create({"name": "Soy sauce (case)", "type": "service", "taxes_id": [Command.clear()]})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), config=thresholds)
def test_engine_matches_the_spec(env, product, data, config):
    history = data.draw(histories(config))
    try:
        with env.cr.savepoint():
            check_example(env, product, history, config)
            raise Rollback
    except Rollback:
        pass
    finally:
        env.invalidate_all()


def check_example(env, product, history, config):
    company = env.company
    spec = {k: v for k, v in config.items() if k not in ("churned_gap", "cycle_gap", "bands")}
    spec["churned_days"] = spec["at_risk_days"] + config["churned_gap"]
    spec["churned_cycles"] = round(spec["at_risk_cycles"] + config["cycle_gap"], 2)
    very, important, general = config["bands"]
    spec.update(value_very_important_percent=very, value_important_percent=important, value_general_percent=general)
    company.write({f"churn_{key}": value for key, value in spec.items()})
    customers = env["res.partner"].create([{"name": f"Shop {i}", "customer_rank": 1} for i in range(6)])
    orders = [Order(customers[i].id, AS_OF - timedelta(days=d), Fraction(a), state) for i, d, a, state in history]
    env["sale.order"].create(
        [
            {
                "partner_id": o.customer,
                "company_id": company.id,
                "state": o.state,
                "date_order": datetime.combine(o.day, time(9, 30)),
                "order_line": [
                    Command.create({"product_id": product.id, "price_unit": float(o.amount), "tax_id": False})
                ],
            }
            for o in orders
        ]
    )
    env["customer.churn.engine"].recompute(company, AS_OF)
    expected = reference_figures(customers.ids, orders, AS_OF, spec)
    for customer in customers.with_company(company):
        assert actual_figures(customer) == comparable(expected[customer.id]), customer.name


def actual_figures(p):
    return {
        "state": p.churn_state, "last": p.churn_last_order_date or None, "days_since": p.churn_days_since
        if p.churn_state != "never" else None, "at_risk_after": p.churn_at_risk_after,
        "churned_after": p.churn_churned_after, "rev_cur": round(p.churn_revenue_current, 6),
        "rev_prev": round(p.churn_revenue_previous, 6), "cnt_cur": p.churn_orders_current,
        "cnt_prev": p.churn_orders_previous, "newly_churned": p.churn_newly_churned,
        "traded_recently": p.churn_traded_recently, "not_traded_recently": p.churn_not_traded_recently,
        "sales_plunge": p.churn_sales_plunge, "sales_surge": p.churn_sales_surge,
        "orders_plunge": p.churn_orders_plunge, "orders_rise": p.churn_orders_rise,
        "cycle": p.churn_cycle_days or None, "next_order": p.churn_next_order_date or None,
        "overdue": p.churn_cycle_overdue, "abc_tier": p.abc_tier or None, "abc_tier_prev": p.abc_tier_prev or None,
        "abc_trend": p.abc_trend or None, "abc_revenue": round(p.abc_revenue, 6),
        "value_segment": p.value_segment or None,
    }  # fmt: skip


def comparable(expected):
    result = dict(expected)
    for key in ("rev_cur", "rev_prev", "abc_revenue"):
        result[key] = round(float(expected[key]), 6)
    if result["cycle"] is not None:
        result["cycle"] = float(result["cycle"])
    return result
