"""Orders, coupons and settings that arrive broken: the run goes on, counts what is sound, and
tells the managers what it could not count and what failed (issue 18, round two)."""

from datetime import datetime, time, timedelta

import pytest
import pytz
from test_bad_input import chinese_manager  # noqa: F401 (a fixture)

from odoo.addons.mail.tests.common import mail_new_test_user

from common import AS_OF, days_ago


def commit_hooks(env):
    """What the commit of the user's transaction runs (the test itself rolls back)."""
    env.cr.precommit.run()


def set_date_order(order, moment):
    """As an import writes it: straight into the table, past the ORM's date handling."""
    order.env.flush_all()
    order.env.cr.execute("UPDATE sale_order SET date_order = %s WHERE id = %s", [moment, order.id])
    order.env.invalidate_all()


def latest_run(shop):
    return shop.env["customer.churn.run"].search([("company_id", "=", shop.company.id)], limit=1)


def test_orders_with_impossible_dates_are_reported_and_the_run_goes_on(shop):
    """Year 0202 and 9999-12-31 orders count for nothing; the run records them by reference."""
    customer = shop.customer("Imported history")
    shop.order(customer, days_ago(5), 100)
    ancient = shop.order(customer, days_ago(6), 70)
    set_date_order(ancient, "0202-03-01 10:00:00")
    doomsday = shop.order(shop.customer("Typo in the year"), days_ago(6), 30)
    set_date_order(doomsday, "9999-12-31 23:00:00")
    summary = shop.recompute()
    assert summary["customers"] == 2
    figures = shop.figures(customer)
    assert (figures.churn_state, figures.churn_last_order_date, figures.churn_revenue_current) == (
        "active",
        days_ago(5),
        100,
    )
    # The 9999 order's customer has no order before as_of: never traded.
    assert shop.figures(doomsday.partner_id).churn_state == "never"
    run = latest_run(shop)
    assert run.bad_date_order_count == 2
    assert run.bad_date_orders == f"{ancient.name}, {doomsday.name}"


def test_a_refresh_reads_past_an_impossible_date(shop, today):
    customer = shop.customer("Refreshed")
    shop.order(customer, today - timedelta(days=40), 100)
    shop.recompute(as_of=today)
    set_date_order(shop.order(customer, today - timedelta(days=41), 70), "0202-03-01 10:00:00")
    shop.order(customer, today, 250)
    commit_hooks(shop.env)
    figures = shop.figures(customer)
    assert (figures.churn_state, figures.churn_days_since, figures.churn_revenue_current) == ("active", 0, 250)
    assert not shop.env["customer.churn.failure"].search([("company_id", "=", shop.company.id)])


def test_orders_without_a_currency_rate_are_counted_on_the_run(shop):
    """SPEC §1 keeps counting them 1:1; the run says how many there were."""
    env = shop.env
    customer = shop.customer("Odd rates")
    null_rate, zero_rate, _sound = shop.orders(customer, [days_ago(3), days_ago(4), days_ago(5)], 50)
    env.flush_all()
    env.cr.execute("UPDATE sale_order SET currency_rate = NULL WHERE id = %s", [null_rate.id])
    env.cr.execute("UPDATE sale_order SET currency_rate = 0 WHERE id = %s", [zero_rate.id])
    unrated = (
        env["res.currency"]
        .with_context(active_test=False)
        .search([("id", "!=", shop.company.currency_id.id), ("rate_ids", "=", False)], limit=1)
    )
    unrated.active = True
    shop.order(customer, days_ago(6), 40, currency=unrated)  # no rate at all: Odoo converts 1:1
    shop.order(customer, AS_OF + timedelta(days=3), 10)  # after as_of: not read, not reported
    env.flush_all()
    env.cr.execute("UPDATE sale_order SET currency_rate = NULL WHERE date_order > %s", [AS_OF + timedelta(days=2)])
    env.invalidate_all()
    shop.recompute()
    assert shop.figures(customer).churn_revenue_current == 190
    run = latest_run(shop)
    assert (run.unrated_order_count, run.bad_date_order_count, run.bad_date_orders) == (3, 0, False)


def loyalty_card(env, customer, program_type, issued_at_utc):
    program = env["loyalty.program"].create(
        {"name": f"{program_type} program", "program_type": program_type, "trigger": "auto"}
    )
    card = env["loyalty.card"].create({"program_id": program.id, "partner_id": customer.id, "points": 10})
    env.flush_all()
    env.cr.execute("UPDATE loyalty_card SET create_date = %s WHERE id = %s", [issued_at_utc, card.id])
    env.invalidate_all()
    return card


def utc(company, day, local_time):
    tz = pytz.timezone(company.partner_id.tz or "UTC")
    return tz.localize(datetime.combine(day, local_time)).astimezone(pytz.UTC).replace(tzinfo=None)


@pytest.mark.parametrize("program_type", ["loyalty", "ewallet", "next_order_coupons"])
def test_only_coupon_programs_count_as_coupons(shop, program_type):
    """A loyalty, eWallet or next-order card comes with an order: it is no coupon sent."""
    env = shop.env
    customer = shop.customer("Loyal member")
    shop.order(customer, days_ago(10), 100)
    loyalty_card(env, customer, program_type, utc(shop.company, days_ago(10), time(10, 5)))
    coupon = loyalty_card(env, customer, "coupons", utc(shop.company, days_ago(30), time(10, 0)))
    shop.recompute()
    assert shop.figures(customer).churn_last_coupon_date == days_ago(30)
    rows = env["customer.churn.winback"].search([("partner_id", "=", customer.id)])
    assert [(row.action_type, row.action_date) for row in rows] == [("coupon", days_ago(30))]
    assert coupon.id in {row.id // 2 % 2**31 for row in rows}


def test_coupons_are_dated_by_the_company_day_and_as_of(shop):
    """Shanghai: a coupon issued at 07:30 is issued that day (23:30 UTC the day before), so the order
    of the evening before wins nothing back; a coupon issued after as_of is not in that run."""
    env = shop.env
    shop.company.partner_id.tz = "Asia/Shanghai"
    customer = shop.customer("Early coupon")
    issued = days_ago(10)
    shop.order(customer, issued - timedelta(days=1), 80, local_time=time(20, 0))
    loyalty_card(env, customer, "coupons", utc(shop.company, issued, time(7, 30)))
    later = shop.customer("Coupon after as_of")
    shop.order(later, days_ago(3), 50)
    loyalty_card(env, later, "coupons", utc(shop.company, AS_OF + timedelta(days=1), time(10, 0)))
    shop.recompute()
    (row,) = env["customer.churn.winback"].search([("partner_id", "=", customer.id)])
    assert (row.action_date, row.won_back) == (issued, False)
    assert shop.figures(customer).churn_last_coupon_date == issued
    assert not shop.figures(later).churn_last_coupon_date


def test_failed_runs_and_refreshes_show_on_the_board(shop, today, chinese_manager):  # noqa: F811
    """Settings broken behind the ORM's back (a script, an import) fail the nightly run and every
    refresh with the rule they break; the orders are saved, and the managers read why."""
    env = shop.env
    customer = shop.customer("Still buying")
    shop.order(customer, today - timedelta(days=3), 100)
    shop.recompute(as_of=today)
    Board = env["customer.churn.board"]
    assert Board.get_board_data()["failures"] == []
    env.flush_all()
    env.cr.execute("UPDATE res_company SET churn_at_risk_days = 90 WHERE id = %s", [shop.company.id])
    env.invalidate_all()
    order = shop.order(customer, today, 250)
    commit_hooks(env)
    assert order.exists() and order.state == "sale"
    assert shop.figures(customer).churn_revenue_current == 100  # the refresh failed
    env["customer.churn.engine"]._cron_recompute()
    failures = env["customer.churn.failure"].search([("company_id", "=", shop.company.id)])
    assert sorted(failures.mapped("kind")) == ["refresh", "run"]
    assert all("fewer than churned days" in failure.message for failure in failures)
    banners = Board.get_board_data()["failures"]
    assert len(banners) == 2 and "The scheduled run as of" in banners[0] and "1 refreshes" in banners[1]
    chinese = Board.with_user(chinese_manager).with_context(lang="zh_CN").get_board_data()["failures"]
    assert len(chinese) == 2 and not any(banner.isascii() for banner in chinese)
    rep = mail_new_test_user(env, login="rep_banner", groups="sales_team.group_sale_salesman")
    assert Board.with_user(rep).get_board_data()["failures"] == []  # for the managers only
    # A run that works again ends the run's banner; today's refresh failure stays.
    env.cr.execute("UPDATE res_company SET churn_at_risk_days = 15 WHERE id = %s", [shop.company.id])
    env.invalidate_all()
    shop.recompute(as_of=today)
    assert len(Board.get_board_data()["failures"]) == 1
