"""Acting on a large segment: plan visits and issue coupons for N customers, then click again.

    bench/actions.py DB [--customers 5000]

Runs on a benchmark or demo database with the module installed (``bench/run --keep`` leaves
one); everything is rolled back at the end. The wizards run exactly as a manager's click runs
them, as a real cockpit manager user. Prints one JSON line.
"""

import argparse
import json
import os
import time

import odoo
from odoo import SUPERUSER_ID, Command, api


def timed(callback):
    started = time.perf_counter()
    result = callback()
    return result, time.perf_counter() - started


def manager(env):
    """A cockpit manager who is not an admin, as in the shop."""
    return (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Bench Manager",
                "login": "bench_manager",
                "groups_id": [Command.set([env.ref("sales_team.group_sale_manager").id])],
                "company_ids": [Command.set(env["res.company"].search([]).ids)],
            }
        )
    )


def count(env, model, domain):
    env.flush_all()
    return env[model].sudo().search_count(domain)


def act(env, partners):
    visit_type = env["mail.activity.type"]._get_churn_visit_type()
    visits = [("res_model", "=", "res.partner"), ("activity_type_id", "=", visit_type.id)]
    context = {"active_model": "res.partner", "active_ids": partners.ids}
    figures = {"customers": len(partners)}

    def plan():
        wizard = env["customer.churn.plan.visit"].with_context(**context).create({})
        wizard.action_plan()
        env.flush_all()

    def send(program=None):
        values = {"program_mode": "existing", "program_id": program.id} if program else {"send_email": False}
        wizard = env["customer.churn.send.coupon"].with_context(**context).create(values)
        wizard.action_send()
        env.flush_all()
        return wizard.program_id

    before = count(env, "mail.activity", visits)
    _, figures["visits_s"] = timed(plan)
    figures["visits_created"] = count(env, "mail.activity", visits) - before
    _, figures["visits_again_s"] = timed(plan)
    figures["visits_created_again"] = count(env, "mail.activity", visits) - before - figures["visits_created"]
    program, figures["coupons_s"] = timed(send)
    figures["coupons_created"] = count(env, "loyalty.card", [("program_id", "=", program.id)])
    _, figures["coupons_again_s"] = timed(lambda: send(program))
    figures["coupons_created_again"] = (
        count(env, "loyalty.card", [("program_id", "=", program.id)]) - figures["coupons_created"]
    )
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db")
    parser.add_argument("--customers", type=int, default=5000)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", os.environ["COCKPIT_ODOO_CONF"], "--log-level=warn"])
    registry = odoo.modules.registry.Registry.new(args.db)
    with registry.cursor() as cr:
        root = api.Environment(cr, SUPERUSER_ID, {})
        env = root(user=manager(root), context={"tracking_disable": True})
        partners = env["res.partner"].search([("churn_state", "in", ("at_risk", "churned"))], limit=args.customers)
        if len(partners) < args.customers:
            partners |= env["res.partner"].search(
                [("churn_state", "!=", False), ("id", "not in", partners.ids)], limit=args.customers - len(partners)
            )
        print(json.dumps(act(env, partners)))
        cr.rollback()


if __name__ == "__main__":
    main()
