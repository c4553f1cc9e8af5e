"""ABC tier of last month with previous tier and trend (SPEC §5), value segment (SPEC §6)."""

from datetime import time, timedelta

from common import AS_OF, M1, M2, days_ago


def test_abc_line_crossing_and_ties(shop):
    """Revenues 60, 20, 20 in last month: 60 is A; the tie at 20 goes to the lower id first,
    which starts at 60% (< 80%: B); the other starts at exactly 80% (C)."""
    big = shop.customer("Big")
    tie_low = shop.customer("Tie, created first")
    tie_high = shop.customer("Tie, created second")
    shop.order(big, M1 + timedelta(days=2), 60)
    shop.order(tie_high, M1 + timedelta(days=3), 20)
    shop.order(tie_low, M1 + timedelta(days=4), 20)
    shop.recompute()
    assert tie_low.id < tie_high.id
    assert [shop.figures(p).abc_tier for p in (big, tie_low, tie_high)] == ["A", "B", "C"]
    assert shop.figures(big).abc_revenue == 60


def test_abc_exact_thirty_percent_before_is_b(shop):
    """Revenues 30, 20, 20, 20, 10: the second starts at exactly 30%, which is not below 30%."""
    customers = [shop.customer(f"Shop {i}") for i in range(5)]
    for customer, amount in zip(customers, (30, 20, 20, 20, 10), strict=True):
        shop.order(customer, M1 + timedelta(days=10), amount)
    shop.recompute()
    assert [shop.figures(p).abc_tier for p in customers] == ["A", "B", "B", "B", "C"]


def test_two_eight_rule_preset(shop):
    """A = 20, B = 60: revenues 50, 30, 20 -> before 0 (A), 50 (B), 80 (C)."""
    settings = shop.env["res.config.settings"].create({})
    settings.action_churn_abc_preset_80_20()
    assert (shop.company.churn_abc_a_percent, shop.company.churn_abc_b_percent) == (20, 60)
    customers = [shop.customer(f"Shop {i}") for i in range(3)]
    for customer, amount in zip(customers, (50, 30, 20), strict=True):
        shop.order(customer, M1 + timedelta(days=1), amount)
    shop.recompute()
    assert [shop.figures(p).abc_tier for p in customers] == ["A", "B", "C"]


def test_tier_d_empty_tier_and_trend(shop):
    earlier = M2 - timedelta(days=5)
    steady = shop.customer("Steady")  # A in M2 and M1
    shop.order(steady, M2 + timedelta(days=1), 100)
    shop.order(steady, M1 + timedelta(days=1), 100)
    faded = shop.customer("Faded")  # A in M2 (alone there besides steady? no: B), nothing in M1 -> D
    shop.order(faded, M2 + timedelta(days=2), 50)
    silent = shop.customer("Silent")  # traded before M2, nothing in M2 or M1 -> D, D
    shop.order(silent, earlier, 10)
    refund = shop.customer("Refund")  # only a negative month -> D
    shop.order(refund, earlier, 40)
    shop.order(refund, M1 + timedelta(days=5), -40)
    newcomer = shop.customer("Newcomer")  # first order in M1: tier, no previous tier
    shop.order(newcomer, M1 + timedelta(days=20), 10)
    this_month = shop.customer("This month")  # first order after M1: no tier at all
    shop.order(this_month, AS_OF - timedelta(days=1), 500)
    shop.recompute()
    tiers = {p.name: (shop.figures(p).abc_tier, shop.figures(p).abc_tier_prev, shop.figures(p).abc_trend) for p in
             (steady, faded, silent, refund, newcomer, this_month)}  # fmt: skip
    # M2: steady 100 (A, before 0%), faded 50 (before 66.7%: B). M1: steady 100 (A), newcomer 10 (before 90.9%: C)
    assert tiers == {
        "Steady": ("A", "A", "same"),
        "Faded": ("D", "B", "down"),
        "Silent": ("D", "D", "same"),
        "Refund": ("D", "D", "same"),
        "Newcomer": ("C", False, "new"),
        "This month": (False, False, False),
    }
    assert shop.figures(refund).abc_revenue == -40


def test_tier_upgrade_is_up(shop):
    a = shop.customer("Grower")
    b = shop.customer("Leader")
    shop.order(b, M2 + timedelta(days=1), 100)
    shop.order(a, M2 + timedelta(days=1), 10)  # M2: b A, a C (before 90.9%)
    shop.order(a, M1 + timedelta(days=1), 100)
    shop.order(b, M1 + timedelta(days=1), 10)  # M1: a A, b C
    shop.recompute()
    assert (shop.figures(a).abc_tier_prev, shop.figures(a).abc_tier, shop.figures(a).abc_trend) == ("C", "A", "up")
    assert (shop.figures(b).abc_tier_prev, shop.figures(b).abc_tier, shop.figures(b).abc_trend) == ("A", "C", "down")


def test_value_segments_band_by_ceil_of_customer_count(shop):
    """22 ranked customers (21 + one on the window's first day): ceil(1.1)=2 very important,
    ceil(5.5)=6 important or better, ceil(16.5)=17 general or better, the last 5 dormant."""
    customers = [shop.customer(f"Ranked {i:02d}") for i in range(21)]
    for rank, customer in enumerate(customers):
        shop.order(customer, days_ago(100), 1000 - rank * 10)
    lapsed = shop.customer("Lapsed")  # traded, but not in the last 365 days
    shop.order(lapsed, days_ago(365), 5000)
    in_window = shop.customer("Last window day")  # 364 days ago is the window's first day
    shop.order(in_window, days_ago(364), 1)
    never = shop.customer("Never")
    shop.recompute()
    segments = [shop.figures(p).value_segment for p in customers]
    assert segments == ["very_important"] * 2 + ["important"] * 4 + ["general"] * 11 + ["dormant"] * 4
    assert shop.figures(lapsed).value_segment == "dormant"
    assert shop.figures(in_window).value_segment == "dormant"  # 22nd of 22 ranked
    assert not shop.figures(never).value_segment


def test_value_segments_of_twenty_one_customers(shop):
    """21 ranked: ceil(1.05)=2, ceil(5.25)=6, ceil(15.75)=16."""
    customers = [shop.customer(f"Ranked {i:02d}") for i in range(21)]
    for rank, customer in enumerate(customers):
        shop.order(customer, days_ago(10), 1000 - rank * 10)
    shop.recompute()
    segments = [shop.figures(p).value_segment for p in customers]
    assert segments == ["very_important"] * 2 + ["important"] * 4 + ["general"] * 10 + ["dormant"] * 5


def test_value_segment_of_one_customer_is_very_important(shop):
    customer = shop.customer("Only one")
    shop.order(customer, days_ago(3), 10)
    returns = shop.customer("Only returns")
    shop.order(returns, days_ago(3), -10)
    shop.recompute()
    assert shop.figures(customer).value_segment == "very_important"
    assert shop.figures(returns).value_segment == "dormant"


def test_month_ends_bound_the_abc_month_in_local_time(shop):
    """Last month runs from its 1st 00:00 to its last day 23:59 in the company's timezone."""
    shop.company.partner_id.tz = "Asia/Shanghai"
    month_end = AS_OF.replace(day=1) - timedelta(days=1)
    first_morning = shop.customer("First morning of last month")
    shop.order(first_morning, M1, 50, local_time=time(0, 10))
    last_evening = shop.customer("Last evening of last month")
    shop.order(last_evening, month_end, 30, local_time=time(23, 30))
    this_month = shop.customer("First morning of this month")
    shop.order(this_month, AS_OF.replace(day=1), 500, local_time=time(0, 10))
    shop.recompute()
    assert shop.figures(first_morning).abc_revenue == 50
    assert shop.figures(last_evening).abc_revenue == 30
    assert shop.figures(this_month).abc_revenue == 0
    assert not shop.figures(this_month).abc_tier  # first order after last month: no tier
    # 50 starts at 0% (A), 30 starts at 62.5% (B)
    assert [shop.figures(p).abc_tier for p in (first_morning, last_evening)] == ["A", "B"]
