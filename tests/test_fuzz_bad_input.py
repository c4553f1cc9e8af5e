"""Fuzzing the run with bad input: settings inside and outside their bounds, orders with
negative, zero and huge amounts, impossible dates, no currency rate, archived and merged
customers. Each example gives a run equal to the slow reference of the SPEC, or a clear message
and nothing written."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from test_engine_property import Rollback, actual_figures, comparable

from odoo import Command
from odoo.exceptions import ValidationError

from common import AS_OF
from spec_reference import Order, reference_figures

HUGE = 10**9
AMOUNTS = [-HUGE, -30, 0, 10, 70, 250, HUGE]
# Impossible dates, written as an import would: none is counted, each is reported on the run.
BAD_DATES = [datetime(202, 3, 1, 10), datetime(1899, 12, 31, 23), datetime(9999, 12, 31, 23)]
# Odd but possible: a very old order counts like any other.
OLD_DAY = date(1900, 1, 2)
WILD = [-1, 0, 400000]


thresholds = st.fixed_dictionaries(
    {
        "period_days": st.sampled_from([7, 30, 3650]),
        "at_risk_days": st.integers(1, 20),
        "churned_days": st.integers(21, 45),
        "sales_plunge_percent": st.sampled_from([10, 50, 99]),
        "sales_surge_percent": st.sampled_from([10, 1000]),
        "orders_plunge_count": st.integers(0, 2),
        "orders_rise_count": st.integers(0, 2),
        "cycle_multiplier": st.sampled_from([1.5, 2.0]),
        "state_basis": st.sampled_from(["cycle", "fixed"]),
        "at_risk_cycles": st.sampled_from([1.0, 1.5]),
        "churned_cycles": st.sampled_from([2.0, 100.0]),
        "cycle_min_days": st.integers(1, 10),
        "abc_a_percent": st.sampled_from([20, 50]),
        "abc_b_percent": st.sampled_from([30, 50]),
        "value_very_important_percent": st.sampled_from([5, 10]),
        "value_important_percent": st.sampled_from([20, 30]),
        "value_general_percent": st.sampled_from([40, 50]),
    }
)
SETTING_KEYS = {"period_days", "at_risk_days", "churned_days", "sales_plunge_percent", "sales_surge_percent",
                "orders_plunge_count", "orders_rise_count", "cycle_multiplier", "churned_cycles", "cycle_min_days",
                "abc_a_percent", "abc_b_percent", "value_general_percent"}  # fmt: skip
order = st.tuples(
    st.integers(0, 4),  # customer index
    # days before as_of (negative: after it), a very old day, or an impossible date
    st.one_of(st.integers(-5, 400), st.just(OLD_DAY), st.sampled_from(BAD_DATES)),
    st.sampled_from(AMOUNTS),
    st.sampled_from(["sale", "sale", "sale", "cancel"]),
    st.booleans(),  # no currency rate
)
# Half the examples put one setting far outside its bounds (or on an edge: 0, -1).
wild = st.one_of(st.none(), st.tuples(st.sampled_from(sorted(SETTING_KEYS)), st.sampled_from(WILD)))
customers_ops = st.fixed_dictionaries({"archived": st.sets(st.integers(0, 4), max_size=1), "merged": st.booleans()})


@pytest.fixture
def product(env):
    return env["product.product"].create({"name": "Vinegar (case)", "type": "service", "taxes_id": [Command.clear()]})


# Bounded: no shrinking (a failing example is printed whole), so the file stays under a minute.
@settings(
    max_examples=30,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(config=thresholds, odd=wild, history=st.lists(order, min_size=3, max_size=16), ops=customers_ops)
def test_bad_input_gives_the_reference_or_a_clear_message(env, product, config, odd, history, ops):
    if odd:
        config = {**config, odd[0]: odd[1]}
    try:
        with env.cr.savepoint():
            check_example(env, product, config, history, ops)
            raise Rollback
    except Rollback:
        pass
    finally:
        env.invalidate_all()


def check_example(env, product, config, history, ops):
    company = env.company
    values = {f"churn_{key}": value for key, value in config.items()}
    before = company.read(list(values))[0]
    runs = env["customer.churn.run"].search_count([])
    try:
        with env.cr.savepoint():
            company.write(values)
    except ValidationError as error:
        # Refused whole, with the rule in words: nothing of it is written, no run is made.
        env.invalidate_all()
        assert str(error).strip() and "Traceback" not in str(error)
        assert company.read(list(values))[0] == before
        assert env["customer.churn.run"].search_count([]) == runs
        event("settings refused")
        return
    event("run compared with the reference")
    customers = env["res.partner"].create([{"name": f"Fuzz {i}", "customer_rank": 1} for i in range(5)])
    orders, bad, unrated = place_orders(env, product, customers, history)
    expected_ids = list(customers.ids)
    if ops["merged"]:
        env["base.partner.merge.automatic.wizard"]._merge(customers[3:5].ids, customers[3])
        orders = [replace(o, customer=customers[3].id) if o.customer == customers[4].id else o for o in orders]
        expected_ids.remove(customers[4].id)
    for index in ops["archived"]:
        if customers[index].id in expected_ids:
            customers[index].active = False
            expected_ids.remove(customers[index].id)
    env["customer.churn.engine"].recompute(company, AS_OF)
    spec = dict(config)
    counted = [o for o in orders if o.customer in expected_ids]
    expected = reference_figures(expected_ids, counted, AS_OF, spec)
    for customer in env["res.partner"].browse(expected_ids).with_company(company):
        assert actual_figures(customer) == comparable(expected[customer.id]), customer.name
    figures = env["customer.churn.figure"].search(
        [("company_id", "=", company.id), ("partner_id", "in", customers.ids)]
    )
    assert sorted(figures.partner_id.ids) == sorted(expected_ids)
    run = env["customer.churn.run"].search([("company_id", "=", company.id)], limit=1)
    assert (run.bad_date_order_count, run.unrated_order_count) == (bad, unrated)


def place_orders(env, product, customers, history):
    """The orders through the ORM, then the impossible dates and null rates as an import writes
    them; returns the orders the reference reads and the counts the run must report."""
    created = env["sale.order"].create(
        [
            {
                "partner_id": customers[index].id,
                "state": state,
                "date_order": day_of(when, AS_OF),
                "order_line": [Command.create({"product_id": product.id, "price_unit": amount, "tax_id": False})],
            }
            for index, when, amount, state, _null in history
        ]
    )
    env.flush_all()
    orders, bad, unrated = [], 0, 0
    for record, (index, when, amount, state, null_rate) in zip(created, history, strict=True):
        if null_rate:
            env.cr.execute("UPDATE sale_order SET currency_rate = NULL WHERE id = %s", [record.id])
        if isinstance(when, datetime):
            env.cr.execute("UPDATE sale_order SET date_order = %s WHERE id = %s", [when, record.id])
            bad += state == "sale"
            continue
        orders.append(Order(customers[index].id, record.date_order.date(), Fraction(amount), state))
        unrated += null_rate and state == "sale" and record.date_order.date() <= AS_OF
    env.invalidate_all()
    return orders, bad, unrated


def day_of(when, as_of):
    """The order's moment: 09:30 UTC on its day (an impossible date is written afterwards)."""
    if isinstance(when, datetime):
        return datetime.combine(as_of, time(9, 30))
    day = when if isinstance(when, date) else as_of - timedelta(days=when)
    return datetime.combine(day, time(9, 30))
