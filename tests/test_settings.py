"""The settings page (客户分类指标定义) refuses nonsense with a clear message."""

import pytest

from odoo.exceptions import ValidationError


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


def test_error_message_is_translated(env):
    env["res.lang"]._activate_lang("zh_CN")
    env["ir.module.module"]._load_module_terms(["customer_churn_cockpit"], ["zh_CN"])
    chinese = env["res.config.settings"].with_context(lang="zh_CN")
    with pytest.raises(ValidationError) as error:
        chinese.create({"churn_at_risk_days": 30, "churn_churned_days": 20}).execute()
    assert "流失" in str(error.value)
