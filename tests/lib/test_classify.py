"""Classification of customers from their aggregates (SPEC §2-§6, §8), without Odoo.

Each story builds the per-customer aggregates the extraction step would give (one row per
partner: first and last order day, sums and counts of the windows, the cycle), classifies them
as of a day and reads the figures of SPEC §8. Expected values are written by hand.

Unless a story says otherwise, as of 30 June 2025: the current window W0 is 1-30 June, the
previous window W1 is 2-31 May, ``abc_tier`` is May's tier and ``abc_tier_prev`` April's.
"""

import math
from datetime import date, timedelta

import pandas as pd
import pytest

from odoo.addons.customer_churn_cockpit.lib.classify import ChurnSettings, classify_customers, state_lines
from odoo.addons.customer_churn_cockpit.lib.vocabulary import FIGURE_NAMES, FLAG_COLUMNS, RANK_COLUMNS
from odoo.addons.customer_churn_cockpit.lib.windows import Windows

D = date.fromisoformat
AS_OF = D("2025-06-30")
# P = 30, R = 15, C = 30, on each customer's cycle: k_r 1.5, k_c 2, R_min 7; 20% sales, 2 orders,
# 2 cycles, 30/50/20, 5/20/50
DEFAULTS = ChurnSettings()
NAN = math.nan

# The aggregates as models/customer_churn_extract.py types them.
DATE_COLUMNS = ("first_day", "last_day", "last_visit_date", "last_coupon_date")
NUMBER_COLUMNS = (
    "rev_cur",
    "rev_prev",
    "cnt_cur",
    "cnt_prev",
    "rev_month",
    "rev_month_prev",
    "rev_value",
    "cycle_days",
)


# Builders ------------------------------------------------------------------------------------


def customer(partner_id, days_since=None, first_day=None, as_of=AS_OF, **aggregates):
    """One customer's aggregates: its last order day is ``days_since`` days before ``as_of``.

    ``days_since`` None is a customer that never traded. ``first_day`` (ISO text) defaults to the
    last order day. Sums of a window without orders are empty (NaN) and counts 0, as the SQL
    gives them; for a customer that never traded every aggregate is empty.
    """
    traded = days_since is not None
    last_day = as_of - timedelta(days=days_since) if traded else None
    no_orders = 0 if traded else NAN
    row = {
        "partner_id": partner_id,
        "first_day": D(first_day) if first_day else last_day,
        "last_day": last_day,
        "rev_cur": NAN,
        "rev_prev": NAN,
        "cnt_cur": no_orders,
        "cnt_prev": no_orders,
        "rev_month": NAN,
        "rev_month_prev": NAN,
        "rev_value": NAN,
        "cycle_days": NAN,
        "last_visit_date": None,
        "last_coupon_date": None,
    }
    row.update(aggregates)
    return row


def never_traded(partner_id, **aggregates):
    return customer(partner_id, None, **aggregates)


def aggregates(*customers):
    frame = pd.DataFrame(list(customers)).set_index("partner_id")
    for name in DATE_COLUMNS:
        frame[name] = pd.to_datetime(frame[name])
    for name in NUMBER_COLUMNS:
        frame[name] = frame[name].astype("float64")
    return frame


def classify(*customers, as_of=AS_OF, settings=DEFAULTS, ranks=True):
    """The figures of these customers as of ``as_of``, one row per partner id."""
    return classify_customers(aggregates(*customers), Windows.for_settings(as_of, settings), settings, ranks=ranks)


def figure(name, *customers, **options):
    """The figure ``name`` of the first customer, classified among all of them."""
    return classify(*customers, **options).loc[customers[0]["partner_id"], name]


def as_dict(column):
    """A column of figures as {partner_id: value}, an empty value as None."""
    return {partner_id: (None if pd.isna(value) else value) for partner_id, value in column.items()}


def by_partner(name, *customers, **options):
    """The figure ``name`` of every customer, classified among all of them."""
    return as_dict(classify(*customers, **options)[name])


def last_ordered_days_ago(*days):
    """One customer per number of days since its last order, with that number as its id."""
    return [customer(days_since, days_since=days_since) for days_since in days]


def ranked_by_revenue(count, column):
    """``count`` customers whose ``column`` revenue falls with the partner id: id 1 is first."""
    return [customer(partner_id, days_since=3, **{column: 1000.0 - partner_id}) for partner_id in range(1, count + 1)]


# The frame (SPEC §8) ---------------------------------------------------------------------------


def test_the_figures_are_the_vocabulary_in_its_order():
    figures = classify(customer(1, days_since=3), never_traded(2))
    assert list(figures.columns) == list(FIGURE_NAMES)
    assert sorted(figures.index) == [1, 2]


def test_no_customer_gives_an_empty_frame_with_every_figure():
    figures = classify_customers(
        aggregates(customer(1, days_since=3)).iloc[:0], Windows.for_settings(AS_OF, DEFAULTS), DEFAULTS
    )
    assert figures.empty
    assert list(figures.columns) == list(FIGURE_NAMES)


def test_extracted_values_are_passed_through():
    figures = classify(
        customer(
            7,
            days_since=4,
            rev_cur=120.5,
            rev_prev=80.0,
            cnt_cur=3,
            cnt_prev=2,
            rev_month=60.0,
            last_visit_date=D("2025-06-20"),
            last_coupon_date=D("2025-05-02"),
        )
    ).loc[7]
    assert figures["churn_as_of"] == pd.Timestamp("2025-06-30")
    assert figures["churn_last_order_date"] == pd.Timestamp("2025-06-26")
    assert figures["churn_days_since"] == 4
    assert figures["churn_revenue_current"] == 120.5
    assert figures["churn_revenue_previous"] == 80.0
    assert figures["churn_orders_current"] == 3
    assert figures["churn_orders_previous"] == 2
    assert figures["abc_revenue"] == 60.0
    assert figures["churn_last_visit_date"] == pd.Timestamp("2025-06-20")
    assert figures["churn_last_coupon_date"] == pd.Timestamp("2025-05-02")


def test_windows_without_orders_read_as_zero_sales_and_orders():
    figures = classify(customer(1, days_since=70)).loc[1]
    assert figures["churn_revenue_current"] == 0
    assert figures["churn_revenue_previous"] == 0
    assert figures["churn_orders_current"] == 0
    assert figures["churn_orders_previous"] == 0
    assert figures["abc_revenue"] == 0


def test_a_customer_that_never_traded_has_no_figure_but_its_state():
    figures = classify(never_traded(1), customer(2, days_since=3, rev_month=50.0, rev_value=50.0)).loc[1]
    assert figures["churn_state"] == "never"
    assert pd.isna(figures["churn_days_since"])
    assert pd.isna(figures["churn_last_order_date"])
    assert pd.isna(figures["churn_cycle_days"])
    assert pd.isna(figures["churn_next_order_date"])
    assert not figures[list(FLAG_COLUMNS)].any()
    assert pd.isna(figures["abc_tier"])
    assert pd.isna(figures["abc_tier_prev"])
    assert pd.isna(figures["abc_trend"])
    assert pd.isna(figures["value_segment"])
    assert figures["churn_revenue_current"] == 0
    assert figures["churn_orders_current"] == 0


def test_without_ranks_the_ranking_figures_stay_empty():
    """An order's refresh classifies a few customers: it cannot rank them, the rest it does."""
    assert RANK_COLUMNS == ("abc_tier", "abc_tier_prev", "abc_trend", "value_segment")
    figures = classify(
        customer(1, days_since=20, first_day="2025-01-10", rev_month=100.0, rev_month_prev=50.0, rev_value=900.0),
        customer(2, days_since=3, first_day="2024-11-02", rev_value=10.0),
        ranks=False,
    )
    assert list(figures.columns) == list(FIGURE_NAMES)
    assert figures[list(RANK_COLUMNS)].isna().all().all()
    assert figures.loc[1, "churn_state"] == "at_risk"
    assert figures.loc[1, "abc_revenue"] == 100.0


# Churn state (SPEC §3): defaults R = 15, C = 30 -------------------------------------------------


def test_state_by_days_since_the_last_order():
    """Each customer's id is its days since the last order."""
    states = by_partner("churn_state", *last_ordered_days_ago(0, 14, 15, 29, 30, 400), never_traded(-1))
    assert states == {
        0: "active",  # ordered on as_of
        14: "active",  # R - 1
        15: "at_risk",  # R
        29: "at_risk",  # C - 1
        30: "churned",  # C
        400: "churned",
        -1: "never",
    }


def test_state_with_other_lines():
    """At risk after 7 days, churned after 60."""
    settings = ChurnSettings(at_risk_days=7, churned_days=60)
    states = by_partner("churn_state", *last_ordered_days_ago(6, 7, 59, 60), settings=settings)
    assert states == {6: "active", 7: "at_risk", 59: "at_risk", 60: "churned"}


def test_the_lines_of_the_fixed_table():
    """Without a cycle, the lines are R and C, and stored with every customer."""
    figures = classify(customer(1, days_since=3), never_traded(2))
    assert figures["churn_at_risk_after"].to_dict() == {1: 15, 2: 15}
    assert figures["churn_churned_after"].to_dict() == {1: 30, 2: 30}


# Churn state by each customer's own order cycle (SPEC §3b): k_r = 1.5, k_c = 2.0, R_min = 7 ----

FIXED = ChurnSettings(state_basis="fixed")


def ordering_every(cycle_days, *days, **settings):
    """The state of one customer per number of days since its last order, all on a cycle of
    ``cycle_days``, with that number as its id."""
    shops = [customer(days_since, days_since=days_since, cycle_days=cycle_days) for days_since in days]
    return by_partner("churn_state", *shops, settings=ChurnSettings(**settings))


def lines_of(cycle_days, **settings):
    """(churn_at_risk_after, churned_after) of a customer with this cycle, as classify stores them."""
    figures = classify(customer(1, days_since=3, cycle_days=cycle_days), settings=ChurnSettings(**settings)).loc[1]
    return int(figures["churn_at_risk_after"]), int(figures["churn_churned_after"])


def test_by_default_a_customer_with_a_cycle_churns_after_two_cycles():
    figures = classify(customer(1, days_since=20, cycle_days=10.0)).loc[1]
    assert figures["churn_state"] == "churned"
    assert figures["churn_newly_churned"]
    assert (figures["churn_at_risk_after"], figures["churn_churned_after"]) == (15, 20)


@pytest.mark.parametrize(
    ("cycle", "expected"),
    [
        (10, (15, 20)),  # 1.5 x 10 = 15 exactly: not 16
        (7, (11, 14)),  # 1.5 x 7 = 10.5 -> 11
        (7.5, (12, 15)),  # 11.25 -> 12; 2 x 7.5 = 15
        (5, (8, 10)),  # 7.5 -> 8, above R_min
        (4, (7, 8)),  # 6 -> R_min 7; 8 = 2 x 4 = R_c + 1
        (3, (7, 8)),  # 4.5 -> 5 -> R_min 7; 2 x 3 = 6 -> R_c + 1 = 8
        (20, (30, 40)),
    ],
)
def test_cycle_lines(cycle, expected):
    assert lines_of(float(cycle)) == expected


def test_a_ten_day_cycle_is_at_risk_on_day_fifteen_exactly():
    """1.5 x 10 = 15 exactly: at risk from day 15, not 16; churned from 2 x 10 = 20."""
    states = ordering_every(10.0, 14, 15, 19, 20)
    assert states == {14: "active", 15: "at_risk", 19: "at_risk", 20: "churned"}


def test_half_a_day_of_line_rounds_up():
    """A weekly shop: 1.5 x 7 = 10.5 -> at risk from day 11; 2 x 7 = 14 -> churned from day 14."""
    assert lines_of(7.0) == (11, 14)
    assert ordering_every(7.0, 10, 11, 13, 14) == {10: "active", 11: "at_risk", 13: "at_risk", 14: "churned"}


def test_a_half_day_cycle_rounds_each_line_up():
    """A cycle of 7.5 days: 1.5 x 7.5 = 11.25 -> 12; 2 x 7.5 = 15."""
    assert lines_of(7.5) == (12, 15)
    assert ordering_every(7.5, 11, 12, 14, 15) == {11: "active", 12: "at_risk", 14: "at_risk", 15: "churned"}


def test_a_product_of_decimals_is_not_rounded_past_its_value():
    """1.1 x 10 is 11.000000000000002 in floating point: the line is 11, not 12; 2.2 x 25 = 55."""
    assert lines_of(10.0, at_risk_cycles=1.1) == (11, 20)
    assert lines_of(25.0, churned_cycles=2.2) == (38, 55)
    assert ordering_every(10.0, 10, 11, at_risk_cycles=1.1) == {10: "active", 11: "at_risk"}


def test_a_shop_ordering_every_few_days_is_at_risk_after_the_fewest_days():
    """A 3-day cycle: 1.5 x 3 = 4.5 -> 5, below R_min = 7; churned 2 x 3 = 6 would come before,
    so one day after: 8."""
    assert lines_of(3.0) == (7, 8)
    assert ordering_every(3.0, 6, 7, 8) == {6: "active", 7: "at_risk", 8: "churned"}


def test_the_fewest_at_risk_days_follow_the_setting():
    assert lines_of(2.0, cycle_min_days=1) == (3, 4)
    assert lines_of(10.0, cycle_min_days=16) == (16, 20)
    assert ordering_every(3.0, 4, 5, 6, cycle_min_days=1) == {4: "active", 5: "at_risk", 6: "churned"}


def test_churned_one_day_after_at_risk_when_the_cycle_lines_meet():
    """R_min = 20 over a 10-day cycle: at risk from day 20, which is also 2 cycles: churned from 21."""
    assert lines_of(10.0, cycle_min_days=20) == (20, 21)
    assert ordering_every(10.0, 19, 20, 21, cycle_min_days=20) == {19: "active", 20: "at_risk", 21: "churned"}
    # k_r 1.9 and k_c 2 over a daily cycle: ceil(1.9) and ceil(2.0) are both 2.
    assert lines_of(1.0, at_risk_cycles=1.9, cycle_min_days=1) == (2, 3)


def test_a_monthly_shop_is_active_past_the_fixed_lines():
    """A 40-day cycle: at risk from day 60, churned from 80, where the fixed table says 15 and 30."""
    assert lines_of(40.0) == (60, 80)
    assert ordering_every(40.0, 30, 59, 60, 79, 80) == {
        30: "active",
        59: "active",
        60: "at_risk",
        79: "at_risk",
        80: "churned",
    }


def test_a_customer_without_a_cycle_keeps_the_fixed_lines():
    """Fewer than 3 order days in the year, or none: R = 15 and C = 30, stored as its lines."""
    shops = [*last_ordered_days_ago(14, 15, 29, 30), never_traded(-1)]
    figures = classify(*shops)
    assert as_dict(figures["churn_state"]) == {14: "active", 15: "at_risk", 29: "at_risk", 30: "churned", -1: "never"}
    assert set(figures["churn_at_risk_after"]) == {15}
    assert set(figures["churn_churned_after"]) == {30}


def test_newly_churned_on_the_customer_own_line():
    """C_c = 20 on a 10-day cycle: newly churned from day 20 to day 20 + P - 1 = 49."""
    shops = [customer(days, days_since=days, cycle_days=10.0) for days in (19, 20, 49, 50)]
    assert by_partner("churn_newly_churned", *shops) == {19: False, 20: True, 49: True, 50: False}
    assert by_partner("churn_newly_churned", *shops, settings=FIXED) == {19: False, 20: False, 49: True, 50: True}


def test_the_fixed_basis_ignores_the_cycle():
    shops = [customer(days, days_since=days, cycle_days=10.0) for days in (14, 15, 20, 29, 30)]
    figures = classify(*shops, never_traded(-1), settings=FIXED)
    assert as_dict(figures["churn_state"]) == {
        14: "active",
        15: "at_risk",
        20: "at_risk",
        29: "at_risk",
        30: "churned",
        -1: "never",
    }
    assert set(figures["churn_at_risk_after"]) == {15}
    assert set(figures["churn_churned_after"]) == {30}
    assert as_dict(figures["churn_cycle_days"])[20] == 10.0  # the cycle is still shown


def test_the_fixed_basis_follows_r_and_c():
    settings = ChurnSettings(state_basis="fixed", at_risk_days=7, churned_days=60)
    assert lines_of(10.0, state_basis="fixed", at_risk_days=7, churned_days=60) == (7, 60)
    assert by_partner("churn_state", customer(1, days_since=25, cycle_days=10.0), settings=settings) == {1: "at_risk"}


def test_state_lines_take_a_series_with_gaps():
    at_risk, churned = state_lines(pd.Series([None, 10.0, 7.0]), DEFAULTS)
    assert at_risk.tolist() == [15, 15, 11]
    assert churned.tolist() == [30, 20, 14]


def test_state_lines_of_the_other_basis_than_the_settings():
    """The backtest draws both bases' lines with the same settings."""
    assert state_lines([10.0], DEFAULTS, "fixed")[0].tolist() == [15]
    assert state_lines([10.0], FIXED, "cycle")[1].tolist() == [20]


def test_an_unknown_basis_is_refused():
    with pytest.raises(ValueError):
        state_lines([10.0], DEFAULTS, "weekly")


# Flags (SPEC §4) ----------------------------------------------------------------------------


def test_newly_churned_when_the_churn_line_was_crossed_inside_the_current_window():
    newly = by_partner("churn_newly_churned", *last_ordered_days_ago(29, 30, 59, 60), never_traded(-1))
    assert newly == {
        29: False,  # C - 1: not churned yet
        30: True,  # C: crossed the line today
        59: True,  # C + P - 1: crossed it on the first day of W0
        60: False,  # C + P: crossed it before W0
        -1: False,
    }


def test_newly_churned_follows_the_period():
    """With P = 14 the churn line C = 30 must have been crossed in the last 14 days."""
    settings = ChurnSettings(period_days=14)
    newly = by_partner("churn_newly_churned", *last_ordered_days_ago(29, 30, 43, 44), settings=settings)
    assert newly == {29: False, 30: True, 43: True, 44: False}


def test_traded_recently_with_one_order_in_the_current_window():
    figures = classify(
        customer(1, days_since=29, cnt_cur=1, rev_cur=10.0),
        customer(2, days_since=30),
        never_traded(3),
    )
    assert figures["churn_traded_recently"].to_dict() == {1: True, 2: False, 3: False}


def test_not_traded_recently_needs_an_order_before_the_current_window():
    figures = classify(
        customer(1, days_since=30),  # last ordered on 31 May, the day before W0
        customer(2, days_since=29, cnt_cur=1, rev_cur=10.0),
        never_traded(3),
    )
    assert figures["churn_not_traded_recently"].to_dict() == {1: True, 2: False, 3: False}


def sales(partner_id, rev_prev, rev_cur):
    return customer(partner_id, days_since=3, rev_prev=rev_prev, rev_cur=rev_cur)


def test_sales_plunge_at_twenty_percent_down():
    plunge = by_partner(
        "churn_sales_plunge",
        sales(1, 100.0, 80.0),  # exactly -20%
        sales(2, 100.0, 80.01),
        sales(3, 100.0, NAN),  # no order in W0
        sales(4, 100.0, -5.0),  # a credit note subtracts
        sales(5, 0.7, 0.56),  # exactly -20%, though 0.56 > 0.7 * 0.8 in binary floating point
        sales(6, 0.0, 0.0),  # no sales to fall from
        sales(7, NAN, NAN),
        sales(8, -50.0, -80.0),  # net refunds in W1 are no sales
    )
    assert plunge == {1: True, 2: False, 3: True, 4: True, 5: True, 6: False, 7: False, 8: False}


def test_sales_surge_at_twenty_percent_up():
    surge = by_partner(
        "churn_sales_surge",
        sales(1, 100.0, 120.0),  # exactly +20%
        sales(2, 100.0, 119.99),
        sales(3, 0.17, 0.204),  # exactly +20%, though 0.204 < 0.17 * 1.2 in binary floating point
        sales(4, 0.0, 500.0),  # from nothing is no surge
        sales(5, NAN, 500.0),
    )
    assert surge == {1: True, 2: False, 3: True, 4: False, 5: False}


def test_sales_lines_follow_the_settings():
    settings = ChurnSettings(sales_plunge_percent=50, sales_surge_percent=10)
    figures = classify(
        sales(1, 100.0, 50.0),
        sales(2, 100.0, 51.0),
        sales(3, 100.0, 110.0),
        sales(4, 100.0, 109.0),
        settings=settings,
    )
    assert figures["churn_sales_plunge"].to_dict() == {1: True, 2: False, 3: False, 4: False}
    assert figures["churn_sales_surge"].to_dict() == {1: False, 2: False, 3: True, 4: False}


def orders(partner_id, cnt_prev, cnt_cur):
    return customer(partner_id, days_since=1, cnt_prev=cnt_prev, cnt_cur=cnt_cur)


def test_order_count_plunge_and_rise_by_more_than_two():
    figures = classify(
        orders(1, 5, 2),  # 3 fewer
        orders(2, 5, 3),  # 2 fewer
        orders(3, 3, 0),
        orders(4, 2, 5),  # 3 more
        orders(5, 3, 5),  # 2 more
        orders(6, 0, 3),
        orders(7, 4, 4),
    )
    assert figures["churn_orders_plunge"].to_dict() == {
        1: True,
        2: False,
        3: True,
        4: False,
        5: False,
        6: False,
        7: False,
    }
    assert figures["churn_orders_rise"].to_dict() == {
        1: False,
        2: False,
        3: False,
        4: True,
        5: False,
        6: True,
        7: False,
    }


def test_order_count_lines_follow_the_settings():
    settings = ChurnSettings(orders_plunge_count=0, orders_rise_count=4)
    figures = classify(orders(1, 2, 1), orders(2, 1, 5), orders(3, 1, 6), settings=settings)
    assert figures["churn_orders_plunge"].to_dict() == {1: True, 2: False, 3: False}
    assert figures["churn_orders_rise"].to_dict() == {1: False, 2: False, 3: True}


def test_cycle_overdue_after_more_than_two_cycles():
    overdue = by_partner(
        "churn_cycle_overdue",
        customer(1, days_since=20, cycle_days=10.0),  # exactly two cycles
        customer(2, days_since=21, cycle_days=10.0),
        customer(3, days_since=15, cycle_days=7.5),
        customer(4, days_since=16, cycle_days=7.5),
        customer(5, days_since=400),  # no cycle, no overdue
    )
    assert overdue == {1: False, 2: True, 3: False, 4: True, 5: False}


def test_cycle_overdue_follows_the_multiplier():
    settings = ChurnSettings(cycle_multiplier=3.0)
    overdue = by_partner(
        "churn_cycle_overdue",
        customer(1, days_since=30, cycle_days=10.0),
        customer(2, days_since=31, cycle_days=10.0),
        settings=settings,
    )
    assert overdue == {1: False, 2: True}


def test_next_order_date_is_the_last_order_day_plus_the_rounded_cycle():
    """Every customer last ordered on 20 June."""
    figures = classify(
        customer(1, days_since=10, cycle_days=7.0),
        customer(2, days_since=10, cycle_days=7.4),
        customer(3, days_since=10, cycle_days=6.5),  # half a day rounds up, not to the even 6
        customer(4, days_since=10, cycle_days=7.5),
        customer(5, days_since=10, cycle_days=10.5),  # after as_of
        customer(6, days_since=10),  # no cycle
    )
    assert as_dict(figures["churn_cycle_days"]) == {1: 7.0, 2: 7.4, 3: 6.5, 4: 7.5, 5: 10.5, 6: None}
    assert as_dict(figures["churn_next_order_date"]) == {
        1: pd.Timestamp("2025-06-27"),
        2: pd.Timestamp("2025-06-27"),
        3: pd.Timestamp("2025-06-27"),
        4: pd.Timestamp("2025-06-28"),
        5: pd.Timestamp("2025-07-01"),
        6: None,
    }


# ABC tier (SPEC §5): May's sales, 30 / 50 / 20 ---------------------------------------------------


def may_sales(partner_id, revenue, first_day="2025-01-06", **aggregates):
    return customer(partner_id, days_since=35, first_day=first_day, rev_month=revenue, **aggregates)


def test_the_customer_that_crosses_the_a_line_is_a():
    """Five customers of 20 each: the second goes from 20% to 40%, across the 30% line."""
    tiers = by_partner("abc_tier", *(may_sales(partner_id, 20.0) for partner_id in range(1, 6)))
    assert tiers == {1: "A", 2: "A", 3: "B", 4: "B", 5: "C"}  # 5 starts exactly on 80%


def test_one_large_customer_takes_a_and_leaves_no_b():
    """Customer 2 holds 95 of 100.5: the others start past the 80% line."""
    tiers = by_partner("abc_tier", may_sales(1, 5.0), may_sales(2, 95.0), may_sales(3, 0.5))
    assert tiers == {2: "A", 1: "C", 3: "C"}


def test_a_customer_starting_exactly_on_the_a_line_is_b_and_ties_go_to_the_lower_id():
    """3 and 7 sell 30 each, 1 and 2 sell 20: 3 ranks first, so 7 starts on 30%, then 2 on 80%."""
    tiers = by_partner("abc_tier", may_sales(7, 30.0), may_sales(2, 20.0), may_sales(3, 30.0), may_sales(1, 20.0))
    assert tiers == {3: "A", 7: "B", 1: "B", 2: "C"}


def test_a_line_met_exactly_in_decimals_is_met_in_floating_point():
    """0.21 / (0.21 + 0.21 + 0.14 + 0.14) is 30%, a hair under it in binary floating point."""
    tiers = by_partner("abc_tier", may_sales(1, 0.21), may_sales(2, 0.21), may_sales(3, 0.14), may_sales(4, 0.14))
    assert tiers == {1: "A", 2: "B", 3: "B", 4: "C"}


def test_the_two_eight_rule():
    """A = 20%, B = 60%: the second of five equal customers starts on the A line."""
    settings = ChurnSettings(abc_a_percent=20, abc_b_percent=60)
    tiers = by_partner("abc_tier", *(may_sales(partner_id, 20.0) for partner_id in range(1, 6)), settings=settings)
    assert tiers == {1: "A", 2: "B", 3: "B", 4: "B", 5: "C"}


def test_tier_d_for_a_customer_without_positive_sales_in_the_month():
    tiers = by_partner(
        "abc_tier",
        may_sales(1, 100.0),
        customer(2, days_since=30, first_day="2025-05-31", rev_month=0.0),  # first order, free, on 31 May
        customer(3, days_since=70, first_day="2025-01-06"),  # last ordered in April
        may_sales(4, -20.0),  # a credit note only
        customer(5, days_since=10, first_day="2025-06-01"),  # first ordered after May
        never_traded(6),
    )
    assert tiers == {1: "A", 2: "D", 3: "D", 4: "D", 5: None, 6: None}


def test_abc_months_across_a_new_year():
    """As of 15 January 2025, abc_tier is December 2024's and abc_tier_prev November's."""
    as_of = D("2025-01-15")
    figures = classify(
        customer(1, days_since=1, first_day="2024-11-30", as_of=as_of, rev_month=10.0),
        customer(2, days_since=1, first_day="2024-12-01", as_of=as_of, rev_month=10.0),
        customer(3, days_since=1, first_day="2024-12-31", as_of=as_of),
        customer(4, days_since=1, first_day="2025-01-01", as_of=as_of),
        as_of=as_of,
    )
    assert as_dict(figures["abc_tier"]) == {1: "A", 2: "B", 3: "D", 4: None}
    assert as_dict(figures["abc_tier_prev"]) == {1: "D", 2: None, 3: None, 4: None}


def test_the_previous_tier_ranks_april_on_its_own():
    """Customer 1 led April, customer 2 led May; customer 3 first ordered in May."""
    figures = classify(
        may_sales(1, 10.0, rev_month_prev=90.0),
        may_sales(2, 90.0, rev_month_prev=10.0),
        may_sales(3, 50.0, first_day="2025-05-02"),  # no April yet
    )
    assert as_dict(figures["abc_tier"]) == {1: "C", 2: "A", 3: "B"}
    assert as_dict(figures["abc_tier_prev"]) == {1: "A", 2: "C", 3: None}


def test_abc_trend_compares_may_with_april():
    """May, of 100: 1, 2 and 3 sell 25 (A, A, B), 6 (new in May) 15 (B), 4 10 (C), 5 nothing (D).
    April, of 85: 2, 3 and 5 sell 25 (A, A, B), 1 10 (C); 4 nothing (D). 7 started in June.
    """
    figures = classify(
        may_sales(1, 25.0, rev_month_prev=10.0),
        may_sales(2, 25.0, rev_month_prev=25.0),
        may_sales(3, 25.0, rev_month_prev=25.0),
        may_sales(4, 10.0),
        may_sales(5, 0.0, rev_month_prev=25.0),
        may_sales(6, 15.0, first_day="2025-05-20"),
        customer(7, days_since=2, first_day="2025-06-28"),
    )
    assert as_dict(figures["abc_tier"]) == {1: "A", 2: "A", 3: "B", 4: "C", 5: "D", 6: "B", 7: None}
    assert as_dict(figures["abc_tier_prev"]) == {1: "C", 2: "A", 3: "A", 4: "D", 5: "B", 6: None, 7: None}
    assert as_dict(figures["abc_trend"]) == {
        1: "up",
        2: "same",
        3: "down",
        4: "up",  # from D to C
        5: "down",  # from B to D
        6: "new",
        7: None,
    }


# Value segment (SPEC §6): ranks over 365 days, bands 5 / 20 / 50 ---------------------------------

VERY, IMPORTANT, GENERAL, DORMANT = "very_important", "important", "general", "dormant"


@pytest.mark.parametrize(
    ("count", "segments"),
    [
        # band ends: ceil(5% n), ceil(25% n), ceil(75% n)
        pytest.param(20, [VERY] * 1 + [IMPORTANT] * 4 + [GENERAL] * 10 + [DORMANT] * 5, id="20: 1, 5, 15"),
        pytest.param(21, [VERY] * 2 + [IMPORTANT] * 4 + [GENERAL] * 10 + [DORMANT] * 5, id="21: 2, 6, 16"),
        pytest.param(22, [VERY] * 2 + [IMPORTANT] * 4 + [GENERAL] * 11 + [DORMANT] * 5, id="22: 2, 6, 17"),
        pytest.param(4, [VERY] * 1 + [GENERAL] * 2 + [DORMANT] * 1, id="4: 1, 1, 3"),
        pytest.param(1, [VERY], id="1: 1, 1, 1"),
    ],
)
def test_value_segments_by_rank_at_the_ceiling_of_each_band(count, segments):
    figures = by_partner("value_segment", *ranked_by_revenue(count, "rev_value"))
    assert [figures[partner_id] for partner_id in range(1, count + 1)] == segments


def test_value_rank_follows_revenue_then_the_lower_id():
    """Four customers, bands ceil 1, 1, 3: of 4 and 9, tied first, 4 is very important."""
    segments = by_partner(
        "value_segment",
        customer(9, days_since=1, rev_value=80.0),
        customer(4, days_since=1, rev_value=80.0),
        customer(2, days_since=1, rev_value=50.0),
        customer(1, days_since=1, rev_value=10.0),
    )
    assert segments == {4: VERY, 9: GENERAL, 2: GENERAL, 1: DORMANT}


def test_dormant_for_a_customer_without_positive_sales_over_the_year():
    segments = by_partner(
        "value_segment",
        customer(1, days_since=1, rev_value=100.0),
        customer(2, days_since=400),  # nothing in the 365 days
        customer(3, days_since=20, rev_value=0.0),
        customer(4, days_since=20, rev_value=-30.0),
        never_traded(5),
    )
    assert segments == {1: VERY, 2: DORMANT, 3: DORMANT, 4: DORMANT, 5: None}


def test_value_bands_follow_the_settings():
    """Bands 10 / 20 / 30 over ten customers: ceil 1, 3, 6."""
    settings = ChurnSettings(value_very_important_percent=10, value_important_percent=20, value_general_percent=30)
    figures = by_partner("value_segment", *ranked_by_revenue(10, "rev_value"), settings=settings)
    assert [figures[partner_id] for partner_id in range(1, 11)] == (
        [VERY] * 1 + [IMPORTANT] * 2 + [GENERAL] * 3 + [DORMANT] * 4
    )
