"""What counts and for whom (SPEC §1): timezone, currency, contacts, companies, archived partners."""

from datetime import time

import pytest

from odoo import Command

from common import days_ago


def test_order_day_is_local_to_the_company_timezone(shop):
    """23:30 in Shanghai is 15:30 UTC the same day; 00:30 the next day is 16:30 UTC the day before."""
    shop.company.partner_id.tz = "Asia/Shanghai"
    late = shop.customer("Late evening")
    shop.order(late, days_ago(15), local_time=time(23, 30))
    early = shop.customer("Early morning")
    shop.order(early, days_ago(14), local_time=time(0, 30))
    shop.recompute()
    assert shop.figures(late).churn_last_order_date == days_ago(15)
    assert shop.figures(late).churn_state == "at_risk"
    assert shop.figures(early).churn_last_order_date == days_ago(14)
    assert shop.figures(early).churn_state == "active"


def test_foreign_currency_order_counts_in_company_currency(shop):
    env = shop.env
    foreign = (
        env["res.currency"]
        .with_context(active_test=False)
        .search([("id", "!=", shop.company.currency_id.id), ("name", "in", ["EUR", "USD", "CNY"])], limit=1)
    )
    foreign.active = True
    env["res.currency.rate"].create(
        {"currency_id": foreign.id, "company_id": shop.company.id, "name": days_ago(400), "rate": 4.0}
    )
    customer = shop.customer("Pays abroad")
    order = shop.order(customer, days_ago(5), 400, currency=foreign)
    assert order.currency_id == foreign and order.currency_rate == pytest.approx(4.0)
    shop.recompute()
    assert shop.figures(customer).churn_revenue_current == pytest.approx(100)


def test_null_currency_rate_counts_as_one(shop):
    customer = shop.customer("Odd rate")
    order = shop.order(customer, days_ago(5), 70)
    shop.env.cr.execute("UPDATE sale_order SET currency_rate = NULL WHERE id = %s", [order.id])
    other = shop.order(shop.customer("Zero rate"), days_ago(5), 30)
    shop.env.cr.execute("UPDATE sale_order SET currency_rate = 0 WHERE id = %s", [other.id])
    shop.recompute()
    assert shop.figures(customer).churn_revenue_current == 70
    assert shop.figures(other.partner_id).churn_revenue_current == 30


def test_orders_of_contacts_count_for_their_company(shop):
    customer = shop.customer("Chain store")
    branch = shop.contact_of(customer, "Chain store, back door")
    shop.order(branch, days_ago(3), 90)
    shop.recompute()
    assert shop.figures(customer).churn_state == "active"
    assert shop.figures(customer).churn_revenue_current == 90
    assert not shop.figures(branch).churn_state


def test_companies_of_the_database_are_not_customers(shop):
    shop.recompute()
    companies = shop.env["res.company"].search([])
    assert not any(shop.figures(c.partner_id).churn_state for c in companies)


def test_partners_without_rank_or_orders_are_not_customers(shop):
    supplier = shop.env["res.partner"].create({"name": "Noodle factory", "is_company": True})
    buyer = shop.env["res.partner"].create({"name": "Walk-in", "is_company": True})
    shop.order(buyer, days_ago(2), 10)
    shop.recompute()
    assert not shop.figures(supplier).churn_state
    assert shop.figures(buyer).churn_state == "active"


def test_archived_customer_loses_its_figures(shop):
    customer = shop.customer("Closed down")
    shop.order(customer, days_ago(50), 10)
    shop.recompute()
    assert shop.figures(customer).churn_state == "churned"
    customer.active = False
    shop.recompute()
    assert not shop.figures(customer).churn_state
    assert not shop.figures(customer).churn_last_order_date


def test_company_a_orders_never_move_company_b(shop):
    env = shop.env
    branch = env["res.company"].create({"name": "Branch B"})
    env.user.company_ids = [Command.link(branch.id)]
    customer = shop.customer("Shared shop")
    shop.order(customer, days_ago(2), 100)
    shop.order(customer, days_ago(40), 30, company=branch)
    shop.recompute(companies=shop.company | branch)
    here, there = shop.figures(customer), shop.figures(customer, branch)
    assert (here.churn_state, here.churn_revenue_current, here.churn_revenue_previous) == ("active", 100, 0)
    assert (there.churn_state, there.churn_revenue_current, there.churn_revenue_previous) == ("churned", 0, 30)
    # recomputing only A keeps B as it was
    shop.order(customer, days_ago(1), 100, company=branch)
    shop.recompute(companies=shop.company)
    assert shop.figures(customer, branch).churn_state == "churned"


def test_figures_are_searchable_on_partners_and_groupable_on_the_figure_model(shop):
    at_risk = shop.customer("Slipping")
    fine = shop.customer("Fine")
    shop.order(at_risk, days_ago(20), 10)
    shop.order(fine, days_ago(1), 10)
    shop.recompute()
    Partner = shop.env["res.partner"].with_company(shop.company)
    assert at_risk in Partner.search([("churn_state", "=", "at_risk")])
    assert fine not in Partner.search([("churn_state", "=", "at_risk")])
    # An empty figure matches the partners without figures (here, a supplier).
    supplier = shop.env["res.partner"].create({"name": "Supplier"})
    assert supplier in Partner.search([("churn_state", "=", False)])
    assert supplier in Partner.search([("churn_state", "!=", "active")])
    assert supplier not in Partner.search([("churn_state", "!=", False)])
    assert at_risk not in Partner.search([("churn_state", "=", False)])
    Figure = shop.env["customer.churn.figure"]
    domain = [("company_id", "=", shop.company.id)]
    groups = dict(Figure._read_group(domain, ["churn_state"], ["__count"]))
    assert groups["at_risk"] >= 1 and groups["active"] >= 1
    for name in ("abc_tier", "value_segment", "churn_sales_plunge", "user_id", "churn_last_order_date:month"):
        assert Figure._read_group(domain, [name], ["__count"]), name


def test_second_run_replaces_figures(shop):
    customer = shop.customer("Regular")
    shop.order(customer, days_ago(20), 10)
    shop.recompute(as_of=days_ago(10))
    assert shop.figures(customer).churn_state == "active"
    shop.recompute()
    assert shop.figures(customer).churn_state == "at_risk"
    runs = shop.env["customer.churn.run"].search([("company_id", "=", shop.company.id)])
    assert len(runs) == 2
    snapshot = runs[0].snapshot_ids.filtered(lambda s: s.partner_id == customer)
    assert snapshot.churn_state == "at_risk"
