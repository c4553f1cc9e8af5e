"""Scheduled, on-demand and back-dated runs; history and its retention."""

from datetime import timedelta

import pytest

from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.mail.tests.common import mail_new_test_user

from common import AS_OF, days_ago


def test_scheduled_action_recomputes_every_company_as_of_its_today(shop):
    env = shop.env
    cron = env.ref("customer_churn_cockpit.ir_cron_customer_churn_recompute")
    assert cron.active and cron.interval_type == "days"
    customer = shop.customer("Nightly")
    today = env["customer.churn.engine"]._today(shop.company)
    shop.order(customer, today - timedelta(days=16), 10)
    cron.method_direct_trigger()
    figures = shop.figures(customer)
    assert figures.churn_as_of == today
    assert figures.churn_state == "at_risk"
    assert env["customer.churn.run"].search_count([("as_of", "=", today)]) == len(env["res.company"].search([]))


def test_back_dated_run_from_the_wizard(shop):
    customer = shop.customer("Back then")
    shop.order(customer, days_ago(3), 10)
    wizard = shop.env["customer.churn.recompute"].create({"company_ids": shop.company.ids, "as_of": AS_OF})
    action = wizard.action_recompute()
    assert action["params"]["type"] == "success"
    assert shop.figures(customer).churn_as_of == AS_OF
    assert shop.figures(customer).churn_days_since == 3


def test_run_in_the_future_is_refused(shop):
    tomorrow = shop.env["customer.churn.engine"]._today(shop.company) + timedelta(days=2)
    with pytest.raises(ValidationError):
        shop.env["customer.churn.recompute"].create({"company_ids": shop.company.ids, "as_of": tomorrow})
    with pytest.raises(UserError):
        shop.recompute(as_of=tomorrow)


def test_failed_run_keeps_previous_figures(shop, monkeypatch):
    """All or nothing per company: a failure while writing leaves the last figures intact."""
    customer = shop.customer("Kept")
    shop.order(customer, days_ago(20), 10)
    shop.recompute()
    Engine = type(shop.env["customer.churn.engine"])
    original = Engine._store_company

    def store_then_fail(self, company, result, *args):
        original(self, company, result, *args)
        raise RuntimeError("disk full")

    monkeypatch.setattr(Engine, "_store_company", store_then_fail)
    with pytest.raises(RuntimeError):
        shop.recompute(as_of=days_ago(-10))
    shop.env.invalidate_all()
    assert shop.figures(customer).churn_state == "at_risk"
    assert shop.figures(customer).churn_as_of == AS_OF
    assert shop.env["customer.churn.run"].search_count([("company_id", "=", shop.company.id)]) == 1


def test_history_keeps_counts_and_purges_old_runs(shop):
    shop.order(shop.customer("One"), days_ago(1), 10)
    shop.order(shop.customer("Two"), days_ago(20), 10)
    shop.company.churn_history_days = 400
    shop.recompute(as_of=days_ago(30))
    run = shop.recompute()["companies"][shop.company.id]["run_id"]
    run = shop.env["customer.churn.run"].browse(run)
    assert run.active_count >= 1 and run.at_risk_count >= 1
    assert run.segment_counts["churn_traded_recently"] >= 2
    old = shop.env["customer.churn.run"].create({"company_id": shop.company.id, "as_of": days_ago(800)})
    shop.recompute()
    assert not old.exists()


def test_only_managers_recompute(shop):
    rep = mail_new_test_user(shop.env, login="rep_r", groups="sales_team.group_sale_salesman")
    boss = mail_new_test_user(shop.env, login="boss_r", groups="sales_team.group_sale_manager")
    with pytest.raises(AccessError):
        shop.env["customer.churn.engine"].with_user(rep).recompute(shop.company, AS_OF)
    summary = shop.env["customer.churn.engine"].with_user(boss).recompute(shop.company, AS_OF)
    assert summary["companies"][shop.company.id]["as_of"] == AS_OF


def test_managers_recompute_only_their_companies(shop):
    """Refused before anything is written, and without companies a manager gets their own."""
    other = shop.env["res.company"].create({"name": "Other branch"})
    boss = mail_new_test_user(shop.env, login="boss_c", groups="sales_team.group_sale_manager")
    assert other not in boss.company_ids
    engine = shop.env["customer.churn.engine"].with_user(boss)
    with pytest.raises(AccessError, match="allowed in"):
        engine.recompute(shop.company | other, AS_OF)
    assert not shop.env["customer.churn.run"].search([("company_id", "in", (shop.company | other).ids)])
    summary = engine.recompute(as_of=AS_OF)
    assert set(summary["companies"]) == set(boss.company_ids.ids)


def test_recompute_over_rpc_takes_company_ids_and_an_iso_day(shop):
    """JSON-RPC carries ids and strings: recompute() takes them, or says what it wanted."""
    customer = shop.customer("RPC shop")
    shop.order(customer, AS_OF - timedelta(days=3), 100)
    Engine = shop.env["customer.churn.engine"]
    summary = call_kw(Engine, "recompute", [[shop.company.id], AS_OF.isoformat()], {})
    assert (summary["customers"], summary["active"]) == (1, 1)
    assert shop.figures(customer).churn_as_of == AS_OF
    assert call_kw(Engine, "recompute", [shop.company.id], {"as_of": AS_OF.isoformat()})["customers"] == 1
    for companies, as_of, message in (
        ([shop.company.id], "30/11/2026", "is not a day"),
        ([shop.company.id], 20261130, "is not a day"),
        (["main"], None, "as company ids"),
        ([10**9], None, "There is no company"),
    ):
        with pytest.raises(UserError, match=message):
            call_kw(Engine, "recompute", [companies, as_of], {})
