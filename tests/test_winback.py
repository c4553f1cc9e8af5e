"""Win-back measurement: a visit or coupon followed by a confirmed order within N days."""

from datetime import timedelta

import pytest

from odoo.addons.mail.tests.common import mail_new_test_user


@pytest.fixture
def rep(env):
    return mail_new_test_user(env, login="rep_w", groups="sales_team.group_sale_salesman", name="Rep W")


def visit_done(env, partner, user, day):
    visit_type = env.ref("customer_churn_cockpit.mail_activity_type_customer_visit")
    activity = env["mail.activity"].create(
        {
            "res_model_id": env["ir.model"]._get_id("res.partner"),
            "res_id": partner.id,
            "activity_type_id": visit_type.id,
            "user_id": user.id,
        }
    )
    activity.action_feedback(feedback="visited")
    # Marked done on ``day`` (the ORM stamps today; the story needs an earlier day).
    activity.with_context(active_test=False).date_done = day
    return activity


def rows(env, partner):
    return env["customer.churn.winback"].search([("partner_id", "=", partner.id)])


@pytest.mark.parametrize("days_after, won", [(0, True), (30, True), (31, False)])
def test_visit_wins_back_with_an_order_within_thirty_days(shop, today, rep, days_after, won):
    customer = shop.customer("Visited shop", user_id=rep.id)
    visit_day = today - timedelta(days=40)
    shop.order(customer, visit_day - timedelta(days=1), 50)  # before the visit: does not count
    visit_done(shop.env, customer, rep, visit_day)
    shop.order(customer, visit_day + timedelta(days=days_after), 80)
    (row,) = rows(shop.env, customer)
    assert (row.action_type, row.action_date, row.user_id, row.won_back) == ("visit", visit_day, rep, won)
    assert row.won_back_rate == (100 if won else 0)


def test_win_back_rate_per_action_type(shop, today, rep):
    env = shop.env
    won = shop.customer("Came back", user_id=rep.id)
    lost = shop.customer("Still gone", user_id=rep.id)
    for customer in (won, lost):
        visit_done(env, customer, rep, today - timedelta(days=5))
    shop.order(won, today - timedelta(days=2), 60)
    groups = env["customer.churn.winback"]._read_group(
        [("partner_id", "in", (won | lost).ids)], ["action_type"], ["won_back_rate:avg", "__count"]
    )
    assert groups == [("visit", 50.0, 2)]


def test_segment_before_the_action_comes_from_the_run_history(shop, today, rep):
    customer = shop.customer("Was at risk", user_id=rep.id)
    shop.order(customer, today - timedelta(days=40), 60)
    shop.recompute(as_of=today - timedelta(days=20))  # 20 days without orders: at risk
    visit_done(shop.env, customer, rep, today - timedelta(days=10))
    assert rows(shop.env, customer).churn_state == "at_risk"


def test_coupon_issued_and_used(shop, today):
    env = shop.env
    customer = shop.customer("Coupon shop")
    wizard = env["customer.churn.send.coupon"].create(
        {"partner_ids": customer.ids, "discount": 10, "send_email": False}
    )
    wizard.action_send()
    card = env["loyalty.card"].search([("program_id", "=", wizard.program_id.id)])
    order = shop.order(customer, today, 100, state="draft")
    status = order._try_apply_code(card.code)
    order._apply_program_reward(status[card], card)
    order.action_confirm()
    (row,) = rows(env, customer)
    assert (row.action_type, row.won_back, row.coupon_used) == ("coupon", True, True)


def test_a_row_keeps_its_id_whatever_companies_are_read(shop, today, rep):
    env = shop.env
    branch = env["res.company"].create({"name": "Winback Branch"})
    env.user.company_ids |= branch
    customer = shop.customer("Two-company shop", user_id=rep.id)
    visit_done(env, customer, rep, today - timedelta(days=3))
    Winback = env["customer.churn.winback"]
    both = Winback.with_context(allowed_company_ids=[env.company.id, branch.id]).search(
        [("partner_id", "=", customer.id)]
    )
    # A visit is read in each company the user works in, once each.
    assert sorted(both.mapped("company_id").ids) == sorted([env.company.id, branch.id])
    alone = Winback.with_context(allowed_company_ids=[branch.id]).search([("partner_id", "=", customer.id)])
    assert alone.company_id == branch
    assert alone.id in both.ids
    assert alone.id == both.filtered(lambda row: row.company_id == branch).id


def test_every_action_counts_as_planned_done_and_won_back(shop, today, rep):
    """A visit still planned shows at once; the rate is over the visits done (1 won of 2), not all 3."""
    env = shop.env
    won, lost, pending = (shop.customer(name, user_id=rep.id) for name in ("Won", "Lost", "Pending"))
    for customer in (won, lost):
        visit_done(env, customer, rep, today - timedelta(days=5))
    shop.order(won, today - timedelta(days=2), 60)
    shop.order(pending, today - timedelta(days=1), 60)  # ordered, but the visit is not done: not won back
    env["customer.churn.plan.visit"].with_context(active_model="res.partner", active_ids=pending.ids).create(
        {"fallback_user_id": rep.id}
    ).action_plan()
    (planned,) = rows(env, pending)
    assert (planned.action_status, planned.action_date, planned.won_back) == ("planned", False, False)
    groups = env["customer.churn.winback"]._read_group(
        [("partner_id", "in", (won | lost | pending).ids)],
        ["action_type"],
        ["planned_count:sum", "done_count:sum", "won_back_count:sum", "won_back_rate:avg"],
    )
    assert groups == [("visit", 3, 2, 1, 50.0)]
