"""Bad or odd input gives a correct result or a clear, translated error, never a traceback.

Covered elsewhere and not repeated here: orders after as_of (test_engine_state), a credit order
inside a window and a refund-only month (test_engine_flags, test_engine_tiers), null and zero
currency rates and archived customers (test_engine_scope), a run as of a future day
(test_runs), out-of-range values on the administrators' settings page (test_settings).
"""

from datetime import datetime, time, timedelta

import pytest

from odoo import Command
from odoo.exceptions import ValidationError

from odoo.addons.mail.tests.common import mail_new_test_user

from common import AS_OF, days_ago


def test_company_without_timezone_counts_order_days_in_utc(shop):
    """No timezone on the company's partner: order days are UTC days (SPEC §1)."""
    shop.company.partner_id.tz = False
    late = shop.customer("Late in UTC")
    order = shop.order(late, days_ago(15), 10)
    order.date_order = datetime.combine(days_ago(15), time(23, 30))  # 07:30 the next day in Shanghai
    shop.recompute()
    figures = shop.figures(late)
    assert figures.churn_last_order_date == days_ago(15)
    assert (figures.churn_days_since, figures.churn_state) == (15, "at_risk")


def test_refunds_larger_than_sales(shop):
    """Negative amounts subtract (SPEC §1): a negative previous period is no base for a surge, and a
    customer whose refunds cancel its sales has no positive revenue, so it is dormant."""
    normal = shop.customer("Normal")
    shop.order(normal, days_ago(10), 100)
    refunded = shop.customer("Refunded before")
    shop.order(refunded, days_ago(40), -50)
    shop.order(refunded, days_ago(5), 100)
    cancelled_out = shop.customer("Sales cancelled out")
    shop.order(cancelled_out, days_ago(100), 100)
    shop.order(cancelled_out, days_ago(3), -100)
    shop.recompute()
    figures = shop.figures(refunded)
    assert (figures.churn_revenue_previous, figures.churn_revenue_current) == (-50, 100)
    assert not figures.churn_sales_surge and not figures.churn_sales_plunge
    figures = shop.figures(cancelled_out)
    # The refund is an order of the customer: it traded 3 days ago.
    assert (figures.churn_state, figures.churn_days_since, figures.churn_revenue_current) == ("active", 3, -100)
    assert figures.value_segment == "dormant"
    # Ranked, with positive revenue: Normal (100), then Refunded before (50). With n = 2, very important
    # is rank <= ceil(0.1) = 1, important rank <= ceil(0.5) = 1, general rank <= ceil(1.5) = 2.
    assert [shop.figures(p).value_segment for p in (normal, refunded)] == ["very_important", "general"]


def merge(env, partners, into):
    env["base.partner.merge.automatic.wizard"]._merge(partners.ids, into)


def test_partners_merged_after_a_run(shop):
    """Merging moves the orders, so the next run puts them on the surviving partner; the history
    of the earlier run stays readable, with one snapshot per run and customer: the survivor's own."""
    env = shop.env
    kept = shop.customer("Shop (kept)")
    shop.order(kept, days_ago(20), 100)
    duplicate = shop.customer("Shop (duplicate)")
    shop.order(duplicate, days_ago(5), 40)
    shop.recompute(as_of=days_ago(1))
    old_run = env["customer.churn.run"].search([("company_id", "=", shop.company.id)])
    merge(env, kept | duplicate, kept)
    assert not duplicate.exists()
    shop.recompute()
    figures = shop.figures(kept)
    assert (figures.churn_state, figures.churn_last_order_date) == ("active", days_ago(5))
    assert (figures.churn_revenue_current, figures.churn_orders_current) == (140, 2)
    env.invalidate_all()
    assert (old_run.customers, old_run.active_count) == (2, 1)
    assert old_run.snapshot_ids.filtered(lambda s: s.partner_id == kept).mapped("churn_state") == ["at_risk"]
    new_run = env["customer.churn.run"].search([("company_id", "=", shop.company.id)], limit=1)
    assert (new_run.customers, new_run.active_count) == (1, 1)


def test_a_merge_recomputes_the_survivor_at_once(shop, today):
    """The survivor's figures count the duplicate's orders right after the merge, in each company,
    and never show the duplicate's own figures in place of the survivor's."""
    env = shop.env
    branch = env["res.company"].create({"name": "Merge Branch"})
    kept = shop.customer("Survivor")
    shop.order(kept, today - timedelta(days=20), 100)
    duplicate = shop.customer("Duplicate")
    shop.order(duplicate, today - timedelta(days=5), 40)
    shop.order(duplicate, today - timedelta(days=3), 60, company=branch)
    shop.recompute(as_of=today, companies=shop.company | branch)
    assert not shop.figures(kept, branch).churn_state  # the survivor never bought in the branch
    merge(env, kept | duplicate, kept)
    env.invalidate_all()
    figures = shop.figures(kept)
    assert (figures.churn_state, figures.churn_last_order_date) == ("active", today - timedelta(days=5))
    assert (figures.churn_revenue_current, figures.churn_orders_current) == (140, 2)
    in_branch = shop.figures(kept, branch)
    assert (in_branch.churn_state, in_branch.churn_days_since, in_branch.churn_revenue_current) == ("active", 3, 60)
    rows = env["customer.churn.figure"].search([("partner_id", "=", kept.id)])
    assert sorted(rows.company_id.ids) == sorted((shop.company | branch).ids)


def test_partner_deleted_after_a_run(shop):
    """The run keeps its counts; the deleted partner's snapshots go with it; the board still works."""
    env = shop.env
    buyer = shop.customer("Buyer")
    shop.order(buyer, days_ago(2), 10)
    prospect = shop.customer("Prospect, never ordered")
    shop.recompute(as_of=days_ago(1))
    run = env["customer.churn.run"].search([("company_id", "=", shop.company.id)])
    prospect.unlink()
    env.invalidate_all()
    assert (run.customers, run.never_count) == (2, 1)
    assert run.snapshot_ids.partner_id == buyer
    board = env["customer.churn.board"].get_board_data()
    assert board["customers"] == 1
    summary = shop.recompute()
    assert (summary["customers"], summary["never"], summary["active"]) == (1, 0, 1)


def test_empty_company_recomputes_to_zero_customers(env, shop):
    """A new company with no customer and no order: a run of zero, then never-traded customers."""
    assert not env["res.partner"].search_count([("customer_rank", ">", 0)])
    empty = env["res.company"].create({"name": "Empty branch"})
    env.user.company_ids = [Command.link(empty.id)]
    summary = shop.recompute(companies=empty)
    assert (summary["customers"], summary["never"], summary["active"]) == (0, 0, 0)
    run = env["customer.churn.run"].search([("company_id", "=", empty.id)])
    assert run.customers == 0 and run.segment_counts["abc_tier:A"] == 0
    board = env["customer.churn.board"].with_company(empty).get_board_data()
    assert board["customers"] == 0 and board["as_of"] == AS_OF
    prospect = shop.customer("Prospect")
    assert shop.recompute(companies=empty)["never"] == 1
    figures = shop.figures(prospect, empty)
    assert (figures.churn_state, figures.abc_tier, figures.value_segment) == ("never", False, False)


# Each out-of-range value with the message a manager reading Chinese gets for it.
OUT_OF_RANGE = [
    ({"churn_at_risk_days": 30, "churn_churned_days": 30}, "即将流失天数必须至少为1且小于已流失天数。"),
    ({"churn_at_risk_days": 0}, "即将流失天数必须至少为1且小于已流失天数。"),
    ({"churn_period_days": 0}, None),
    ({"churn_sales_plunge_percent": 100}, None),
    ({"churn_sales_surge_percent": 0}, None),
    ({"churn_orders_rise_count": -1}, None),
    ({"churn_cycle_multiplier": -1}, None),
    ({"churn_cycle_window_days": 1}, None),
    ({"churn_abc_a_percent": 60, "churn_abc_b_percent": 50}, None),
    ({"churn_value_important_percent": -5}, None),
    ({"churn_history_days": 0}, None),
    ({"churn_winback_days": 0}, None),
]


@pytest.fixture
def chinese_manager(env):
    env["res.lang"]._activate_lang("zh_CN")
    env["ir.module.module"]._load_module_terms(["customer_churn_cockpit"], ["zh_CN"])
    return mail_new_test_user(env, login="churn_boss_zh", groups="sales_team.group_sale_manager", lang="zh_CN")


@pytest.mark.parametrize("values, message", OUT_OF_RANGE)
def test_out_of_range_settings_refused_on_the_managers_path(env, chinese_manager, values, message):
    """The managers' settings path writes through sudo, yet every rule holds, in the user's language."""
    company = env.company.with_user(chinese_manager).with_context(lang="zh_CN")
    with pytest.raises(ValidationError) as error:
        company.write(values)
    text = str(error.value)
    assert text.strip() and not text.isascii()  # a sentence in Chinese, not an English one or a traceback
    if message:
        assert message in text


def test_several_broken_rules_are_listed_together(env, chinese_manager):
    company = env.company.with_user(chinese_manager).with_context(lang="zh_CN")
    with pytest.raises(ValidationError) as error:
        company.write({"churn_history_days": 0, "churn_winback_days": 0})
    assert str(error.value).count("\n") == 1
