"""The settings' preview (SPEC §3b, issue 15): how many customers each basis would put in each state today."""

from datetime import timedelta

import pytest

from odoo.addons.mail.tests.common import mail_new_test_user


@pytest.fixture
def customers(shop, today):
    """Five customers, as of today, with the defaults (R 15, C 30; 1.5 and 2 cycles, at least 7 days).

    - weekly: cycle 7, 12 days without orders: active on fixed days, at risk from day 11 on its cycle;
    - monthly: cycle 40, 35 days: churned on fixed days, active until day 60 on its cycle;
    - daily: cycle 1, 2 days: active both ways (at risk from day 7, the fewest);
    - once: no cycle, 20 days: at risk both ways;
    - prospect: never traded.
    """
    plan = {"weekly": (12, 7), "monthly": (35, 40), "daily": (2, 1), "once": (20, None)}
    for name, (days_since, cycle) in plan.items():
        partner = shop.customer(name.capitalize())
        gaps = (0,) if cycle is None else (0, cycle, 2 * cycle)
        for gap in gaps:
            shop.order(partner, today - timedelta(days=days_since + gap))
    shop.customer("Prospect")


def table(action, env):
    """{state: (fixed, cycle)} of the preview the action opens."""
    assert (action["res_model"], action["target"]) == ("customer.churn.state.preview", "new")
    preview = env["customer.churn.state.preview"].browse(action["res_id"])
    return {line.churn_state: (line.fixed_count, line.cycle_count) for line in preview.line_ids}


def test_each_basis_counted_on_the_settings_page(env, customers, today):
    action = env["res.config.settings"].create({}).action_churn_preview_states()
    assert table(action, env) == {"never": (1, 1), "active": (2, 2), "at_risk": (1, 2), "churned": (1, 0)}
    preview = env["customer.churn.state.preview"].browse(action["res_id"])
    assert (preview.company_id, preview.as_of) == (env.company, today)


def test_the_settings_on_screen_are_previewed(env, customers):
    """At risk after 1 cycle, churned after 1.5: weekly churns from day 11, monthly is active until 40.

    The settings page saves what is on screen before any of its buttons runs (the related fields
    write through to the company), and the preview counts on those values."""
    on_screen = env["res.config.settings"].create({"churn_at_risk_cycles": 1.0, "churn_churned_cycles": 1.5})
    assert table(on_screen.action_churn_preview_states(), env) == {
        "never": (1, 1),
        "active": (2, 2),
        "at_risk": (1, 1),
        "churned": (1, 1),
    }
    assert not env["customer.churn.figure"].search_count([])  # a preview stores no figure


def test_the_fixed_days_on_screen_move_the_fixed_column(env, customers):
    """At risk after 10 days, churned after 36: weekly at risk, monthly at risk, once still at risk."""
    on_screen = env["res.config.settings"].create({"churn_at_risk_days": 10, "churn_churned_days": 36})
    assert table(on_screen.action_churn_preview_states(), env) == {
        "never": (1, 1),
        "active": (1, 2),
        "at_risk": (3, 2),
        "churned": (0, 0),
    }


def test_a_cockpit_manager_previews_from_the_company_form(env, customers):
    """The managers' settings form saves, then counts on the company's settings; the basis the company
    chose does not matter, both are counted."""
    manager = mail_new_test_user(env, login="preview_boss", groups="sales_team.group_sale_manager")
    company = env.company.with_user(manager)
    company.write({"churn_state_basis": "fixed", "churn_cycle_min_days": 13})
    action = company.action_churn_preview_states()
    # Weekly is at risk from day 13 now: active on both bases.
    assert table(action, env) == {"never": (1, 1), "active": (2, 3), "at_risk": (1, 1), "churned": (1, 0)}


def test_customers_of_another_company_are_not_counted(env, shop, customers, today):
    branch = env["res.company"].create({"name": "Branch"})
    shop.order(shop.customer("Branch shop"), today - timedelta(days=3), company=branch)
    action = env["res.config.settings"].create({}).action_churn_preview_states()
    assert table(action, env)["active"] == (2, 2)
