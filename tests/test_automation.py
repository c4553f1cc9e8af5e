"""Automatic visits: after a run as of today, valuable customers that just became at risk get a visit."""

from datetime import timedelta

import pytest

from odoo.exceptions import ValidationError

from odoo.addons.mail.tests.common import mail_new_test_user


@pytest.fixture
def rep(env):
    return mail_new_test_user(env, login="auto_rep", groups="sales_team.group_sale_salesman", name="Auto Rep")


@pytest.fixture
def backup(env):
    return mail_new_test_user(env, login="auto_backup", groups="sales_team.group_sale_salesman", name="Backup Rep")


@pytest.fixture
def shops(shop, today, rep):
    """Five shops ranked by a year's sales 500 > 400 > 300 > 200 > 100.

    With bands of 20% / 40% / 20% of five ranked customers: one very important, two important,
    one general, one dormant (ceil(1), ceil(3), ceil(4) cumulative). At-risk starts at 15 days
    without orders: the run five days ago saw 11, 12, 19, 13 and 0 days.
    """
    shop.company.write(
        {
            "churn_value_very_important_percent": 20,
            "churn_value_important_percent": 40,
            "churn_value_general_percent": 20,
        }
    )
    plan = {
        "very important, newly at risk": (500, 16, rep),
        "important, newly at risk, no salesperson": (400, 17, None),
        "important, at risk already": (300, 24, rep),
        "general, newly at risk": (200, 18, rep),
        "dormant, active": (100, 5, rep),
    }
    shops = {}
    for name, (amount, days, user) in plan.items():
        shops[name] = shop.customer(name, user_id=user.id if user else False)
        shop.order(shops[name], today - timedelta(days=days), amount)
    return shops


def visits(env, partners=None):
    visit_type = env["mail.activity.type"]._get_churn_visit_type()
    domain = [("res_model", "=", "res.partner"), ("activity_type_id", "=", visit_type.id)]
    if partners is not None:
        domain.append(("res_id", "in", [p.id for p in partners]))
    return env["mail.activity"].search(domain)


def run_twice(shop, today):
    """A run five days ago, then today's: returns today's run."""
    shop.recompute(today - timedelta(days=5))
    return latest_run(shop, today)


def latest_run(shop, as_of):
    summary = shop.recompute(as_of)
    return shop.env["customer.churn.run"].browse(summary["companies"][shop.company.id]["run_id"])


def test_off_by_default_plans_nothing(shop, today, shops):
    assert not shop.company.churn_auto_visit
    run_twice(shop, today)
    assert not visits(shop.env, shops.values())


def test_plans_for_valuable_customers_newly_at_risk(shop, today, shops, rep, backup):
    shop.company.write(
        {"churn_auto_visit": True, "churn_auto_visit_segment": "important", "churn_auto_visit_user_id": backup.id}
    )
    run = run_twice(shop, today)
    planned = visits(shop.env, shops.values())
    assert {(a.res_id, a.user_id) for a in planned} == {
        (shops["very important, newly at risk"].id, rep),
        (shops["important, newly at risk, no salesperson"].id, backup),
    }
    assert run.auto_visit_count == 2
    # The rep finds it in their own activities.
    mine = shop.env["mail.activity"].with_user(rep).search([("user_id", "=", rep.id)])
    assert mine.res_id == shops["very important, newly at risk"].id


def test_lowest_segment_widens_the_selection(shop, today, shops, backup):
    shop.company.write(
        {"churn_auto_visit": True, "churn_auto_visit_segment": "general", "churn_auto_visit_user_id": backup.id}
    )
    run_twice(shop, today)
    assert set(visits(shop.env, shops.values()).mapped("res_id")) == {
        shops["very important, newly at risk"].id,
        shops["important, newly at risk, no salesperson"].id,
        shops["general, newly at risk"].id,
    }


def test_without_fallback_a_customer_without_salesperson_is_skipped(shop, today, shops):
    shop.company.write({"churn_auto_visit": True, "churn_auto_visit_segment": "important"})
    run = run_twice(shop, today)
    assert visits(shop.env, shops.values()).mapped("res_id") == [shops["very important, newly at risk"].id]
    assert run.auto_visit_count == 1


def test_plans_after_someone_deleted_the_visit_type(shop, today, shops, backup):
    """Without the "Customer visit" type the automation stopped silently; it recreates the type and plans."""
    shop.company.write({"churn_auto_visit": True, "churn_auto_visit_user_id": backup.id})
    shop.recompute(today - timedelta(days=5))
    shop.env.ref("customer_churn_cockpit.mail_activity_type_customer_visit").unlink()
    run = latest_run(shop, today)
    assert run.auto_visit_count == 2
    planned = visits(shop.env, shops.values())
    assert planned.activity_type_id == shop.env.ref("customer_churn_cockpit.mail_activity_type_customer_visit")
    assert len(planned) == 2


def test_second_run_of_the_day_plans_nothing_again(shop, today, shops, backup):
    shop.company.write({"churn_auto_visit": True, "churn_auto_visit_user_id": backup.id})
    run_twice(shop, today)
    planned = visits(shop.env, shops.values())
    # Even once the visits are done, the same day's second run compares with the first one.
    planned.action_feedback(feedback="Visited")
    run = latest_run(shop, today)
    assert not visits(shop.env, shops.values())
    assert run.auto_visit_count == 0


def test_first_run_and_back_dated_runs_plan_nothing(shop, today, shops, backup):
    shop.company.write({"churn_auto_visit": True, "churn_auto_visit_user_id": backup.id})
    # The first run ever: nothing is "newly" at risk.
    shop.recompute(today)
    assert not visits(shop.env, shops.values())
    # A back-dated run is an analysis of the past, even when its customers moved.
    shop.recompute(today - timedelta(days=10))
    shop.recompute(today - timedelta(days=1))
    assert not visits(shop.env, shops.values())


@pytest.mark.parametrize(("basis", "visited"), [("cycle", "Weekly"), ("fixed", "Monthly")])
def test_visits_follow_the_stored_state_on_each_basis(shop, today, rep, basis, visited):
    """Five days ago both were active. Today, weekly (cycle 7) is 12 days without orders: at risk from
    day 11 on its cycle, active on the fixed 15 days; monthly (cycle 40) is 16 days without orders:
    at risk on the fixed 15 days, active until day 60 on its cycle."""
    shop.company.write({"churn_auto_visit": True, "churn_auto_visit_segment": "general", "churn_state_basis": basis})
    shops = {name: shop.customer(name, user_id=rep.id) for name in ("Weekly", "Monthly")}
    shop.orders(shops["Weekly"], [today - timedelta(days=days) for days in (12, 19, 26)], 300)
    shop.orders(shops["Monthly"], [today - timedelta(days=days) for days in (16, 56, 96)], 200)
    run_twice(shop, today)
    assert visits(shop.env, shops.values()).mapped("res_id") == [shops[visited].id]


def test_automation_needs_a_segment(shop):
    with pytest.raises(ValidationError, match="value segment"):
        shop.company.write({"churn_auto_visit": True, "churn_auto_visit_segment": False})


@pytest.fixture
def boss(env):
    """A cockpit manager who is no administrator: writes the settings through the company form."""
    return mail_new_test_user(env, login="auto_boss", groups="sales_team.group_sale_manager", name="Auto Boss")


def test_clearing_only_the_segment_is_refused(env, shop, boss):
    """Automation already on, the segment alone emptied: on the administrators' page and the managers' form."""
    shop.company.write({"churn_auto_visit": True, "churn_auto_visit_segment": "important"})
    with pytest.raises(ValidationError, match="value segment"):
        env["res.config.settings"].create({"churn_auto_visit_segment": False}).execute()
    with pytest.raises(ValidationError, match="value segment"):
        shop.company.with_user(boss).write({"churn_auto_visit_segment": False})
    # Off, automation needs no segment.
    shop.company.with_user(boss).write({"churn_auto_visit": False, "churn_auto_visit_segment": False})
    assert not shop.company.churn_auto_visit_segment


def test_portal_user_cannot_be_the_fallback_salesperson(env, shop, boss, backup):
    """A shop owner's portal login would receive the visits of customers without a salesperson."""
    portal = mail_new_test_user(env, login="auto_portal", groups="base.group_portal", name="Shop Owner")
    message = "fallback salesperson for automatic visits must be an internal user"
    with pytest.raises(ValidationError, match=message):
        env["res.config.settings"].create({"churn_auto_visit": True, "churn_auto_visit_user_id": portal.id}).execute()
    with pytest.raises(ValidationError, match=message):
        shop.company.with_user(boss).write({"churn_auto_visit_user_id": portal.id})
    shop.company.with_user(boss).write({"churn_auto_visit": True, "churn_auto_visit_user_id": backup.id})
    assert shop.company.churn_auto_visit_user_id == backup
