"""Sales and order-count changes between the two windows, and the own-cycle rhythm (SPEC §4)."""

import pytest

from common import days_ago


@pytest.mark.parametrize(
    "previous, current, plunge, surge",
    [
        (100, 120, False, True),  # exactly +20%: a surge
        (100, 119.99, False, False),
        (100, 80, True, False),  # exactly -20%: a plunge
        (100, 80.01, False, False),
        (100, 0, True, False),  # nothing this period
        (0, 500, False, False),  # no previous sales: no comparison
        (-50, 10, False, False),  # returns only before: no comparison
    ],
)
def test_sales_surge_and_plunge_at_twenty_percent(shop, previous, current, plunge, surge):
    customer = shop.customer("Shop")
    if previous:
        shop.order(customer, days_ago(45), previous)
    if current:
        shop.order(customer, days_ago(5), current)
    shop.order(customer, days_ago(200), 1)  # has traded, whatever the windows hold
    shop.recompute()
    figures = shop.figures(customer)
    assert figures.churn_revenue_previous == pytest.approx(previous)
    assert figures.churn_revenue_current == pytest.approx(current)
    assert figures.churn_sales_plunge is plunge
    assert figures.churn_sales_surge is surge


def test_sales_sum_several_orders_and_returns(shop):
    customer = shop.customer("Shop with a return")
    shop.orders(customer, [days_ago(40), days_ago(50)], 60)  # previous: 120
    shop.order(customer, days_ago(3), 200)
    shop.order(customer, days_ago(2), -50)  # a credit order subtracts: current 150
    shop.recompute()
    figures = shop.figures(customer)
    assert figures.churn_revenue_previous == 120
    assert figures.churn_revenue_current == 150
    assert figures.churn_sales_surge  # 150 >= 144
    assert figures.churn_orders_current == 2


@pytest.mark.parametrize(
    "previous_orders, current_orders, rise, plunge",
    [
        (1, 3, False, False),  # +2: not more than 2
        (1, 4, True, False),  # +3
        (3, 1, False, False),  # -2
        (4, 1, False, True),  # -3
        (3, 0, False, True),
    ],
)
def test_order_count_rise_and_plunge_beyond_two(shop, previous_orders, current_orders, rise, plunge):
    customer = shop.customer("Shop")
    shop.orders(customer, [days_ago(31 + i) for i in range(previous_orders)], 10)
    shop.orders(customer, [days_ago(1 + i) for i in range(current_orders)], 10)
    shop.recompute()
    figures = shop.figures(customer)
    assert figures.churn_orders_previous == previous_orders
    assert figures.churn_orders_current == current_orders
    assert figures.churn_orders_rise is rise
    assert figures.churn_orders_plunge is plunge


def test_orders_of_one_day_each_count(shop):
    customer = shop.customer("Two orders a day")
    shop.orders(customer, [days_ago(2), days_ago(2), days_ago(2)], 10)
    shop.recompute()
    assert shop.figures(customer).churn_orders_current == 3


def test_cycle_needs_three_distinct_order_days(shop):
    two_days = shop.customer("Two days")
    shop.orders(two_days, [days_ago(20), days_ago(10), days_ago(10)], 10)
    three_days = shop.customer("Three days")
    shop.orders(three_days, [days_ago(24), days_ago(17), days_ago(8)], 10)
    shop.recompute()
    assert not shop.figures(two_days).churn_cycle_days
    assert not shop.figures(two_days).churn_next_order_date
    figures = shop.figures(three_days)
    assert figures.churn_cycle_days == 8  # gaps 7 and 9: median 8
    assert figures.churn_next_order_date == days_ago(0)  # 8 days after the last order


def test_cycle_median_of_even_gaps_rounds_half_up(shop):
    customer = shop.customer("Half")
    # gaps 7, 8, 10 -> median 8; with gaps 7, 8 -> 7.5 rounds to 8 days for the next order
    shop.orders(customer, [days_ago(30), days_ago(23), days_ago(15)], 10)
    shop.recompute()
    figures = shop.figures(customer)
    assert figures.churn_cycle_days == 7.5
    assert figures.churn_next_order_date == days_ago(7)


def test_cycle_only_uses_order_days_of_the_last_365_days(shop):
    customer = shop.customer("Old rhythm")
    shop.orders(customer, [days_ago(380), days_ago(370), days_ago(364), days_ago(100)], 10)
    shop.recompute()
    # inside the window: 364 and 100 only -> two order days, no cycle
    assert not shop.figures(customer).churn_cycle_days


@pytest.mark.parametrize("days_since, overdue", [(20, False), (21, True)])
def test_overdue_after_two_own_cycles(shop, days_since, overdue):
    """Cycle 10 days: overdue once more than 20 days passed without an order."""
    customer = shop.customer("Ten-day shop")
    last = days_since
    shop.orders(customer, [days_ago(last + 20), days_ago(last + 10), days_ago(last)], 10)
    shop.recompute()
    figures = shop.figures(customer)
    assert figures.churn_cycle_days == 10
    assert figures.churn_cycle_overdue is overdue
