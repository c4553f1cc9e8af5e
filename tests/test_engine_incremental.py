"""Confirming, cancelling or editing an order refreshes its customer at commit (issue: incremental)."""

import random
from datetime import timedelta

from odoo.addons.customer_churn_cockpit.lib import RANK_COLUMNS, result_columns

PER_CUSTOMER = [name for name in result_columns() if name not in RANK_COLUMNS]


def commit_hooks(env):
    """What the commit of the user's transaction runs (the test itself rolls back)."""
    env.cr.precommit.run()


def snapshot(shop, partners):
    return {p.id: {name: shop.figures(p)[name] for name in PER_CUSTOMER} for p in partners}


def test_confirming_an_order_makes_a_churned_customer_active(shop, today):
    customer = shop.customer("Back again")
    shop.order(customer, today - timedelta(days=45), 100)
    shop.recompute(as_of=today)
    assert shop.figures(customer).churn_state == "churned"
    quotation = shop.order(customer, today, 250, state="draft")
    commit_hooks(shop.env)
    assert shop.figures(customer).churn_state == "churned"  # a quotation does not count
    quotation.action_confirm()
    commit_hooks(shop.env)
    figures = shop.figures(customer)
    assert (figures.churn_state, figures.churn_days_since, figures.churn_revenue_current) == ("active", 0, 250)


def test_cancelling_the_only_recent_order_puts_the_customer_back(shop, today):
    customer = shop.customer("Changed its mind")
    shop.order(customer, today - timedelta(days=40), 100)
    order = shop.order(customer, today - timedelta(days=1), 100)
    shop.recompute(as_of=today)
    assert shop.figures(customer).churn_state == "active"
    order._action_cancel()
    commit_hooks(shop.env)
    assert shop.figures(customer).churn_state == "churned"


def test_rank_based_figures_wait_for_the_next_full_run(shop, today):
    customer = shop.customer("Ranked")
    shop.order(customer, today - timedelta(days=400), 100)
    shop.recompute(as_of=today)
    assert shop.figures(customer).value_segment == "dormant"
    shop.order(customer, today, 100)
    commit_hooks(shop.env)
    assert shop.figures(customer).churn_state == "active"
    assert shop.figures(customer).value_segment == "dormant"


def test_incremental_equals_full_after_random_edits(shop, today):
    rng = random.Random(20261124)
    customers = [shop.customer(f"Shop {i}") for i in range(6)]
    orders = [
        shop.order(rng.choice(customers), today - timedelta(days=rng.randrange(0, 120)), rng.choice([50, 80, 120]))
        for _ in range(24)
    ]
    shop.recompute(as_of=today)
    for _ in range(20):
        order = rng.choice(orders)
        action = rng.choice(["cancel", "confirm", "redate", "amount", "customer"])
        if action == "cancel" and order.state == "sale":
            order._action_cancel()
        elif action == "confirm" and order.state == "cancel":
            order.action_draft()
            order.action_confirm()
        elif action == "redate":
            order.date_order = order.date_order - timedelta(days=rng.randrange(1, 40))
        elif action == "amount" and order.state == "sale":
            order.order_line[0].price_unit = rng.choice([10, 60, 300])
        elif action == "customer" and order.state == "sale":
            order.partner_id = rng.choice(customers)
        commit_hooks(shop.env)
    incremental = snapshot(shop, customers)
    shop.recompute(as_of=today)
    assert incremental == snapshot(shop, customers)


def late_order_gives_a_four_day_cycle(shop, today):
    """A shop that ordered 16 and 12 days ago (no cycle yet), then an order of 8 days ago is confirmed."""
    customer = shop.customer("Every four days")
    shop.orders(customer, [today - timedelta(days=16), today - timedelta(days=12)])
    shop.recompute(as_of=today)
    figures = shop.figures(customer)
    assert (figures.churn_state, figures.churn_at_risk_after, figures.churn_churned_after) == ("active", 15, 30)
    shop.order(customer, today - timedelta(days=8))
    commit_hooks(shop.env)
    return shop.figures(customer)


def test_a_refreshed_customer_gets_the_lines_of_its_new_cycle(shop, today):
    """Cycle 4: at risk after max(7, ceil(1.5 x 4)) = 7 days, churned after max(8, 2 x 4) = 8: so
    8 days without orders is churned, though fewer than the fixed 15."""
    figures = late_order_gives_a_four_day_cycle(shop, today)
    assert figures.churn_cycle_days == 4
    assert (figures.churn_at_risk_after, figures.churn_churned_after) == (7, 8)
    assert (figures.churn_state, figures.churn_newly_churned) == ("churned", True)


def test_a_refresh_on_the_fixed_basis_keeps_the_fixed_lines(shop, today):
    shop.company.churn_state_basis = "fixed"
    figures = late_order_gives_a_four_day_cycle(shop, today)
    assert figures.churn_cycle_days == 4
    assert (figures.churn_state, figures.churn_at_risk_after, figures.churn_churned_after) == ("active", 15, 30)
