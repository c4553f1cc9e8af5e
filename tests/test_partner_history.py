"""The partner form's Churn tab: the customer's order rhythm and its states at the latest runs."""

from datetime import timedelta

import pytest

from odoo import Command

from common import AS_OF, Scenario, days_ago


@pytest.fixture
def shop(env):
    env.company.churn_history_days = 400
    return Scenario(env)


def test_history_lists_the_twelve_latest_runs_of_the_company_newest_first(env, shop):
    """Orders every 10 days until 60 days before AS_OF; a run every 5 days from 65 days before."""
    customer = shop.customer("Rhythm")
    shop.orders(customer, [days_ago(d) for d in (60, 70, 80, 90)], 10)
    run_days = [days_ago(d) for d in range(65, -1, -5)]  # 14 runs: AS_OF - 65, ..., AS_OF
    for as_of in run_days:
        shop.recompute(as_of=as_of)
    branch = env["res.company"].create({"name": "Branch B", "churn_history_days": 400})
    shop.order(customer, days_ago(1), 10, company=branch)
    shop.recompute(as_of=AS_OF, companies=branch)

    history = shop.figures(customer).churn_history_ids
    assert history.mapped("as_of") == [days_ago(d) for d in range(0, 60, 5)]
    # Last order 60 days before AS_OF: days since 60, 55, ..., 5 over these runs. On its 10-day cycle
    # the customer is at risk from day 15 and churned from day 20 (SPEC §3b).
    assert history.mapped("churn_state") == ["churned"] * 9 + ["at_risk"] + ["active"] * 2
    assert set(history.mapped("value_segment")) == {"very_important"}

    in_branch = customer.with_company(branch).churn_history_ids
    assert in_branch.mapped("as_of") == [AS_OF] and in_branch.churn_state == "active"


def test_churn_tab_shows_the_order_rhythm_and_the_history(env, shop):
    customer = shop.customer("Weekly")
    shop.orders(customer, [days_ago(d) for d in (3, 10, 17, 24)], 10)
    shop.recompute()
    figures = shop.figures(customer)
    assert figures.churn_cycle_days == 7 and figures.churn_next_order_date == days_ago(3) + timedelta(days=7)
    arch = env["res.partner"].get_views([(False, "form")])["views"]["form"]["arch"]
    for name in ("churn_cycle_days", "churn_next_order_date", "churn_history_ids"):
        assert f'name="{name}"' in arch, name


def test_history_is_empty_for_a_partner_no_run_recorded(env, shop):
    contact = env["res.partner"].create({"name": "Not a customer", "child_ids": [Command.create({"name": "Clerk"})]})
    shop.recompute()
    assert not shop.figures(contact.child_ids).churn_history_ids
    assert not shop.figures(contact).churn_history_ids
