"""Uninstall leaves nothing behind; reinstall works (in a database of its own: both commit)."""

import json

import pytest

from odoo_harness import CONF, clone_database, drop_database, run_python

LIFECYCLE = """
import json, logging, sys
import odoo
from odoo import SUPERUSER_ID, api
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=warn"])
db, step = sys.argv[2], sys.argv[3]
# What the module itself logs as a warning or worse during the step.
class Collect(logging.Handler):
    messages = []
    def emit(self, record):
        self.messages.append(record.getMessage())
logging.getLogger("odoo.addons.customer_churn_cockpit").addHandler(Collect(logging.WARNING))
registry = odoo.modules.registry.Registry.new(db)
with registry.cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {})
    module = env["ir.module.module"].search([("name", "=", "customer_churn_cockpit")])
    if step == "uninstall":
        module.button_immediate_uninstall()
    elif step == "install":
        module.button_immediate_install()
with odoo.modules.registry.Registry.new(db).cursor() as cr:
    cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'res_partner' "
               "AND (column_name LIKE 'churn%%' OR column_name LIKE 'abc%%' OR column_name = 'value_segment')")
    columns = sorted(r[0] for r in cr.fetchall())
    cr.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'customer_churn%%'")
    tables = sorted(r[0] for r in cr.fetchall())
    cr.execute("SELECT count(*) FROM ir_model_data WHERE module = 'customer_churn_cockpit'")
    xmlids = cr.fetchone()[0]
    cr.execute("SELECT count(*) FROM ir_cron WHERE cron_name::text LIKE '%%Churn Cockpit%%'")
    crons = cr.fetchone()[0]
    cr.execute("SELECT state FROM ir_module_module WHERE name = 'customer_churn_cockpit'")
    state = cr.fetchone()[0]
print(json.dumps({"columns": columns, "tables": tables, "xmlids": xmlids, "crons": crons, "state": state,
                  "warnings": Collect.messages}))
"""


@pytest.fixture
def lifecycle_db(template_db):
    name = "cct_lifecycle"
    clone_database(template_db, name)
    yield name
    drop_database(name)


def step(db, action):
    return json.loads(run_python(LIFECYCLE, CONF, db, action).strip().splitlines()[-1])


@pytest.mark.slow
def test_uninstall_removes_everything_and_reinstall_works(lifecycle_db):
    installed = step(lifecycle_db, "inspect")
    # The figures live in their own table: res_partner gets no column of them.
    assert installed["columns"] == []
    # The nightly recompute and the weekly backtest.
    assert {"customer_churn_run", "customer_churn_figure"} <= set(installed["tables"]) and installed["crons"] == 2
    gone = step(lifecycle_db, "uninstall")
    assert gone == {"columns": [], "tables": [], "xmlids": 0, "crons": 0, "state": "uninstalled", "warnings": []}
    back = step(lifecycle_db, "install")
    # Nothing is recreated while installing (the win-back view once "recreated" the visit type
    # its data file was about to load).
    assert back == installed
