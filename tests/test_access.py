"""Who may do what: every role × every model of the module × read/write/create/unlink, per company.

Four real users, all allowed in company A only: a salesperson who sees their own documents, one
who sees all documents, a sales manager (so a cockpit manager) who is no administrator, and an
internal user without Sales. Company B holds figures, a run, snapshots and win-back rows of its
own, which none of them may see. In A, "Rival's shop" belongs to the other salesperson: the one
who sees his own documents only reads nothing of it. Each cell runs inside a savepoint that is rolled back, so every
cell starts from the same data.
"""

import pytest

from odoo import Command
from odoo.exceptions import AccessError, UserError

from odoo.addons.mail.tests.common import mail_new_test_user

from common import AS_OF, days_ago

OK, DENIED = "ok", "denied"
ROLES = ("rep_own", "rep_all", "manager", "internal")
GROUPS = {
    "rep_own": "sales_team.group_sale_salesman",
    "rep_all": "sales_team.group_sale_salesman_all_leads",
    "manager": "sales_team.group_sale_manager",
    "internal": "base.group_user",
}
ALL, NONE, MANAGER, COCKPIT = (OK, OK, OK, OK), (DENIED,) * 4, (DENIED, DENIED, OK, DENIED), (OK, OK, OK, DENIED)
# What the salesperson who sees all documents, and the manager, may do with a rival's customer.
ALL_DOCUMENTS = (DENIED, OK, OK, DENIED)


class Rollback(Exception):
    """Raised after a cell that succeeded, to undo it."""


@pytest.fixture
def world(env, shop):
    """Company A (the main one) and B, a computed run in each, a visit in A and a coupon in B."""
    company_a = env.company
    company_b = env["res.company"].create({"name": "Branch B", "churn_history_days": 400})
    env.user.company_ids = [Command.link(company_b.id)]
    active, at_risk, lost = shop.customer("Active in A"), shop.customer("At risk in A"), shop.customer("Lost in B")
    shop.order(active, days_ago(5), 100)
    shop.order(at_risk, days_ago(20), 50)
    shop.order(lost, days_ago(40), 70, company=company_b)
    rival = shop.customer("Rival's shop")
    shop.order(rival, days_ago(10), 300)
    shop.recompute(companies=company_a | company_b)
    users = {
        role: mail_new_test_user(env, login=f"access_{role}", groups=groups, company_id=company_a.id)
        for role, groups in GROUPS.items()
    }
    active.user_id = users["rep_own"]
    rival.user_id = users["rep_all"]
    visit = env["customer.churn.plan.visit"].with_context(active_model="res.partner", active_ids=active.ids).create({})
    visit.action_plan()
    visit_type = env.ref("customer_churn_cockpit.mail_activity_type_customer_visit")
    env["mail.activity"].search([("res_id", "=", active.id), ("activity_type_id", "=", visit_type.id)]).action_done()
    coupon = env["customer.churn.send.coupon"].with_company(company_b)
    coupon.create({"partner_ids": lost.ids, "send_email": False, "company_id": company_b.id}).action_send()
    env["customer.churn.engine"].backtest(company_a | company_b, AS_OF)
    Run, Winback = env["customer.churn.run"], env["customer.churn.winback"]
    Backtest, Action = env["customer.churn.backtest"], env["customer.churn.action"]
    Failure = env["customer.churn.failure"]
    handover = env["customer.churn.handover"].create(
        {
            "company_id": company_a.id,
            "day": AS_OF,
            "departing_user_id": env.user.id,
            "line_ids": [Command.create({"partner_id": active.id})],
        }
    )
    return {
        "failure_a": Failure._record(company_a, "refresh", ValueError("a refresh failed"), AS_OF, 1),
        "failure_b": Failure._record(company_b, "run", ValueError("a run failed"), AS_OF),
        "env": env,
        "handover": handover,
        "a": company_a,
        "b": company_b,
        "active": active,
        "at_risk": at_risk,
        "lost": lost,
        "rival": rival,
        "users": users,
        "run_a": Run.search([("company_id", "=", company_a.id)]),
        "run_b": Run.search([("company_id", "=", company_b.id)]),
        "winback_a": Winback.search([("company_id", "=", company_a.id)], limit=1),
        "winback_b": Winback.search([("company_id", "=", company_b.id)], limit=1),
        "backtest_a": Backtest.search([("company_id", "=", company_a.id)], limit=1),
        "backtest_b": Backtest.search([("company_id", "=", company_b.id)], limit=1),
        "action_a": Action.search([("company_id", "=", company_a.id)], limit=1),
        "action_b": Action.search([("company_id", "=", company_b.id)], limit=1),
    }


def kept_month(w, company, user):
    Month = w["env"]["customer.churn.baseline.month"]
    return Month.search([("company_id", "=", w[company].id)], limit=1).ensure_one().with_user(user)


def wizard_of(w, user, model, values):
    """A wizard of ``user`` (transient records belong to their creator), whatever their rights."""
    return w["env"][model].with_user(user).sudo().create(values).sudo(False)


def salesperson_change(w, customer, user):
    """The change that gave ``w[customer]`` its salesperson, as ``user`` browses it."""
    Change = w["env"]["customer.churn.salesperson.change"]
    return Change.search([("partner_id", "=", w[customer].id)], limit=1).with_user(user)


def preview_handover(w, user):
    """The hand-over of the own-documents salesperson's customers to the other one, previewed."""
    values = {"departing_user_id": w["users"]["rep_own"].id, "receiver_ids": [Command.set(w["users"]["rep_all"].ids)]}
    w["env"]["customer.churn.handover.wizard"].with_user(user).create(values).action_preview()


def plan_visit(w, user):
    Wizard = w["env"]["customer.churn.plan.visit"].with_user(user)
    Wizard.with_context(active_model="res.partner", active_ids=w["at_risk"].ids).create({}).action_plan()


def send_coupon(w, user, company):
    Wizard = w["env"]["customer.churn.send.coupon"].with_user(user)
    Wizard.create({"partner_ids": w["at_risk"].ids, "company_id": company.id, "send_email": False}).action_send()


def recompute(w, user, company):
    Wizard = w["env"]["customer.churn.recompute"].with_user(user)
    Wizard.create({"company_ids": company.ids, "as_of": AS_OF}).action_recompute()


# (what, operation, data of company, the outcome for rep_own, rep_all, manager, internal)
CELLS = [
    ("customer.churn.run", "read", "A", COCKPIT, lambda w, u: w["run_a"].with_user(u).read(["customers"])),
    ("customer.churn.run", "read", "B", NONE, lambda w, u: w["run_b"].with_user(u).read(["customers"])),
    ("customer.churn.run", "write", "A", MANAGER, lambda w, u: w["run_a"].with_user(u).write({"customers": 1})),
    (
        "customer.churn.run",
        "create",
        "A",
        MANAGER,
        lambda w, u: w["env"]["customer.churn.run"].with_user(u).create({"company_id": w["a"].id, "as_of": AS_OF}),
    ),
    (
        "customer.churn.run",
        "create",
        "B",
        NONE,
        lambda w, u: w["env"]["customer.churn.run"].with_user(u).create({"company_id": w["b"].id, "as_of": AS_OF}),
    ),
    ("customer.churn.run", "unlink", "A", MANAGER, lambda w, u: w["run_a"].with_user(u).unlink()),
    ("customer.churn.run", "unlink", "B", NONE, lambda w, u: w["run_b"].with_user(u).unlink()),
    (
        "customer.churn.snapshot",
        "read",
        "A",
        COCKPIT,
        lambda w, u: snapshot(w, "run_a", "active").with_user(u).read(["churn_state"]),
    ),
    (
        "customer.churn.snapshot",
        "read rival's customer",
        "A",
        ALL_DOCUMENTS,
        lambda w, u: snapshot(w, "run_a", "rival").with_user(u).read(["churn_state"]),
    ),
    (
        "customer.churn.snapshot",
        "read",
        "B",
        NONE,
        lambda w, u: w["run_b"].snapshot_ids.with_user(u).read(["churn_state"]),
    ),
    (
        "customer.churn.snapshot",
        "write",
        "A",
        MANAGER,
        lambda w, u: w["run_a"].snapshot_ids.with_user(u).write({"churn_state": "churned"}),
    ),
    (
        "customer.churn.snapshot",
        "write",
        "B",
        NONE,
        lambda w, u: w["run_b"].snapshot_ids.with_user(u).write({"churn_state": "churned"}),
    ),
    (
        "customer.churn.snapshot",
        "create",
        "A",
        MANAGER,
        lambda w, u: (
            w["env"]["customer.churn.snapshot"]
            .with_user(u)
            .create({"run_id": w["run_a"].id, "partner_id": w["lost"].id})
        ),
    ),
    (
        "customer.churn.snapshot",
        "create",
        "B",
        NONE,
        lambda w, u: (
            w["env"]["customer.churn.snapshot"]
            .with_user(u)
            .create({"run_id": w["run_b"].id, "partner_id": w["active"].id})
        ),
    ),
    ("customer.churn.snapshot", "unlink", "A", MANAGER, lambda w, u: w["run_a"].snapshot_ids.with_user(u).unlink()),
    ("customer.churn.snapshot", "unlink", "B", NONE, lambda w, u: w["run_b"].snapshot_ids.with_user(u).unlink()),
    ("customer.churn.winback", "read", "A", COCKPIT, lambda w, u: w["winback_a"].with_user(u).read(["won_back"])),
    # B's rows are not even read for a user outside B: reading one gives nothing.
    (
        "customer.churn.winback",
        "read",
        "B",
        NONE,
        lambda w, u: found_or_denied(w["winback_b"].with_user(u).read(["won_back"])),
    ),
    # A report on an SQL view: nobody writes it, it follows the visits, coupons and orders.
    ("customer.churn.winback", "write", "A", NONE, lambda w, u: w["winback_a"].with_user(u).write({"won_back": True})),
    (
        "customer.churn.winback",
        "create",
        "A",
        NONE,
        lambda w, u: w["env"]["customer.churn.winback"].with_user(u).create({"won_back": True}),
    ),
    ("customer.churn.winback", "unlink", "A", NONE, lambda w, u: w["winback_a"].with_user(u).unlink()),
    (
        "customer.churn.board",
        "get_board_data",
        "A",
        COCKPIT,
        lambda w, u: w["env"]["customer.churn.board"].with_user(u).get_board_data(),
    ),
    (
        "customer.churn.board",
        "get_board_data",
        "B",
        NONE,
        lambda w, u: w["env"]["customer.churn.board"].with_user(u).with_company(w["b"]).get_board_data(),
    ),
    (
        "customer.churn.baseline",
        "get_monthly_baselines",
        "A",
        COCKPIT,
        lambda w, u: w["env"]["customer.churn.baseline"].with_user(u).get_monthly_baselines(12),
    ),
    (
        "customer.churn.baseline",
        "get_monthly_baselines",
        "B",
        NONE,
        lambda w, u: w["env"]["customer.churn.baseline"].with_user(u).with_company(w["b"]).get_monthly_baselines(12),
    ),
    ("customer.churn.recompute", "create+run", "A", MANAGER, lambda w, u: recompute(w, u, w["a"])),
    ("customer.churn.recompute", "create+run", "B", NONE, lambda w, u: recompute(w, u, w["b"])),
    (
        "customer.churn.recompute",
        "read",
        "A",
        MANAGER,
        lambda w, u: wizard_of(w, u, "customer.churn.recompute", {"company_ids": w["a"].ids}).read(["as_of"]),
    ),
    (
        "customer.churn.recompute",
        "write",
        "A",
        MANAGER,
        lambda w, u: wizard_of(w, u, "customer.churn.recompute", {"company_ids": w["a"].ids}).write({"as_of": AS_OF}),
    ),
    (
        "customer.churn.recompute",
        "unlink",
        "A",
        MANAGER,
        lambda w, u: wizard_of(w, u, "customer.churn.recompute", {"company_ids": w["a"].ids}).unlink(),
    ),
    (
        "customer.churn.state.preview",
        "open",
        "A",
        MANAGER,
        lambda w, u: w["a"].with_user(u).action_churn_preview_states(),
    ),
    (
        "customer.churn.state.preview",
        "open",
        "B",
        NONE,
        lambda w, u: w["b"].with_user(u).action_churn_preview_states(),
    ),
    (
        "customer.churn.state.preview.line",
        "read",
        "A",
        MANAGER,
        lambda w, u: wizard_of(
            w, u, "customer.churn.state.preview", {"company_id": w["a"].id, "line_ids": [Command.create({})]}
        ).line_ids.read(["cycle_count"]),
    ),
    ("customer.churn.plan.visit", "create+plan", "A", COCKPIT, plan_visit),
    (
        "customer.churn.plan.visit",
        "read",
        "A",
        COCKPIT,
        lambda w, u: wizard_of(w, u, "customer.churn.plan.visit", {"partner_ids": w["at_risk"].ids}).read(["summary"]),
    ),
    (
        "customer.churn.plan.visit",
        "write",
        "A",
        COCKPIT,
        lambda w, u: wizard_of(w, u, "customer.churn.plan.visit", {"partner_ids": w["at_risk"].ids}).write(
            {"summary": "Bring the new price list"}
        ),
    ),
    # Wizards are left to the vacuum, not deleted by hand.
    (
        "customer.churn.plan.visit",
        "unlink",
        "A",
        MANAGER,
        lambda w, u: wizard_of(w, u, "customer.churn.plan.visit", {"partner_ids": w["at_risk"].ids}).unlink(),
    ),
    ("customer.churn.send.coupon", "create+send", "A", MANAGER, lambda w, u: send_coupon(w, u, w["a"])),
    ("customer.churn.send.coupon", "create+send", "B", NONE, lambda w, u: send_coupon(w, u, w["b"])),
    (
        "customer.churn.send.coupon",
        "read",
        "A",
        MANAGER,
        lambda w, u: wizard_of(w, u, "customer.churn.send.coupon", {"partner_ids": w["at_risk"].ids}).read(
            ["discount"]
        ),
    ),
    (
        "customer.churn.send.coupon",
        "write",
        "A",
        MANAGER,
        lambda w, u: wizard_of(w, u, "customer.churn.send.coupon", {"partner_ids": w["at_risk"].ids}).write(
            {"discount": 5}
        ),
    ),
    (
        "customer.churn.send.coupon",
        "unlink",
        "A",
        MANAGER,
        lambda w, u: wizard_of(w, u, "customer.churn.send.coupon", {"partner_ids": w["at_risk"].ids}).unlink(),
    ),
    # The formatted export: cockpit users, their own file, figures of their current company.
    (
        "customer.churn.export",
        "create",
        "A",
        COCKPIT,
        lambda w, u: w["env"]["customer.churn.export"].with_user(u).create({}),
    ),
    (
        "customer.churn.export",
        "export",
        "A",
        COCKPIT,
        lambda w, u: w["env"]["customer.churn.export"].with_user(u)._action_export(w["active"].with_user(u)),
    ),
    (
        "customer.churn.export",
        "unlink",
        "A",
        NONE,
        lambda w, u: wizard_of(w, u, "customer.churn.export", {}).unlink(),
    ),
    # The figures are sales figures: only cockpit users read them, and only for their companies.
    (
        "res.partner churn fields",
        "read",
        "A",
        COCKPIT,
        lambda w, u: w["active"].with_user(u).with_company(w["a"]).read(["churn_state", "churn_revenue_current"]),
    ),
    (
        "res.partner churn fields",
        "read",
        "B",
        NONE,
        lambda w, u: w["lost"].with_user(u).with_company(w["b"]).read(["churn_state", "churn_revenue_current"]),
    ),
    (
        "res.partner churn fields",
        "search",
        "A",
        COCKPIT,
        lambda w, u: w["env"]["res.partner"].with_user(u).search([("churn_state", "=", "at_risk")]),
    ),
    (
        "res.partner churn fields",
        "read rival's customer",
        "A",
        ALL_DOCUMENTS,
        lambda w, u: figure_or_denied(w["rival"].with_user(u).with_company(w["a"]).churn_revenue_current),
    ),
    (
        "res.partner churn fields",
        "write",
        "A",
        NONE,
        lambda w, u: w["at_risk"].with_user(u).with_company(w["a"]).write({"churn_state": False}),
    ),
    # The figures themselves: read-only for everyone, the engine alone writes them.
    ("customer.churn.figure", "read", "A", COCKPIT, lambda w, u: figure(w, "active", u).read(["churn_state"])),
    ("customer.churn.figure", "read", "B", NONE, lambda w, u: figure(w, "lost", u).read(["churn_state"])),
    (
        "customer.churn.figure",
        "read rival's customer",
        "A",
        ALL_DOCUMENTS,
        lambda w, u: figure(w, "rival", u).read(["churn_revenue_current"]),
    ),
    (
        "customer.churn.figure",
        "search rival's customer",
        "A",
        ALL_DOCUMENTS,
        lambda w, u: found_or_denied(
            w["env"]["customer.churn.figure"].with_user(u).search([("partner_id", "=", w["rival"].id)])
        ),
    ),
    (
        "customer.churn.figure",
        "write",
        "A",
        NONE,
        lambda w, u: figure(w, "at_risk", u).write({"churn_state": "active"}),
    ),
    (
        "customer.churn.figure",
        "create",
        "A",
        NONE,
        lambda w, u: (
            w["env"]["customer.churn.figure"]
            .with_user(u)
            .create({"partner_id": w["lost"].id, "company_id": w["a"].id, "churn_state": "active"})
        ),
    ),
    ("customer.churn.figure", "unlink", "A", NONE, lambda w, u: figure(w, "at_risk", u).unlink()),
    # The kept baseline months are company-wide sums: managers read them, nobody writes them.
    ("customer.churn.baseline.month", "read", "A", MANAGER, lambda w, u: kept_month(w, "a", u).read(["revenue"])),
    ("customer.churn.baseline.month", "read", "B", NONE, lambda w, u: kept_month(w, "b", u).read(["revenue"])),
    ("customer.churn.baseline.month", "write", "A", NONE, lambda w, u: kept_month(w, "a", u).write({"revenue": 1})),
    # Who starts the current month, per customer: read by the board's SQL only, for no user.
    (
        "customer.churn.baseline.start",
        "read",
        "A",
        NONE,
        lambda w, u: w["env"]["customer.churn.baseline.start"].with_user(u).search([]).read(["churn_day"]),
    ),
    # The Churn tab's chart: a customer's months under the figure's rules; another's customer has none.
    (
        "customer.churn.monthly.sales",
        "read",
        "A",
        COCKPIT,
        lambda w, u: found_or_denied(
            w["env"]["customer.churn.monthly.sales"].with_user(u).get_partner_months(w["active"].id)
        ),
    ),
    (
        "customer.churn.monthly.sales",
        "read rival's customer",
        "A",
        ALL_DOCUMENTS,
        lambda w, u: found_or_denied(
            w["env"]["customer.churn.monthly.sales"].with_user(u).get_partner_months(w["rival"].id)
        ),
    ),
    # The extraction step has no public method: only the engine calls it, as superuser.
    (
        "customer.churn.extract",
        "call over RPC",
        "A",
        NONE,
        lambda w, u: rpc_call(w["env"]["customer.churn.extract"].with_user(u), "_extract_aggregates"),
    ),
    # The board's money, the baselines and the export of a rival's customer.
    (
        "customer.churn.board",
        "count rival's customer",
        "A",
        ALL_DOCUMENTS,
        lambda w, u: found_or_denied(w["env"]["customer.churn.board"].with_user(u).get_board_data()["customers"] == 3),
    ),
    (
        "customer.churn.baseline",
        "rival's customer counted",
        "A",
        ALL_DOCUMENTS,
        lambda w, u: found_or_denied(
            any(
                month["customers"] == 2
                for month in w["env"]["customer.churn.baseline"].with_user(u).get_monthly_baselines()["months"]
            )
        ),
    ),
    (
        "customer.churn.export",
        "rival's customer",
        "A",
        ALL_DOCUMENTS,
        lambda w, u: export_or_denied(w["env"]["customer.churn.export"].with_user(u), w["rival"]),
    ),
    # Signal accuracy: every cockpit user reads it, managers run it, nobody edits its lines.
    ("customer.churn.backtest", "read", "A", COCKPIT, lambda w, u: w["backtest_a"].with_user(u).read(["precision"])),
    ("customer.churn.backtest", "read", "B", NONE, lambda w, u: w["backtest_b"].with_user(u).read(["precision"])),
    ("customer.churn.backtest", "write", "A", NONE, lambda w, u: w["backtest_a"].with_user(u).write({"hits": 1})),
    (
        "customer.churn.backtest",
        "create",
        "A",
        NONE,
        lambda w, u: (
            w["env"]["customer.churn.backtest"]
            .with_user(u)
            .create({"company_id": w["a"].id, "as_of": AS_OF, "signal": "abc_down"})
        ),
    ),
    ("customer.churn.backtest", "unlink", "A", NONE, lambda w, u: w["backtest_a"].with_user(u).unlink()),
    (
        "customer.churn.engine",
        "backtest",
        "A",
        MANAGER,
        lambda w, u: w["env"]["customer.churn.engine"].with_user(u).backtest(w["a"], AS_OF),
    ),
    (
        "customer.churn.engine",
        "backtest",
        "B",
        NONE,
        lambda w, u: w["env"]["customer.churn.engine"].with_user(u).backtest(w["b"], AS_OF),
    ),
    # Failed runs and refreshes: kept by the engine, read by the managers of the company only.
    ("customer.churn.failure", "read", "A", MANAGER, lambda w, u: w["failure_a"].with_user(u).read(["message"])),
    ("customer.churn.failure", "read", "B", NONE, lambda w, u: w["failure_b"].with_user(u).read(["message"])),
    ("customer.churn.failure", "write", "A", NONE, lambda w, u: w["failure_a"].with_user(u).write({"message": "x"})),
    (
        "customer.churn.failure",
        "create",
        "A",
        NONE,
        lambda w, u: w["env"]["customer.churn.failure"].with_user(u).create({"company_id": w["a"].id, "kind": "run"}),
    ),
    ("customer.churn.failure", "unlink", "A", NONE, lambda w, u: w["failure_a"].with_user(u).unlink()),
    # Actions and their control groups are recorded by the wizards, read by every cockpit user.
    ("customer.churn.action", "read", "A", COCKPIT, lambda w, u: w["action_a"].with_user(u).read(["uplift"])),
    ("customer.churn.action", "read", "B", NONE, lambda w, u: w["action_b"].with_user(u).read(["uplift"])),
    ("customer.churn.action", "write", "A", NONE, lambda w, u: w["action_a"].with_user(u).write({"seed": 1})),
    ("customer.churn.action", "unlink", "A", NONE, lambda w, u: w["action_a"].with_user(u).unlink()),
    (
        "customer.churn.action.line",
        "read",
        "A",
        COCKPIT,
        lambda w, u: w["action_a"].line_ids.with_user(u).read(["member_group"]),
    ),
    (
        "customer.churn.action.line",
        "read",
        "B",
        NONE,
        lambda w, u: w["action_b"].line_ids.with_user(u).read(["member_group"]),
    ),
    (
        "customer.churn.action.line",
        "write",
        "A",
        NONE,
        lambda w, u: w["action_a"].line_ids.with_user(u).write({"member_group": "control"}),
    ),
    # Salesperson changes follow the figures' rules; hand-overs are made by managers, read by the cockpit.
    (
        "customer.churn.salesperson.change",
        "read",
        "A",
        COCKPIT,
        lambda w, u: salesperson_change(w, "active", u).read(["day"]),
    ),
    (
        "customer.churn.salesperson.change",
        "read rival's customer",
        "A",
        ALL_DOCUMENTS,
        lambda w, u: salesperson_change(w, "rival", u).read(["day"]),
    ),
    (
        "customer.churn.salesperson.change",
        "write",
        "A",
        NONE,
        lambda w, u: salesperson_change(w, "active", u).write({"source": "merge"}),
    ),
    ("customer.churn.handover", "read", "A", COCKPIT, lambda w, u: w["handover"].with_user(u).read(["day"])),
    ("customer.churn.handover", "write", "A", NONE, lambda w, u: w["handover"].with_user(u).write({"day": AS_OF})),
    (
        "customer.churn.handover.line",
        "read",
        "A",
        COCKPIT,
        lambda w, u: w["handover"].line_ids.with_user(u).read(["revenue"]),
    ),
    ("customer.churn.handover.wizard", "preview", "A", MANAGER, preview_handover),
    (
        "customer.churn.handover.wizard.line",
        "create",
        "A",
        MANAGER,
        lambda w, u: (
            w["env"]["customer.churn.handover.wizard.line"]
            .with_user(u)
            .create({"wizard_id": wizard_of(w, u, "customer.churn.handover.wizard", {"departing_user_id": u.id}).id})
        ),
    ),
    # Every user may read the thresholds (the board explains them); cockpit managers change them.
    ("churn settings", "read", "A", ALL, lambda w, u: w["a"].with_user(u).read(["churn_at_risk_days"])),
    ("churn settings", "write", "A", MANAGER, lambda w, u: w["a"].with_user(u).write({"churn_at_risk_days": 10})),
    ("churn settings", "write", "B", NONE, lambda w, u: w["b"].with_user(u).write({"churn_at_risk_days": 10})),
    ("churn settings", "2-8 button", "A", MANAGER, lambda w, u: w["a"].with_user(u).action_churn_abc_preset_80_20()),
    # The way in for managers opens no other field of the company.
    ("churn settings", "write other field", "A", NONE, lambda w, u: w["a"].with_user(u).write({"name": "Renamed"})),
    (
        "churn settings",
        "write with other field",
        "A",
        NONE,
        lambda w, u: w["a"].with_user(u).write({"churn_at_risk_days": 10, "email": "x@example.com"}),
    ),
]
MATRIX_SIZE = len(CELLS) * len(ROLES)


def figure(w, customer, user):
    """The company A row of figures of ``w[customer]``, as ``user`` browses it."""
    Figure = w["env"]["customer.churn.figure"]
    row = Figure.search([("partner_id", "=", w[customer].id), ("company_id", "in", (w["a"] | w["b"]).ids)])
    return row.with_user(user)


def snapshot(w, run, customer):
    return w[run].snapshot_ids.filtered(lambda snapshot: snapshot.partner_id == w[customer])


def found_or_denied(found):
    """What a user may not see is absent, not an error: absent counts as denied."""
    if not found:
        raise AccessError("not visible")


def figure_or_denied(value):
    """A partner figure the user may not read reads as empty."""
    found_or_denied(value)


def export_or_denied(Export, partners):
    """An export of nothing the user may read is refused with a message: that counts as denied."""
    try:
        Export._action_export(partners.with_env(Export.env))
    except UserError as error:
        raise AccessError(str(error)) from error


def rpc_call(model, method):
    """As odoo.service.model.call_kw checks it: private methods are not callable over RPC."""
    from odoo.service.model import get_public_method

    get_public_method(model, method)


def outcome(env, operation):
    """OK or DENIED; any other error fails the test as it is (a traceback is never an answer)."""
    try:
        with env.cr.savepoint():
            operation()
            raise Rollback
    except Rollback:
        return OK
    except AccessError:
        return DENIED
    finally:
        env.invalidate_all()


def test_matrix_covers_every_model_of_the_module(env):
    """Every model of the module has cells, and the matrix has the size the report gives."""
    names = set(env["ir.model"].search([("model", "=like", "customer.churn.%")]).mapped("model")) - {
        "customer.churn.engine",  # its one public method is covered through the recompute wizard
        "customer.churn.segment.action",  # abstract parent of the two wizards below
        "customer.churn.automation",  # runs inside a recompute as superuser, covered through it
    }
    assert names <= {what for what, *_rest in CELLS}
    print(f"\naccess matrix: {len(CELLS)} operations x {len(ROLES)} roles = {MATRIX_SIZE} cells")
    assert MATRIX_SIZE == 100 * 4


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(world, role):
    user = world["users"][role]
    assert not user.has_group("base.group_erp_manager") and not user.has_group("base.group_system")
    column = ROLES.index(role)
    wrong = [
        f"{what} {operation} on {company}'s data: expected {expected[column]}, got {got}"
        for what, operation, company, expected, operation_fn in CELLS
        if (got := outcome(world["env"], lambda fn=operation_fn: fn(world, user))) != expected[column]
    ]
    assert not wrong, "\n".join(wrong)


def test_user_of_company_a_sees_only_company_a(world):
    """Figures, runs, snapshots, win-back rows and board counts of A; nothing of B."""
    env, user = world["env"], world["users"]["rep_all"]
    active, lost = world["active"], world["lost"]
    as_user = env(user=user)
    runs = as_user["customer.churn.run"].search([])
    assert runs == world["run_a"]
    assert (runs.customers, runs.active_count, runs.at_risk_count, runs.churned_count, runs.never_count) == (
        3,
        2,
        1,
        0,
        0,
    )
    snapshots = as_user["customer.churn.snapshot"].search([])
    assert {(s.partner_id.name, s.churn_state) for s in snapshots} == {
        ("Active in A", "active"),
        ("At risk in A", "at_risk"),
        ("Rival's shop", "active"),
    }
    winback = as_user["customer.churn.winback"].search([])
    assert [(w.action_type, w.partner_id, w.company_id) for w in winback] == [("visit", active, world["a"])]
    # ... while B has its own rows: the visit (activities have no company) and B's coupon.
    b_rows = env["customer.churn.winback"].search([("company_id", "=", world["b"].id)])
    assert sorted(b_rows.mapped("action_type")) == ["coupon", "visit"]
    customers = as_user["res.partner"].search([("churn_state", "!=", False)])
    assert {(p.name, p.churn_state, p.churn_revenue_current) for p in customers} == {
        ("Active in A", "active", 100),
        ("At risk in A", "at_risk", 50),
        ("Rival's shop", "active", 300),
    }
    assert lost.with_company(world["b"]).churn_state == "churned"  # as the superuser sees B
    board = as_user["customer.churn.board"].get_board_data()
    counts = {tile["key"]: tile["count"] for section in board["sections"] for tile in section["tiles"]}
    assert board["company"]["id"] == world["a"].id and board["customers"] == 3
    assert (counts["active"], counts["at_risk"], counts["churned"], counts["never"]) == (2, 1, 0, 0)
