"""The settings page (客户分类指标定义) refuses nonsense with a clear message."""

import pytest

from odoo import Command
from odoo.exceptions import AccessError, ValidationError

from odoo.addons.mail.tests.common import mail_new_test_user

from common import days_ago


@pytest.mark.parametrize(
    "values",
    [
        {"churn_at_risk_days": 30, "churn_churned_days": 30},
        {"churn_at_risk_days": 0},
        {"churn_period_days": 0},
        {"churn_sales_plunge_percent": 100},
        {"churn_sales_plunge_percent": 0},
        {"churn_sales_surge_percent": -5},
        {"churn_orders_plunge_count": -1},
        {"churn_cycle_multiplier": 0},
        {"churn_cycle_min_order_days": 1},
        {"churn_abc_a_percent": 60, "churn_abc_b_percent": 50},
        {"churn_abc_a_percent": 0},
        {
            "churn_value_very_important_percent": 50,
            "churn_value_important_percent": 30,
            "churn_value_general_percent": 30,
        },
        {"churn_value_general_percent": -1},
        {"churn_history_days": 0},
        {"churn_backtest_horizon_days": 0},
        {"churn_p_alive_threshold": 0},
        {"churn_p_alive_threshold": 1},
        {"churn_at_risk_cycles": 0.9},
        {"churn_at_risk_cycles": 2.0, "churn_churned_cycles": 2.0},
        {"churn_at_risk_cycles": 2.5},
        {"churn_cycle_min_days": 0},
    ],
)
def test_invalid_settings_are_refused(env, values):
    with pytest.raises(ValidationError):
        env["res.config.settings"].create(values).execute()


def test_valid_settings_are_saved_per_company(env):
    branch = env["res.company"].create({"name": "Branch"})
    env["res.config.settings"].create({"churn_at_risk_days": 10, "churn_churned_days": 45}).execute()
    assert (env.company.churn_at_risk_days, env.company.churn_churned_days) == (10, 45)
    assert (branch.churn_at_risk_days, branch.churn_churned_days) == (15, 30)


def test_backtest_settings_default_to_sixty_days_and_three_tenths(env):
    branch = env["res.company"].create({"name": "Branch"})
    assert (branch.churn_backtest_horizon_days, branch.churn_p_alive_threshold) == (60, 0.3)


def test_companies_judge_churn_by_the_order_cycle_by_default(env):
    """SPEC §3b: the installed company and a new one alike."""
    branch = env["res.company"].create({"name": "Branch"})
    for company in (env.company, branch):
        basis = (company.churn_state_basis, company.churn_at_risk_cycles, company.churn_churned_cycles)
        assert basis == ("cycle", 1.5, 2.0)
        assert company.churn_cycle_min_days == 7


def test_the_state_basis_reaches_the_engine(env):
    env["res.config.settings"].create(
        {
            "churn_state_basis": "fixed",
            "churn_at_risk_cycles": 1.25,
            "churn_churned_cycles": 3.0,
            "churn_cycle_min_days": 10,
        }
    ).execute()
    settings = env.company._get_churn_settings()
    assert (settings.state_basis, settings.at_risk_cycles, settings.churned_cycles) == ("fixed", 1.25, 3.0)
    assert settings.cycle_min_days == 10


def test_error_message_is_translated(env):
    env["res.lang"]._activate_lang("zh_CN")
    env["ir.module.module"]._load_module_terms(["customer_churn_cockpit"], ["zh_CN"])
    chinese = env["res.config.settings"].with_context(lang="zh_CN")
    with pytest.raises(ValidationError) as error:
        chinese.create({"churn_at_risk_days": 30, "churn_churned_days": 20}).execute()
    assert "流失" in str(error.value)
    with pytest.raises(ValidationError) as error:
        chinese.create({"churn_at_risk_cycles": 2.0, "churn_churned_cycles": 2.0}).execute()
    assert "周期" in str(error.value)


@pytest.fixture
def cockpit_manager(env):
    """A sales manager, so a cockpit manager, who is no Settings administrator."""
    manager = mail_new_test_user(env, login="churn_boss", groups="sales_team.group_sale_manager")
    assert not manager.has_group("base.group_system")
    return manager


def test_cockpit_manager_changes_the_settings_without_being_an_administrator(env, cockpit_manager):
    """Configuration › Settings opens the current company's churn settings, and saving them works."""
    menu = env.ref("customer_churn_cockpit.menu_churn_settings")
    action = menu.action.with_user(cockpit_manager).run()
    assert (action["res_model"], action["res_id"]) == ("res.company", env.company.id)
    view_id, view_type = action["views"][0]
    form = env["res.company"].with_user(cockpit_manager).get_views([(view_id, view_type)])
    assert "churn_at_risk_days" in form["views"]["form"]["arch"]
    with pytest.raises(AccessError):  # the administrators' settings page stays theirs
        env["res.config.settings"].with_user(cockpit_manager).create({"churn_at_risk_days": 10})
    company = env.company.with_user(cockpit_manager)
    company.write({"churn_at_risk_days": 10, "churn_churned_days": 45})
    company.action_churn_abc_preset_80_20()
    env.invalidate_all()
    assert (env.company.churn_at_risk_days, env.company.churn_churned_days) == (10, 45)
    assert (env.company.churn_abc_a_percent, env.company.churn_abc_b_percent, env.company.churn_abc_c_percent) == (
        20,
        60,
        20,
    )
    assert env.company.write_uid == cockpit_manager  # written as superuser, but by the manager


def test_cockpit_manager_only_changes_companies_they_are_allowed_in(env, cockpit_manager):
    branch = env["res.company"].create({"name": "Branch"})
    with pytest.raises(AccessError, match="allowed in"):
        branch.with_user(cockpit_manager).write({"churn_at_risk_days": 10})
    cockpit_manager.company_ids = [Command.link(branch.id)]
    branch.with_user(cockpit_manager).write({"churn_at_risk_days": 10})
    assert branch.churn_at_risk_days == 10


# One value above each setting's upper bound, with the field the message names. The engine cannot
# compute windows reaching before year 1 (400,000 days raised OverflowError), and no distributor
# means a ten-year-long period or a win-back more than a year after the visit.
TOO_LARGE = [
    ({"churn_period_days": 400000}, "Comparison Period (days)", 3650),
    ({"churn_period_days": 3651}, "Comparison Period (days)", 3650),
    ({"churn_churned_days": 3651}, "Churned After (days)", 3650),
    ({"churn_at_risk_days": 3651, "churn_churned_days": 3652}, "At Risk After (days)", 3650),
    ({"churn_sales_surge_percent": 1000.5}, "Sales Surge (%)", 1000),
    ({"churn_orders_plunge_count": 10001}, "Order-Count Plunge (more than)", 10000),
    ({"churn_orders_rise_count": 10001}, "Order-Count Rise (more than)", 10000),
    ({"churn_cycle_multiplier": 101}, "Overdue After (order cycles)", 100),
    ({"churn_churned_cycles": 101}, "Churned After (order cycles)", 100),
    ({"churn_cycle_min_days": 3651}, "At Risk After at Least (days)", 3650),
    ({"churn_cycle_window_days": 3651}, "Order Cycle Window (days)", 3650),
    ({"churn_cycle_min_order_days": 367}, "Order Cycle Needs (order days)", 366),
    ({"churn_value_window_days": 3651}, "Value Segment Window (days)", 3650),
    ({"churn_history_days": 3651}, "Keep Run History (days)", 3650),
    ({"churn_winback_days": 366}, "Won Back Within (days)", 365),
    ({"churn_backtest_horizon_days": 366}, "Backtest Horizon (days)", 365),
]
LARGEST = {
    "churn_period_days": 3650,
    "churn_at_risk_days": 3649,
    "churn_churned_days": 3650,
    "churn_sales_plunge_percent": 99.99,
    "churn_sales_surge_percent": 1000,
    "churn_orders_plunge_count": 10000,
    "churn_orders_rise_count": 10000,
    "churn_cycle_multiplier": 100,
    "churn_at_risk_cycles": 99.5,
    "churn_churned_cycles": 100,
    "churn_cycle_min_days": 3650,
    "churn_cycle_window_days": 3650,
    "churn_cycle_min_order_days": 366,
    "churn_value_window_days": 3650,
    "churn_history_days": 3650,
    "churn_winback_days": 365,
    "churn_backtest_horizon_days": 365,
    "churn_p_alive_threshold": 0.99,
}


@pytest.mark.parametrize("values, field, maximum", TOO_LARGE)
def test_too_large_settings_are_refused_on_the_administrators_page(env, values, field, maximum):
    with pytest.raises(ValidationError) as error:
        env["res.config.settings"].create(values).execute()
    assert f"{field} cannot be more than {maximum}." in str(error.value)


@pytest.mark.parametrize("values, field, maximum", TOO_LARGE)
def test_too_large_settings_are_refused_on_the_managers_form(env, cockpit_manager, values, field, maximum):
    with pytest.raises(ValidationError) as error:
        env.company.with_user(cockpit_manager).write(values)
    assert f"{field} cannot be more than {maximum}." in str(error.value)


def test_largest_settings_are_accepted_and_computed(env, shop, cockpit_manager):
    """Every setting at its upper bound, by the manager then by the administrator, and a run on them."""
    customer = shop.customer("Ten-year customer")
    shop.order(customer, days_ago(3000), 100)
    shop.order(customer, days_ago(10), 100)
    env.company.with_user(cockpit_manager).write(LARGEST)
    env["res.config.settings"].create(LARGEST).execute()
    env.invalidate_all()
    assert {name: env.company[name] for name in LARGEST} == pytest.approx(LARGEST)
    shop.recompute()
    figures = shop.figures(customer)
    assert (figures.churn_state, figures.churn_orders_current, figures.churn_revenue_current) == ("active", 2, 200)


def test_a_negative_c_share_is_refused_naming_the_field(env):
    """A 70% and B 50% leave C at -20%: the warning while typing and the refusal both name the C share."""
    typed = env["res.config.settings"].new({"churn_abc_a_percent": 70, "churn_abc_b_percent": 50})
    warning = typed._onchange_churn_abc_shares()["warning"]
    assert warning["title"] == "ABC: C Share (%)"
    assert warning["message"].startswith("ABC: C Share (%) cannot be negative (-20%)")
    with pytest.raises(ValidationError, match=r"ABC: C Share \(%\) cannot be negative \(-20%\)"):
        env["res.config.settings"].create({"churn_abc_a_percent": 70, "churn_abc_b_percent": 50}).execute()
    typed.churn_abc_b_percent = 30
    assert typed._onchange_churn_abc_shares() is None
