"""Monthly baselines (每月交易客户量、平均客单价、新增客户、流失客户、流失率) in the company's timezone.

Months are named from AS_OF's month: s0 is its first day (a partial month up to AS_OF, the 15th),
s1 = M1, s2 = M2, s3 the month before. Churned after 30 days: a customer churns on the 30th day
after an order day without a later order, and is live at the start of a month when it ordered in
the 30 days before it. Every day below is chosen so that each figure holds whatever the months'
lengths (28 to 31 days).
"""

import random
from datetime import time, timedelta

import pytest

from odoo.exceptions import AccessError, UserError

from odoo.addons.mail.tests.common import mail_new_test_user

from common import AS_OF, M1, M2, Scenario, month_start

S0, S1, S2, S3 = month_start(AS_OF), M1, M2, month_start(AS_OF, 3)


def day(start, offset):
    return start + timedelta(days=offset)


@pytest.fixture
def shop(env):
    env.company.partner_id.tz = "Asia/Shanghai"
    env.company.churn_churned_days = 30
    # The stories below count on one churn line for all; the cycle basis has its own story.
    env.company.churn_state_basis = "fixed"
    return Scenario(env)


@pytest.fixture
def baselines(env, shop):
    """
    =======  ======================================================  ====================================
    shop     orders (day: amount)                                    why
    =======  ======================================================  ====================================
    Alpha    s2 at 00:30 local: 100 (still M3 in UTC)                 new in M2 on its first local day
             last day of M2 at 23:30 local: 300
             s1+5 (by its branch contact): 200; s0+13: 100            churned on s1+35 (in M0), back
    Beta     s3+4: 50                                                 churned on s3+34 (in M2)
    Gamma    s2-30: 70                                                churned on s2 exactly (in M2)
    Delta    s2-31: 80                                                churned on s2-1 (in M3)
    Epsilon  s2+9: 40; AS_OF: 60                                      new in M2, churned on s2+39 (M1)
    Zeta     s1+1: 90; s1+31 (in M0): 90                              the 30th day is an order: not churned
    Eta      s0-400: 30; s1+10: 500                                   back in M1, not new; churned in M0
    Iota     s2-5, s2+20, s1+15, s0+11: 10 each                       orders every 23 to 26 days
    Theta    cancelled and quotation on s1+2                          never counts
    =======  ======================================================  ====================================
    An order of Alpha in another company (s1+3) never counts either.
    """
    names = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Iota", "Theta")
    c = {name: shop.customer(name) for name in names}
    shop.order(c["Alpha"], S2, 100, local_time=time(0, 30))
    shop.order(c["Alpha"], day(S1, -1), 300, local_time=time(23, 30))
    shop.order(shop.contact_of(c["Alpha"], "Alpha back door"), day(S1, 5), 200)
    shop.order(c["Alpha"], day(S0, 13), 100)
    shop.order(c["Beta"], day(S3, 4), 50)
    shop.order(c["Gamma"], day(S2, -30), 70)
    shop.order(c["Delta"], day(S2, -31), 80)
    shop.orders(c["Epsilon"], [day(S2, 9)], 40)
    shop.order(c["Epsilon"], AS_OF, 60)
    shop.orders(c["Zeta"], [day(S1, 1), day(S1, 31)], 90)
    shop.order(c["Eta"], day(S0, -400), 30)
    shop.order(c["Eta"], day(S1, 10), 500)
    shop.orders(c["Iota"], [day(S2, -5), day(S2, 20), day(S1, 15), day(S0, 11)], 10)
    shop.order(c["Theta"], day(S1, 2), 1000, state="cancel")
    shop.order(c["Theta"], day(S1, 2), 1000, state="draft")
    branch = env["res.company"].create({"name": "Branch B"})
    shop.order(c["Alpha"], day(S1, 3), 999, company=branch)
    return env["customer.churn.baseline"]._compute_baselines(env.company, AS_OF, 12)


FIGURES = ("customers", "orders", "revenue", "average_order_value", "new_customers", "churned", "customers_at_start")


def figures(row):
    return tuple(row[name] for name in FIGURES)


def test_twelve_months_up_to_the_month_of_as_of(baselines):
    assert len(baselines) == 12
    assert [row["month"] for row in baselines[-4:]] == [S3, S2, S1, S0]
    assert baselines[0]["month"] == month_start(AS_OF, 11)
    assert [row["partial"] for row in baselines] == [False] * 11 + [True]


def test_month_figures_on_boundary_days(baselines):
    m3, m2, m1, m0 = baselines[-4:]
    # customers, orders, revenue, average order value, new, churned, live at the start
    assert figures(m2) == (3, 4, 450, 112.5, 2, 2, 3)  # Alpha Epsilon Iota; new Alpha Epsilon; lost Beta Gamma
    assert figures(m1) == (4, 4, 800, 200, 1, 1, 3)  # Alpha Zeta Eta Iota; new Zeta; lost Epsilon
    assert figures(m0) == (4, 4, 260, 65, 0, 2, 4)  # Alpha Epsilon Zeta Iota; lost Alpha Eta
    assert m3["churned"] == 1  # Delta, the day before s2


def test_churn_rate_is_churned_over_live_at_the_start(baselines):
    m3, m2, m1, m0 = baselines[-4:]
    assert m2["churn_rate"] == pytest.approx(2 / 3)
    assert m1["churn_rate"] == pytest.approx(1 / 3)
    assert m0["churn_rate"] == pytest.approx(1 / 2)
    assert baselines[0]["churn_rate"] is False  # nobody to lose


def test_baseline_is_the_mean_of_the_complete_months(env, baselines):
    average = env["customer.churn.baseline"]._average(baselines)
    # Beta Gamma Delta and Iota's first order, then four orders in M2 and four in M1.
    assert average["orders"] == pytest.approx(12 / 11)
    assert average["average_order_value"] == pytest.approx((50 + 70 + 80 + 10 + 450 + 800) / 12)
    assert average["new_customers"] == pytest.approx(7 / 11)  # all but Eta (new 400 days ago)
    assert average["churned"] == pytest.approx(4 / 11)  # Delta, Beta, Gamma, Epsilon


def test_board_asks_for_12_or_24_months_of_the_current_company(env, shop, today):
    data = env["customer.churn.baseline"].get_monthly_baselines(24)
    assert len(data["months"]) == 24 and data["months"][-1]["month"] == month_start(today)
    assert data["as_of"] == today and data["currency_id"] == env.company.currency_id.id
    with pytest.raises(UserError):
        env["customer.churn.baseline"].get_monthly_baselines(7)
    clerk = mail_new_test_user(env, login="clerk", groups="base.group_user")
    with pytest.raises(AccessError):
        env["customer.churn.baseline"].with_user(clerk).get_monthly_baselines()


def kept_months(env):
    return env["customer.churn.baseline.month"].search([("company_id", "=", env.company.id), ("complete", "=", True)])


def test_customers_come_back_after_churning_and_the_books_balance(baselines):
    """start + new + returning - churned = the next month's start (events: a second crossing counts)."""
    m3, m2, m1, m0 = baselines[-4:]
    assert [row["returning"] for row in (m3, m2, m1, m0)] == [0, 0, 1, 2]  # Eta; Alpha and Epsilon
    for month, following in zip(baselines, baselines[1:], strict=False):
        assert (
            month["customers_at_start"] + month["new_customers"] + month["returning"] - month["churned"]
            == following["customers_at_start"]
        ), month["month"]


def test_a_run_keeps_the_complete_months_the_board_then_reads(env, shop, baselines):
    shop.recompute()
    kept = kept_months(env)
    # The 23 complete months a 24-month board can show, each counted with the company's line.
    assert kept.mapped("month") == [month_start(AS_OF, back) for back in range(23, 0, -1)]
    assert set(kept.mapped("churn_line")) == {"fixed:30"}
    read = env["customer.churn.baseline"]._read_baselines(env.company, AS_OF, 12)
    assert [figures(row) for row in read] == [figures(row) for row in baselines]
    assert [row["partial"] for row in read] == [row["partial"] for row in baselines]


def test_the_current_month_stays_live_and_a_kept_month_stays_as_counted(env, shop, baselines):
    shop.recompute()
    late = shop.customer("Late")
    shop.order(late, AS_OF, 700)  # confirmed after the run, in the current month
    shop.order(late, day(S2, 3), 40)  # entered after the run, dated in a closed month
    read = {row["month"]: row for row in env["customer.churn.baseline"]._read_baselines(env.company, AS_OF, 12)}
    assert figures(read[S0]) == (5, 5, 960, 192, 0, 2, 4)  # Late's order of today counts at once
    assert figures(read[S2]) == figures(baselines[-3])  # the kept M2, as the run counted it
    # Counted afresh, M2 has Late's order: the next run of a new churn line would count it.
    recounted = {row["month"]: row for row in env["customer.churn.baseline"]._compute_baselines(env.company, AS_OF, 12)}
    assert figures(recounted[S2]) == (4, 5, 490, 98, 3, 2, 3)


def test_a_new_churn_line_counts_the_kept_months_again(env, shop, baselines):
    shop.recompute()
    env.company.churn_churned_days = 45
    # Until the next run, the board counts every month with the new line rather than show old ones.
    read = env["customer.churn.baseline"]._read_baselines(env.company, AS_OF, 12)
    assert [figures(row) for row in read] == [
        figures(row) for row in env["customer.churn.baseline"]._compute_baselines(env.company, AS_OF, 12)
    ]
    assert read[-3]["churned"] != baselines[-3]["churned"]
    shop.recompute()
    assert set(kept_months(env).mapped("churn_line")) == {"fixed:45"}
    assert len(kept_months(env)) == 23


def test_a_back_dated_run_keeps_no_month(env, shop, today):
    shop.recompute(as_of=today)
    kept = kept_months(env).mapped("month")
    shop.recompute(as_of=AS_OF)
    assert kept_months(env).mapped("month") == kept
    assert kept[-1] == month_start(today, 1)


def test_on_the_cycle_basis_a_customer_churns_on_its_own_line(env, shop):
    """A shop ordering every 10 days churns 20 days after its last order (C_c = 2 cycles), not 30."""
    env.company.churn_state_basis = "cycle"
    rhythm = shop.customer("Ten-day rhythm")
    last = day(S1, 2)
    shop.orders(rhythm, [last - timedelta(days=10 * k) for k in range(6)], 10)
    shop.recompute()
    assert shop.figures(rhythm).churn_churned_after == 20
    months = {row["month"]: row for row in env["customer.churn.baseline"]._compute_baselines(env.company, AS_OF, 12)}
    churn_day = last + timedelta(days=20)  # s1 + 22: in M1 whatever its length
    assert months[S1]["churned"] == 1 and months[S0]["churned"] == 0
    assert churn_day < S0
    env.company.churn_state_basis = "fixed"  # on the company's line, it churns 30 days after: in M0
    months = {row["month"]: row for row in env["customer.churn.baseline"]._compute_baselines(env.company, AS_OF, 12)}
    assert (months[S1]["churned"], months[S0]["churned"]) == (0, 1)


def test_on_a_random_book_the_books_balance_and_the_current_month_reads_as_counted(env, shop):
    """Weekly to monthly shops that stop, come back and start, on their own lines (some of 8 days,
    so a shop can churn twice in a month): every month balances, the board's current month (from
    the start the run kept) equals the month counted from all orders, and at the end of AS_OF the
    balance leaves exactly the customers the run calls active or at risk."""
    env.company.churn_state_basis = "cycle"
    rng = random.Random(20261202)
    for index in range(24):
        customer = shop.customer(f"Random {index:02d}")
        gap, day_back = rng.choice((4, 7, 14, 30)), rng.randint(0, 420)
        days = set()
        while day_back >= 0:
            days.add(day_back)
            day_back -= gap + rng.choice((0, 0, 1, gap, 3 * gap, 40))
        shop.orders(customer, [AS_OF - timedelta(days=back) for back in days], 10)
    shop.recompute()
    Baseline = env["customer.churn.baseline"]
    counted = Baseline._compute_baselines(env.company, AS_OF, 24)
    for month, following in zip(counted, counted[1:], strict=False):
        assert (
            month["customers_at_start"] + month["new_customers"] + month["returning"] - month["churned"]
            == following["customers_at_start"]
        ), month["month"]
    assert sum(month["churned"] for month in counted) > sum(month["returning"] for month in counted) > 0
    read = Baseline._read_baselines(env.company, AS_OF, 24)
    assert read == counted
    current = read[-1]
    live = env["customer.churn.figure"].search_count(
        [("company_id", "=", env.company.id), ("churn_state", "in", ("active", "at_risk"))]
    )
    assert current["customers_at_start"] + current["new_customers"] + current["returning"] - current["churned"] == live


def test_the_run_keeps_who_starts_the_current_month(env, shop, baselines):
    shop.recompute()
    Month = env["customer.churn.baseline.month"]
    start = Month.search([("company_id", "=", env.company.id), ("complete", "=", False)])
    assert (start.month, start.customers_at_start) == (S0, 4)
    starters = env["customer.churn.baseline.start"].search([("company_id", "=", env.company.id)])
    # Alpha, Eta, Iota and Zeta (Epsilon churned in M1), each with the day it churns without a new order.
    assert sorted(starters.mapped("partner_id.name")) == ["Alpha", "Eta", "Iota", "Zeta"]
    alpha = starters.filtered(lambda row: row.partner_id.name == "Alpha")
    assert alpha.churn_day == day(S1, 35)
    shop.recompute()  # a second run of the month keeps the same start
    assert Month.search([("company_id", "=", env.company.id), ("complete", "=", False)]) == start


def test_a_customer_archived_after_the_run_leaves_the_current_month_as_counted(env, shop, baselines):
    shop.recompute()
    env["res.partner"].search([("name", "=", "Eta")]).active = False  # live at the start, churns in M0
    Baseline = env["customer.churn.baseline"]
    read = Baseline._read_baselines(env.company, AS_OF, 12)[-1]
    counted = Baseline._compute_baselines(env.company, AS_OF, 12)[-1]
    assert figures(read) == figures(counted)
    assert (read["churned"], read["customers_at_start"]) == (1, 3)
