"""When a salesperson leaves (SPEC §13): the flags, the change history, the hand-over and its aftermath."""

from datetime import timedelta

import pytest

from odoo import Command
from odoo.exceptions import UserError

from odoo.addons.mail.tests.common import mail_new_test_user

from common import AS_OF, days_ago


def commit_hooks(env):
    """What the commit of the user's transaction runs (the test itself rolls back)."""
    env.cr.precommit.run()


def salesperson(env, login, groups="sales_team.group_sale_salesman", **values):
    return mail_new_test_user(env, login=login, groups=groups, **values)


def flags(shop, partner):
    figures = shop.figures(partner)
    return figures.churn_salesperson_left, figures.churn_salesperson_changed


def changes(env, partner):
    return env["customer.churn.salesperson.change"].search([("partner_id", "=", partner.id)], order="id")


def test_an_archived_salesperson_or_one_out_of_the_company_has_left(env, shop):
    company_b = env["res.company"].create({"name": "Branch B"})
    leaving = salesperson(env, "sp_leaving")
    moved = salesperson(env, "sp_moved", company_ids=[Command.set([env.company.id, company_b.id])])
    staying = salesperson(env, "sp_staying")
    archived_shop = shop.customer("Archived's shop", user_id=leaving.id)
    moved_shop = shop.customer("Moved's shop", user_id=moved.id)
    kept_shop = shop.customer("Kept shop", user_id=staying.id)
    for partner in (archived_shop, moved_shop, kept_shop):
        shop.order(partner, days_ago(10))
    leaving.action_archive()
    moved.write({"company_ids": [Command.set([company_b.id])], "company_id": company_b.id})
    shop.recompute()
    assert flags(shop, archived_shop) == (True, False)
    assert flags(shop, moved_shop) == (True, False)
    assert flags(shop, kept_shop) == (False, False)
    assert "sp_leaving" in shop.figures(archived_shop).churn_reason


def test_no_salesperson_counts_as_left_for_a_customer_that_bought_within_365_days(shop):
    this_year = shop.customer("Bought on the year's first day")
    last_year = shop.customer("Bought the day before")
    prospect = shop.customer("Never bought")
    shop.order(this_year, days_ago(364))
    shop.order(last_year, days_ago(365))
    shop.recompute()
    assert flags(shop, this_year) == (True, False)
    assert flags(shop, last_year) == (False, False)
    assert flags(shop, prospect) == (False, False)


def test_a_change_counts_from_the_first_to_the_last_day_of_the_period(env, shop):
    """P = 30: the current window is [as_of - 29, as_of]; a change after as_of is not seen yet."""
    rep = salesperson(env, "sp_rep")
    Change = env["customer.churn.salesperson.change"]
    days = {"first": days_ago(29), "last": AS_OF, "before": days_ago(30), "after": AS_OF + timedelta(days=1)}
    partners = {}
    for key, day in days.items():
        partners[key] = shop.customer(f"Changed {key}", user_id=rep.id)
        Change.create({"partner_id": partners[key].id, "day": day, "new_user_id": rep.id, "source": "edit"})
    # Its first salesperson, given the day it was created, is no change.
    new_customer = shop.customer("New customer", user_id=rep.id)
    assert changes(env, new_customer).mapped("source") == ["create"]
    env.cr.execute("UPDATE customer_churn_salesperson_change SET day = %s WHERE source = 'create'", [AS_OF])
    shop.recompute()
    assert {key: flags(shop, partner)[1] for key, partner in partners.items()} == {
        "first": True,
        "last": True,
        "before": False,
        "after": False,
    }
    assert flags(shop, new_customer) == (False, False)


def test_each_way_of_changing_the_salesperson_is_kept(env, shop):
    manager = salesperson(env, "sp_manager", groups="sales_team.group_sale_manager")
    old, new = salesperson(env, "sp_old"), salesperson(env, "sp_new")
    edited = shop.customer("Edited", user_id=old.id)
    imported = shop.customer("Imported", user_id=old.id)
    edited.with_user(manager).write({"user_id": new.id})
    result = env["res.partner"].with_context(import_file=True).load([".id", "user_id/.id"], [[imported.id, new.id]])
    assert not result["messages"]
    survivor = shop.customer("Survivor", user_id=new.id)
    duplicate = shop.customer("Survivor (copy)", user_id=old.id)
    env["base.partner.merge.automatic.wizard"]._merge([survivor.id, duplicate.id], survivor, extra_checks=False)
    today = env["customer.churn.engine"]._today(env.company)
    edit = changes(env, edited)[-1]
    assert (edit.source, edit.old_user_id, edit.new_user_id, edit.changed_by_id, edit.day) == (
        "edit",
        old,
        new,
        manager,
        today,
    )
    assert changes(env, imported)[-1].source == "import"
    merge = changes(env, survivor)
    # The duplicate's history moved over with it; its orders went from its salesperson to the survivor's.
    assert merge.mapped("source") == ["create", "create", "merge"]
    assert (merge[-1].old_user_id, merge[-1].new_user_id) == (old, new)


def test_a_salesperson_who_sees_his_own_documents_sees_only_his_customers_changes(env, shop):
    rep_a, rep_b = salesperson(env, "sp_rep_a"), salesperson(env, "sp_rep_b")
    mine = shop.customer("Mine")
    theirs = shop.customer("Theirs")
    mine.user_id = rep_a
    theirs.user_id = rep_b
    seen = env["customer.churn.salesperson.change"].with_user(rep_a).search([])
    assert seen.partner_id == mine
    assert env["customer.churn.salesperson.change"].with_user(rep_b).search([]).partner_id == theirs


@pytest.fixture
def departure(env, shop, today):
    """A departing salesperson's six customers, with sales 500, 400, 300, 200, 100, 100 this year."""
    leaving = salesperson(env, "sp_departing")
    receivers = [salesperson(env, f"sp_receiver_{n}") for n in (1, 2, 3)]
    customers = [shop.customer(f"Shop {n}", user_id=leaving.id) for n in range(1, 7)]
    for customer, amount in zip(customers, (500, 400, 300, 200, 100, 100), strict=True):
        shop.order(customer, today - timedelta(days=100), amount / 2)
        shop.order(customer, today - timedelta(days=5), amount / 2)
    # Out of the 365 days: does not count in the split.
    shop.order(customers[5], today - timedelta(days=365), 1000)
    shop.recompute(as_of=today)
    leaving.action_archive()
    return leaving, receivers, customers


def hand_over(env, leaving, receivers, **values):
    wizard = env["customer.churn.handover.wizard"].create(
        {"departing_user_id": leaving.id, "receiver_ids": [Command.set([r.id for r in receivers])], **values}
    )
    wizard.action_preview()
    return wizard


def test_one_receiver_gets_every_customer(env, shop, departure):
    leaving, receivers, customers = departure
    wizard = hand_over(env, leaving, receivers[:1], plan_visits=False)
    assert [(line.user_id, line.customer_count, line.revenue) for line in wizard.line_ids] == [
        (receivers[0], 6, 1600.0)
    ]
    wizard.action_confirm()
    assert all(customer.user_id == receivers[0] for customer in customers)


def test_three_receivers_get_similar_sales_and_the_flags_follow(env, shop, departure):
    leaving, (first, second, third), customers = departure
    commit_hooks(env)
    assert all(flags(shop, customer) == (True, False) for customer in customers)
    wizard = hand_over(env, leaving, [first, second, third])
    # By hand: 500→1, 400→2, 300→3, 200→3 (300 the least), 100→2 (400), 100→1 (all at 500: fewest customers).
    assert [(line.user_id, line.customer_count, line.revenue) for line in wizard.line_ids] == [
        (first, 2, 600.0),
        (second, 2, 500.0),
        (third, 2, 500.0),
    ]
    wizard.action_confirm()
    expected = [first, second, third, third, second, first]
    assert [customer.user_id for customer in customers] == expected
    handover = wizard.handover_id
    assert (handover.customer_count, handover.revenue, handover.departing_user_id) == (6, 1600.0, leaving)
    assert sorted(handover.line_ids.mapped("partner_id").ids) == sorted(c.id for c in customers)
    moves = env["customer.churn.salesperson.change"].search([("handover_id", "=", handover.id)])
    assert {(m.partner_id, m.old_user_id, m.new_user_id, m.source) for m in moves} == {
        (customer, leaving, user, "handover") for customer, user in zip(customers, expected, strict=True)
    }
    visit_type = env["mail.activity.type"]._get_churn_visit_type()
    visits = env["mail.activity"].search(
        [
            ("res_model", "=", "res.partner"),
            ("res_id", "in", [c.id for c in customers]),
            ("activity_type_id", "=", visit_type.id),
        ]
    )
    assert {(visit.res_id, visit.user_id) for visit in visits} == {
        (customer.id, user) for customer, user in zip(customers, expected, strict=True)
    }
    # The refresh at commit: the customers have a salesperson again, a new one.
    commit_hooks(env)
    assert all(flags(shop, customer) == (False, True) for customer in customers)
    # A second click changes nothing; a second hand-over of the same customers finds none left.
    wizard.action_confirm()
    assert env["customer.churn.handover"].search_count([("departing_user_id", "=", leaving.id)]) == 1
    assert len(visits.search([("id", "in", visits.ids)])) == 6
    with pytest.raises(UserError, match="no customers to hand over"):
        hand_over(env, leaving, [first], partner_ids=[Command.set([c.id for c in customers])])


def test_a_hand_over_refuses_no_receivers_or_the_departing_one(env, departure):
    leaving, receivers, _customers = departure
    with pytest.raises(UserError, match="at least one salesperson"):
        hand_over(env, leaving, [])
    with pytest.raises(UserError, match="departing salesperson"):
        hand_over(env, leaving, [receivers[0], leaving])


def test_the_aftermath_compares_the_handed_over_customers_with_the_others(env, shop, today):
    day = today - timedelta(days=100)
    lost, kept = shop.customer("Handed, lost"), shop.customer("Handed, kept")
    others = [shop.customer(f"Other {n}") for n in range(3)]
    for partner in (lost, kept, *others):
        shop.order(partner, day - timedelta(days=10))
    # Within the 90 days after the hand-over; a day later does not save the last "other".
    for partner in (kept, others[0], others[1]):
        shop.order(partner, day + timedelta(days=90))
    shop.order(others[2], day + timedelta(days=91))
    handover = env["customer.churn.handover"].create(
        {
            "company_id": env.company.id,
            "day": day,
            "departing_user_id": env.user.id,
            "line_ids": [Command.create({"partner_id": p.id}) for p in (lost, kept)],
        }
    )
    assert (handover.aftermath_days, handover.handed_lost_percent) == (90, 50.0)
    assert handover.others_lost_percent == pytest.approx(100 / 3)
