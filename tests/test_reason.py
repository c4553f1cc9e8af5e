"""Why a customer is flagged (SPEC §10): one line naming each rule that holds, with its figures,
rendered in the reader's language from the stored figures."""

from datetime import timedelta

import pytest

from odoo.tools.misc import format_date, formatLang

from odoo.addons.mail.tests.common import mail_new_test_user

from common import AS_OF, days_ago


@pytest.fixture
def chinese(env):
    env["res.lang"]._activate_lang("zh_CN")


def stored(shop, name, **figures):
    """A customer's figure row as a run would have stored it (the run's arithmetic is tested elsewhere:
    here only the sentence made of the figures is)."""
    partner = shop.customer(name)
    values = {"churn_as_of": AS_OF, "churn_at_risk_after": 15, "churn_churned_after": 30, **figures}
    return (
        shop.env["customer.churn.figure"]
        .sudo()
        .create({"partner_id": partner.id, "company_id": shop.company.id, **values})
    )


def money(env, amount, lang):
    return formatLang(env(context={"lang": lang}), amount, currency_obj=env.company.currency_id)


def reason(figure, lang):
    return figure.with_context(lang=lang).churn_reason


def test_at_risk_with_plunges_a_tier_drop_and_a_forecast(env, shop, chinese):
    figure = stored(
        shop,
        "Plunging shop",
        churn_state="at_risk",
        churn_days_since=20,
        churn_last_order_date=days_ago(20),
        churn_traded_recently=True,
        churn_orders_current=2,
        churn_orders_previous=5,
        churn_revenue_current=80.0,
        churn_revenue_previous=400.0,
        churn_sales_plunge=True,
        churn_orders_plunge=True,
        abc_tier="B",
        abc_tier_prev="A",
        abc_trend="down",
        churn_p_alive=0.234,
        churn_expected_revenue=20.0,
        churn_revenue_at_stake=95.5,
    )
    assert reason(figure, "en_US") == (
        "at risk: no order for 20 days (at risk from day 15, churned from day 30); 2 orders in the last 30 days; "
        f"sales plunged from {money(env, 400, 'en_US')} to {money(env, 80, 'en_US')}; orders fell from 5 to 2; "
        f"ABC tier A → B; P(alive) 23%; {money(env, 95.5, 'en_US')} at stake"
    )
    assert reason(figure, "zh_CN") == (
        "即将流失：已 20 天未下单（第 15 天起预警，第 30 天起流失）；近 30 天下单 2 次；"
        f"销售额从 {money(env, 400, 'zh_CN')} 暴跌至 {money(env, 80, 'zh_CN')}；交易次数从 5 次降至 2 次；"
        f"ABC分类 A → B；存活概率 23%；潜在损失 {money(env, 95.5, 'zh_CN')}"
    )


def test_churned_on_its_own_cycle_overdue_and_new_in_a_tier(env, shop, chinese):
    shop.company.churn_state_basis = "cycle"
    expected_day = days_ago(25)
    figure = stored(
        shop,
        "Silent shop",
        churn_state="churned",
        churn_days_since=35,
        churn_last_order_date=days_ago(35),
        churn_at_risk_after=15,
        churn_churned_after=20,
        churn_cycle_days=10.0,
        churn_next_order_date=expected_day,
        churn_newly_churned=True,
        churn_not_traded_recently=True,
        churn_cycle_overdue=True,
        abc_tier="C",
        abc_trend="new",
    )
    assert reason(figure, "en_US") == (
        "churned: no order for 35 days (churned from day 20); lines from its order cycle of 10 days; "
        "newly churned within the last 30 days; no order in the last 30 days; "
        "no order for over 2 order cycles: orders every 10 days, next order expected on "
        f"{format_date(env, expected_day)}; new in ABC tier C"
    )
    zh_day = format_date(env(context={"lang": "zh_CN"}), expected_day)
    assert "年" in zh_day  # the Chinese date format, 2026年11月24日
    assert reason(figure, "zh_CN") == (
        "已流失：已 35 天未下单（第 20 天起流失）；按其 10 天的订货周期判定；近 30 天内新增流失；近 30 天无交易；"
        f"超过2个订货周期未下单：每 10 天订货一次，原预计 {zh_day} 下单；新进入ABC分类 C"
    )
    # The multiplier is the company's setting (SPEC §4), not a fixed two.
    shop.company.churn_cycle_multiplier = 2.5
    assert "超过2.5个订货周期未下单：" in reason(figure, "zh_CN")
    # On the fixed basis the same lines are the company's, not the customer's cycle's.
    shop.company.churn_state_basis = "fixed"
    assert "order cycle of" not in reason(figure, "en_US")


def test_active_with_a_surge_a_rise_and_a_tier_up(env, shop, chinese):
    figure = stored(
        shop,
        "Growing shop",
        churn_state="active",
        churn_days_since=3,
        churn_last_order_date=days_ago(3),
        churn_cycle_days=7.5,
        churn_traded_recently=True,
        churn_orders_current=6,
        churn_orders_previous=1,
        churn_revenue_current=600.0,
        churn_revenue_previous=100.0,
        churn_sales_surge=True,
        churn_orders_rise=True,
        abc_tier="A",
        abc_tier_prev="C",
        abc_trend="up",
    )
    shop.company.churn_state_basis = "cycle"
    assert reason(figure, "en_US") == (
        "active: last order 3 days ago, at risk from day 15; lines from its order cycle of 7.5 days; "
        f"6 orders in the last 30 days; sales surged from {money(env, 100, 'en_US')} to {money(env, 600, 'en_US')}; "
        "orders rose from 1 to 6; ABC tier C → A"
    )
    assert reason(figure, "zh_CN").startswith(
        "活跃：最近一次下单在 3 天前，第 15 天起预警；按其 7.5 天的订货周期判定；"
    )
    assert "交易次数从 1 次增至 6 次" in reason(figure, "zh_CN")


def test_never_traded(shop):
    figure = stored(shop, "Prospect", churn_state="never")
    assert reason(figure, "en_US") == "never ordered"


def test_a_run_explains_on_the_partner_the_list_the_export_and_the_visit(env, shop, chinese):
    """End to end: the run's own lines and cycle, read on the partner in each language, written into
    the Excel export and into the note of the visit planned for a Chinese-speaking salesperson."""
    rep = mail_new_test_user(env, login="rep_reason", groups="sales_team.group_sale_salesman", lang="zh_CN")
    silent = shop.customer("Ten-day shop", user_id=rep.id)
    # Orders every 10 days, the last 25 days before AS_OF: at risk from 15 days, churned from 20.
    shop.orders(silent, [AS_OF - timedelta(days=25 + 10 * k) for k in range(6)], 100)
    shop.company.churn_state_basis = "cycle"
    shop.recompute()
    partner = shop.figures(silent)
    assert partner.churn_state == "churned"
    assert partner.with_context(lang="en_US").churn_reason.startswith(
        "churned: no order for 25 days (churned from day 20); lines from its order cycle of 10 days;"
    )
    assert partner.with_context(lang="zh_CN").churn_reason.startswith("已流失：已 25 天未下单（第 20 天起流失）")
    wizard = env["customer.churn.plan.visit"].with_context(active_model="res.partner", active_ids=silent.ids).create({})
    wizard.action_plan()
    visit = env["mail.activity"].search([("res_id", "=", silent.id), ("res_model", "=", "res.partner")])
    assert "原因：已流失：已 25 天未下单" in str(visit.note)
