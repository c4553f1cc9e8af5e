"""Control groups (SPEC §12): a share of the customers held back, recorded, and the uplift against them."""

from datetime import timedelta

import pytest

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval

from odoo.addons.mail.tests.common import mail_new_test_user

from common import AS_OF, days_ago


@pytest.fixture
def rep(env):
    return mail_new_test_user(env, login="rep_cg", groups="sales_team.group_sale_salesman", name="Rep CG")


@pytest.fixture
def shops(shop, rep):
    return [shop.customer(f"Shop {index}", user_id=rep.id) for index in range(10)]


def visits_of(env, partners):
    visit_type = env.ref("customer_churn_cockpit.mail_activity_type_customer_visit")
    domain = [
        ("res_model", "=", "res.partner"),
        ("res_id", "in", partners.ids),
        ("activity_type_id", "=", visit_type.id),
    ]
    return env["mail.activity"].search(domain)


def plan(env, partners, control_percent, user=None):
    Wizard = env["customer.churn.plan.visit"].with_user(user or env.user)
    wizard = Wizard.with_context(active_model="res.partner", active_ids=partners.ids).create(
        {"control_percent": control_percent}
    )
    wizard.action_plan()
    return wizard


def members(action, group):
    return action.line_ids.filtered(lambda line: line.member_group == group).partner_id


def test_visits_hold_back_the_control_share_and_record_it(env, shops):
    partners = env["res.partner"].union(*shops)
    action = plan(env, partners, 30).action_id
    # 30% of 10 customers: 3 held back, 7 visited.
    control, treated = members(action, "control"), members(action, "treated")
    assert (len(control), len(treated), control | treated) == (3, 7, partners)
    assert (action.action_type, action.company_id, action.control_percent) == ("visit", env.company, 30)
    assert set(visits_of(env, partners).mapped("res_id")) == set(treated.ids)
    assert not visits_of(env, control)


def test_the_control_group_is_redrawn_from_the_recorded_seed(env, shops):
    from odoo.addons.customer_churn_cockpit.lib.uplift import draw_control_group

    action = plan(env, env["res.partner"].union(*shops), 25).action_id
    # 25% of 10, rounded down: 2.
    assert draw_control_group(action.line_ids.partner_id.ids, 25, action.seed) == sorted(members(action, "control").ids)
    assert len(members(action, "control")) == 2


def test_a_second_click_records_no_second_action(env, shops):
    partners = env["res.partner"].union(*shops)
    first = plan(env, partners, 50)
    second = plan(env, partners, 50)
    assert not second.action_id
    assert env["customer.churn.action"].search([("action_type", "=", "visit")]) == first.action_id
    # The control customers stay without a visit: held back from the second click too.
    assert not visits_of(env, members(first.action_id, "control"))
    assert len(visits_of(env, partners)) == 5


def test_coupons_are_issued_to_the_treated_group_only(env, shop):
    partners = env["res.partner"].union(*(shop.customer(f"Coupon shop {index}") for index in range(4)))
    wizard = env["customer.churn.send.coupon"].create(
        {"partner_ids": [Command.set(partners.ids)], "send_email": False, "control_percent": 50}
    )
    wizard.action_send()
    action = wizard.action_id
    holders = env["loyalty.card"].search([("program_id", "=", wizard.program_id.id)]).partner_id
    assert (action.action_type, len(members(action, "control"))) == ("coupon", 2)
    assert holders == members(action, "treated")
    assert not holders & members(action, "control")


@pytest.mark.parametrize("percent", [-1, 50.5, 51])
def test_control_share_stays_between_zero_and_fifty(env, shops, percent):
    with pytest.raises(ValidationError):
        env["customer.churn.plan.visit"].create(
            {"partner_ids": [Command.set(shops[0].ids)], "control_percent": percent}
        )


def test_a_rep_never_sees_control_customers_to_visit(env, shop, rep, today):
    at_risk = [shop.customer(f"Slipping {index}", user_id=rep.id) for index in range(2)]
    for partner in at_risk:
        shop.order(partner, today - timedelta(days=20))
    shop.recompute(today)
    action = plan(env, env["res.partner"].union(*at_risk), 50, user=rep).action_id
    (control,) = members(action, "control")
    win_back = env.ref("customer_churn_cockpit.customer_churn_figure_action_win_back")
    to_win_back = env["customer.churn.figure"].with_user(rep).search(safe_eval(win_back.domain, {"uid": rep.id}))
    assert to_win_back.partner_id == members(action, "treated")
    assert not visits_of(env, control)


def test_uplift_of_a_hand_case(env, shop):
    """6 of 7 treated and 2 of 7 control won back: uplift 57.1 points, 5.82 to 80.62 (Newcombe 1998)."""
    treated = [shop.customer(f"Treated {index}") for index in range(7)]
    control = [shop.customer(f"Control {index}") for index in range(7)]
    day = days_ago(40)
    for partner in treated[:6]:
        shop.order(partner, day + timedelta(days=5))
    shop.order(treated[6], day + timedelta(days=31))  # one day past the 30 win-back days
    shop.order(control[0], day)  # on the action's day: counts
    shop.order(control[1], day + timedelta(days=30))  # the last win-back day: counts
    shop.order(control[2], day - timedelta(days=1))  # before the action: does not
    action = env["customer.churn.action"]._record(
        "visit", env.company, day, 7, 50, [p.id for p in treated], [p.id for p in control]
    )
    assert (action.treated_count, action.treated_won, action.control_count, action.control_won) == (7, 6, 7, 2)
    assert action.treated_rate == pytest.approx(600 / 7)
    assert action.control_rate == pytest.approx(200 / 7)
    assert action.uplift == pytest.approx(400 / 7)
    assert (action.uplift_low, action.uplift_high) == (pytest.approx(5.82, abs=0.005), pytest.approx(80.62, abs=0.005))
    assert action.result_sentence == ("Visits won back 57 points more customers than doing nothing, give or take 37.")


def test_without_a_control_group_the_uplift_is_not_measured(env, shop):
    partner = shop.customer("Alone")
    action = env["customer.churn.action"]._record("coupon", env.company, AS_OF, 1, 0, [partner.id], [])
    assert (action.treated_count, action.control_count) == (1, 0)
    assert action.result_sentence == "No control group: the uplift cannot be measured."


def test_the_sentence_says_so_far_while_the_window_is_open(env, shop, today):
    treated, control = shop.customer("Treated now"), shop.customer("Control now")
    shop.order(treated, today)
    action = env["customer.churn.action"]._record("coupon", env.company, today, 3, 50, [treated.id], [control.id])
    assert action.result_sentence == (
        "So far: Coupons won back 100 points more customers than doing nothing, give or take 56."
    )


def test_the_sentence_in_chinese(env, shop):
    env["res.lang"]._activate_lang("zh_CN")
    env["ir.module.module"]._load_module_terms(["customer_churn_cockpit"], ["zh_CN"])
    partner = shop.customer("Alone")
    action = env["customer.churn.action"]._record("visit", env.company, AS_OF, 1, 0, [partner.id], [])
    assert action.with_context(lang="zh_CN").result_sentence == "没有对照组：无法衡量提升。"
