"""Churn state and the recency flags (SPEC §3, §4): each threshold the day before, on and after."""

import pytest

from common import AS_OF, days_ago


@pytest.mark.parametrize(
    "days_since, state, newly_churned",
    [
        (0, "active", False),
        (14, "active", False),
        (15, "at_risk", False),
        (29, "at_risk", False),
        (30, "churned", True),
        (59, "churned", True),
        (60, "churned", False),
        (400, "churned", False),
    ],
)
def test_state_follows_days_since_last_order(shop, days_since, state, newly_churned):
    """Defaults R=15, C=30, P=30: at risk from day 15, churned from day 30, newly churned until C+P."""
    customer = shop.customer("Corner shop")
    shop.order(customer, days_ago(days_since + 45), 50)
    shop.order(customer, days_ago(days_since), 80)
    shop.recompute()
    figures = shop.figures(customer)
    assert figures.churn_state == state
    assert figures.churn_days_since == days_since
    assert figures.churn_last_order_date == days_ago(days_since)
    assert figures.churn_newly_churned is newly_churned
    assert figures.churn_as_of == AS_OF


def test_customer_without_orders_never_traded(shop):
    customer = shop.customer("New shop")
    shop.recompute()
    figures = shop.figures(customer)
    assert figures.churn_state == "never"
    assert not figures.churn_last_order_date
    assert not figures.churn_newly_churned
    assert not figures.churn_traded_recently
    assert not figures.churn_not_traded_recently
    assert not figures.value_segment
    assert not figures.abc_tier


def test_quotations_and_cancelled_orders_never_count(shop):
    customer = shop.customer("Browsing shop")
    shop.order(customer, days_ago(1), 500, state="draft")
    shop.order(customer, days_ago(2), 500, state="sent")
    shop.order(customer, days_ago(3), 500, state="cancel")
    shop.recompute()
    assert shop.figures(customer).churn_state == "never"


def test_current_window_ends_on_as_of_and_spans_p_days(shop):
    """W0 = [as_of-29, as_of]: an order 29 days ago is recent, one 30 days ago is in W1."""
    recent = shop.customer("Recent")
    shop.order(recent, days_ago(29), 70)
    before = shop.customer("Before")
    shop.order(before, days_ago(30), 70)
    shop.recompute()
    assert shop.figures(recent).churn_traded_recently
    assert not shop.figures(recent).churn_not_traded_recently
    assert shop.figures(recent).churn_revenue_current == 70
    assert shop.figures(recent).churn_orders_current == 1
    assert not shop.figures(before).churn_traded_recently
    assert shop.figures(before).churn_not_traded_recently
    assert shop.figures(before).churn_revenue_previous == 70
    assert shop.figures(before).churn_orders_previous == 1


def test_previous_window_ends_2p_days_back(shop):
    """W1 = [as_of-59, as_of-30]: an order 60 days ago is in neither window."""
    edge = shop.customer("Edge")
    shop.order(edge, days_ago(59), 40)
    shop.order(edge, days_ago(60), 1000)
    shop.recompute()
    assert shop.figures(edge).churn_revenue_previous == 40
    assert shop.figures(edge).churn_orders_previous == 1


def test_orders_after_as_of_are_ignored(shop):
    """A back-dated run is exact: later orders do not exist for it."""
    customer = shop.customer("Came back later")
    shop.order(customer, days_ago(40), 100)
    shop.order(customer, days_ago(-1), 100)
    shop.order(customer, days_ago(-20), 100)
    shop.recompute()
    figures = shop.figures(customer)
    assert figures.churn_state == "churned"
    assert figures.churn_days_since == 40
    shop.recompute(as_of=days_ago(-1))
    assert shop.figures(customer).churn_state == "active"


def test_customer_whose_first_order_is_after_as_of_never_traded(shop):
    customer = shop.customer("Future shop")
    shop.order(customer, days_ago(-3), 100)
    shop.recompute()
    assert shop.figures(customer).churn_state == "never"


def test_changed_thresholds_apply_at_next_run(shop):
    customer = shop.customer("Slow shop")
    shop.order(customer, days_ago(10), 100)
    shop.company.write({"churn_at_risk_days": 7, "churn_churned_days": 10})
    shop.recompute()
    assert shop.figures(customer).churn_state == "churned"
    assert shop.figures(customer).churn_newly_churned


def test_summary_counts_each_state(shop):
    shop.order(shop.customer("A1"), days_ago(1), 10)
    shop.order(shop.customer("A2"), days_ago(3), 10)
    shop.order(shop.customer("R1"), days_ago(20), 10)
    shop.order(shop.customer("C1"), days_ago(90), 10)
    shop.customer("N1")
    summary = shop.recompute()
    customers = shop.env["res.partner"].with_company(shop.company).search([("churn_state", "!=", False)])
    assert summary["customers"] == len(customers)
    assert summary["active"] >= 2 and summary["at_risk"] >= 1 and summary["churned"] >= 1 and summary["never"] >= 1
    assert summary["active"] + summary["at_risk"] + summary["churned"] + summary["never"] == summary["customers"]
    assert summary["seconds"] >= 0
