"""Upgrading the module from its last release keeps every company's settings and figures (a real
odoo-bin -u, on a database of its own)."""

import json
import os
import subprocess
from datetime import date, timedelta

import pytest

from odoo_harness import (
    CONF,
    MODULE,
    ODOO_SRC,
    ROOT,
    clone_database,
    drop_database,
    ensure_dependencies,
    odoo_bin,
    run_python,
)

# Every setting a manager can change, each away from its default (hand-chosen, all valid together).
CHANGED = {
    "churn_period_days": 28,
    "churn_at_risk_days": 10,
    "churn_churned_days": 40,
    "churn_sales_plunge_percent": 25.0,
    "churn_sales_surge_percent": 30.0,
    "churn_orders_plunge_count": 3,
    "churn_orders_rise_count": 4,
    "churn_cycle_multiplier": 2.5,
    "churn_cycle_window_days": 180,
    "churn_cycle_min_order_days": 4,
    "churn_abc_a_percent": 20,
    "churn_abc_b_percent": 60,
    "churn_value_window_days": 180,
    "churn_value_very_important_percent": 10,
    "churn_value_important_percent": 15,
    "churn_value_general_percent": 40,
    "churn_history_days": 120,
    "churn_winback_days": 21,
}
BRANCH = {"churn_at_risk_days": 7, "churn_churned_days": 21}

SETTINGS = """
import json, sys
import odoo
from odoo import SUPERUSER_ID, api
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=warn", *sys.argv[6:]])
db, step, changed, branch = sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), json.loads(sys.argv[5])
with odoo.modules.registry.Registry.new(db).cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {})
    main = env.ref("base.main_company")
    menu = env.ref("customer_churn_cockpit.menu_churn_settings")
    if step == "change":
        main.write(changed)
        env["res.company"].create({"name": "Settings branch", **branch})
        menu.name = "Renamed by hand"  # the upgrade reloads the module's data: it comes back
    branch_company = env["res.company"].search([("name", "=", "Settings branch")])
    print(json.dumps({
        "main": {name: main[name] for name in changed},
        "branch": {name: branch_company[name] for name in branch},
        "menu": menu.with_context(lang="en_US").name,
    }))
"""


def settings(db, step):
    output = run_python(SETTINGS, CONF, db, step, json.dumps(CHANGED), json.dumps(BRANCH))
    return json.loads(output.strip().splitlines()[-1])


# The last release whose figures were company-dependent jsonb columns of res_partner (18.0.1.0.0).
PREVIOUS_RELEASE = "330e8de"

FIGURES = """
import json, sys
import odoo
from datetime import date, timedelta
from odoo import SUPERUSER_ID, Command, api
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=warn", *sys.argv[4:]])
db, step = sys.argv[2], sys.argv[3]
with odoo.modules.registry.Registry.new(db).cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    main = env.ref("base.main_company")
    if step == "make":
        branch = env["res.company"].create({"name": "Upgrade branch"})
        product = env["product.product"].create({"name": "Tea", "type": "service", "taxes_id": [Command.clear()]})
        as_of = date.today() - timedelta(days=40)
        for name, company, days, amount in (("Tea house", main, 20, 100.0), ("Noodle shop", main, 3, 80.0),
                                            ("Branch kiosk", branch, 35, 60.0)):
            partner = env["res.partner"].create({"name": name, "is_company": True, "customer_rank": 1})
            order = env["sale.order"].with_company(company).create({
                "partner_id": partner.id, "company_id": company.id,
                "order_line": [Command.create({"product_id": product.id, "price_unit": amount, "tax_id": False})],
            })
            order.action_confirm()
            order.date_order = as_of - timedelta(days=days)
        env["customer.churn.engine"].recompute(main | branch, as_of)
    branch = env["res.company"].search([("name", "=", "Upgrade branch")])
    rows = {}
    for company in main | branch:
        for partner in env["res.partner"].search([("name", "in", ["Tea house", "Noodle shop", "Branch kiosk"])]):
            figures = partner.with_company(company)
            if figures.churn_state:
                rows[f"{company.name}/{partner.name}"] = [figures.churn_state, figures.churn_days_since,
                                                          figures.churn_revenue_previous, str(figures.churn_as_of)]
    cr.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'res_partner' "
               "AND column_name = 'churn_state'")
    print(json.dumps({"figures": rows, "jsonb_columns": cr.fetchone()[0]}))
"""


@pytest.fixture
def previous_release(tmp_path):
    """The add-on as it was released before the figure model, from the repository's history."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", PREVIOUS_RELEASE, MODULE], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp_path)], input=archive, check=True)
    return tmp_path


@pytest.mark.slow
def test_upgrade_from_the_jsonb_release_keeps_the_settings_and_the_last_runs_figures(previous_release):
    db = f"cct_migrate_{os.getpid()}"
    old_addons = f"--addons-path={ODOO_SRC / 'odoo' / 'addons'},{previous_release}"
    clone_database(ensure_dependencies(), db)
    try:
        installed = odoo_bin("-d", db, old_addons, "-i", MODULE, "--stop-after-init", check=False)
        assert installed.returncode == 0, installed.stderr[-3000:]
        before = json.loads(run_python(FIGURES, CONF, db, "make", old_addons).strip().splitlines()[-1])
        # Hand-checked: as of 40 days ago, 20 and 3 days since the main company's orders, 35 in the branch.
        as_of = str(date.today() - timedelta(days=40))
        hand_checked = {
            "My Company/Tea house": ["at_risk", 20, 0.0, as_of],
            "My Company/Noodle shop": ["active", 3, 0.0, as_of],
            "Upgrade branch/Branch kiosk": ["churned", 35, 60.0, as_of],
        }
        # (That release also listed each company's shops as the other's "never traded" ones.)
        assert {key: before["figures"][key] for key in hand_checked} == hand_checked
        assert before["jsonb_columns"] == 1
        # Then a manager changes every setting, and the menu is renamed by hand.
        changed = run_python(SETTINGS, CONF, db, "change", json.dumps(CHANGED), json.dumps(BRANCH), old_addons)
        assert json.loads(changed.strip().splitlines()[-1]) == {
            "main": CHANGED,
            "branch": BRANCH,
            "menu": "Renamed by hand",
        }
        upgraded = odoo_bin("-d", db, "-u", MODULE, "--stop-after-init", check=False)
        assert upgraded.returncode == 0 and "ERROR" not in upgraded.stderr, upgraded.stderr[-3000:]
        after = json.loads(run_python(FIGURES, CONF, db, "inspect").strip().splitlines()[-1])
        assert after == {"figures": before["figures"], "jsonb_columns": 0}
        # The settings survive; the module's own data (the menu's name) is loaded again.
        assert settings(db, "inspect") == {"main": CHANGED, "branch": BRANCH, "menu": "Settings"}
    finally:
        drop_database(db)
