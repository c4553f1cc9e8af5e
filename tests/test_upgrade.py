"""Upgrading the module keeps every company's settings (a real odoo-bin -u, on a database of its own)."""

import json
import os

import pytest

from odoo_harness import CONF, MODULE, clone_database, drop_database, odoo_bin, run_python

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
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=warn"])
db, step, changed, branch = sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), json.loads(sys.argv[5])
with odoo.modules.registry.Registry.new(db).cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {})
    main = env.ref("base.main_company")
    menu = env.ref("customer_churn_cockpit.menu_churn_settings")
    if step == "change":
        main.write(changed)
        env["res.company"].create({"name": "Upgrade branch", **branch})
        menu.name = "Renamed by hand"  # the upgrade reloads the module's data: it comes back
    branch_company = env["res.company"].search([("name", "=", "Upgrade branch")])
    print(json.dumps({
        "main": {name: main[name] for name in changed},
        "branch": {name: branch_company[name] for name in branch},
        "menu": menu.with_context(lang="en_US").name,
    }))
"""


@pytest.fixture
def upgrade_db(template_db):
    name = f"cct_upgrade_{os.getpid()}"
    clone_database(template_db, name)
    yield name
    drop_database(name)


def settings(db, step):
    output = run_python(SETTINGS, CONF, db, step, json.dumps(CHANGED), json.dumps(BRANCH))
    return json.loads(output.strip().splitlines()[-1])


@pytest.mark.slow
def test_upgrade_keeps_every_companys_settings(upgrade_db):
    before = settings(upgrade_db, "change")
    assert before == {"main": CHANGED, "branch": BRANCH, "menu": "Renamed by hand"}
    result = odoo_bin("-d", upgrade_db, "-u", MODULE, "--stop-after-init", check=False)
    assert result.returncode == 0 and "ERROR" not in result.stderr, result.stderr[-3000:]
    after = settings(upgrade_db, "inspect")
    assert after == {"main": CHANGED, "branch": BRANCH, "menu": "Settings"}
