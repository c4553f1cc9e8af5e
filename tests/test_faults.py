"""The scheduled run beside real users and real crashes: separate processes on a database that commits.

Twelve customers. A test stops the run where it needs it — while it extracts, while it stages
its figures (after the snapshot they are computed in), or while it waits to replace the
company's rows — and acts there: kills it, starts a second run, confirms orders, edits or merges
customers; then lets go. No sleeps: every wait polls PostgreSQL for the state it needs.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import psycopg2
import pytest

from odoo.tools import config

from odoo.addons.customer_churn_cockpit.models.churn_sql import ChurnLock

from odoo_harness import CONF, ROOT, clone_database, drop_database, psql, run_python

pytestmark = pytest.mark.slow

SEED = """
import sys
from datetime import date, timedelta
import odoo
from odoo import SUPERUSER_ID, Command, api
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=warn"])
registry = odoo.modules.registry.Registry.new(sys.argv[2])
with registry.cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    engine = env["customer.churn.engine"]
    today = engine._today(env.company)
    product = env["product.product"].create({"name": "Noodles", "type": "service", "taxes_id": [Command.clear()]})
    for index in range(12):
        shop = env["res.partner"].create({"name": f"Shop {index + 1:02d}", "is_company": True, "customer_rank": 1})
        order = env["sale.order"].create({"partner_id": shop.id, "order_line": [
            Command.create({"product_id": product.id, "price_unit": 100, "tax_id": False})]})
        order.action_confirm()
        order.date_order = today - timedelta(days=3 * index + 1)
    env.flush_all()
    # The previous figures: a run ten days ago, in which every customer is older by ten days.
    engine.recompute(env.company, today - timedelta(days=10))
"""

# One scheduled run, through Odoo's own cron machinery ("cron") or by calling it directly ("direct",
# for a second run while the cron job is taken).
RUN = """
import sys
import odoo
from odoo import SUPERUSER_ID, api
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=info"])
db, how = sys.argv[2], sys.argv[3]
registry = odoo.modules.registry.Registry.new(db)
with registry.cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {})
    if how == "direct":
        env["customer.churn.engine"]._cron_recompute()
        sys.exit()
    cron_id = env.ref("customer_churn_cockpit.ir_cron_customer_churn_recompute").id
    cr.execute("UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' WHERE id = %s", [cron_id])
connection = odoo.sql_db.db_connect(db)
IrCron = registry["ir.cron"]
with connection.cursor() as cron_cr:
    IrCron._process_job(connection, cron_cr, IrCron._acquire_one_job(cron_cr, cron_id))
"""

# A salesperson, meanwhile: edits two customers and confirms an order for a third (a new shop when
# its name is new), refusing to wait more than a second for any lock.
SALESPERSON = """
import sys
from datetime import date
import odoo
from odoo import SUPERUSER_ID, Command, api
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=warn"])
registry = odoo.modules.registry.Registry.new(sys.argv[2])
with registry.cursor() as cr:
    cr.execute("SET lock_timeout = '1s'")
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    for name in sys.argv[3].split(","):
        env["res.partner"].search([("name", "=", name)]).phone = "+86 21 5555 0000"
    shop = env["res.partner"].search([("name", "=", sys.argv[4])]) or env["res.partner"].create(
        {"name": sys.argv[4], "is_company": True, "customer_rank": 1})
    order = env["sale.order"].create({"partner_id": shop.id, "order_line": [
        Command.create({"product_id": env["product.product"].search([("name", "=", "Noodles")]).id,
                        "price_unit": 250, "tax_id": False})]})
    order.action_confirm()
"""

MERGE = """
import sys
import odoo
from odoo import SUPERUSER_ID, api
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=warn"])
with odoo.modules.registry.Registry.new(sys.argv[2]).cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    Partner = env["res.partner"]
    kept, duplicate = Partner.search([("name", "=", sys.argv[3])]), Partner.search([("name", "=", sys.argv[4])])
    env["base.partner.merge.automatic.wizard"]._merge((kept | duplicate).ids, kept)
"""

FIGURES = """
SELECT p.name, f.churn_as_of::text, f.churn_days_since::text, f.churn_state, f.churn_revenue_current::int::text,
       f.value_segment
  FROM customer_churn_figure f JOIN res_partner p ON p.id = f.partner_id
 WHERE f.company_id = {company} AND p.name LIKE 'Shop %' ORDER BY p.id
"""


@pytest.fixture(scope="module")
def seeded_db(template_db):
    name = f"cct_faults_seed_{os.getpid()}"
    clone_database(template_db, name)
    run_python(SEED, CONF, name)
    yield name
    drop_database(name)


@pytest.fixture
def db(seeded_db):
    name = f"cct_faults_{os.getpid()}"
    clone_database(seeded_db, name)
    yield name
    drop_database(name)


def connect(db):
    connection = psycopg2.connect(dbname=db, host=config["db_host"] or None, port=config["db_port"] or None)
    connection.autocommit = True
    return connection


def query(db, sql):
    return psql(sql, dbname=db)


def figures(db):
    """Per customer: (as of, days since, state, revenue of the current window, value segment)."""
    company = query(db, "SELECT id FROM res_company ORDER BY id LIMIT 1")[0][0]
    return {name: tuple(values) for name, *values in query(db, FIGURES.format(company=company))}


def start_run(db, how="cron"):
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    return subprocess.Popen(
        [sys.executable, "-c", RUN, CONF, db, how], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(run):
    _out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    return err


def wait_until(condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


def waiting_backend(db, statement):
    """The pid of the backend of ``db`` waiting for a lock in a statement starting so."""
    rows = query(
        db,
        f"""SELECT pid FROM pg_stat_activity
             WHERE datname = '{db}' AND wait_event_type = 'Lock' AND query LIKE '{statement}%'""",
    )
    return rows and rows[0][0]


def gone(db, pid):
    return not query(db, f"SELECT 1 FROM pg_stat_activity WHERE datname = '{db}' AND pid = {pid}")


class Blocker:
    """Another transaction holding a lock the run needs, until released."""

    def __init__(self, db, statement):
        self.connection = connect(db)
        self.connection.autocommit = False
        self.connection.cursor().execute(statement)

    def release(self):
        self.connection.rollback()
        self.connection.close()


def company_id(db):
    return query(db, "SELECT id FROM res_company ORDER BY id LIMIT 1")[0][0]


def stopped_while_staging(db):
    """Start a run and return (the run, its blocked backend, the blocker): its snapshot is taken."""
    blocker = Blocker(db, "LOCK TABLE customer_churn_figure_stage IN ACCESS EXCLUSIVE MODE")
    run = start_run(db)
    pid = wait_until(lambda: waiting_backend(db, "COPY"), "the run to stage its figures")
    return run, pid, blocker


def stopped_before_replacing(db):
    """Start a run and return (the run, its blocked backend, the blocker): its figures are staged.

    The blocker holds the company's figures lock as a refresh under way does.
    """
    locks = f"SELECT pg_advisory_xact_lock_shared({ChurnLock.FIGURES.value}, {company_id(db)})"
    blocker = Blocker(db, locks)
    run = start_run(db)
    pid = wait_until(lambda: waiting_backend(db, "SELECT pg_advisory_xact_lock"), "the run to replace the figures")
    return run, pid, blocker


def as_of(db, days_ago):
    tz = query(db, "SELECT COALESCE(p.tz, 'UTC') FROM res_company c JOIN res_partner p ON p.id = c.partner_id LIMIT 1")
    today = query(db, f"SELECT (now() AT TIME ZONE '{tz[0][0]}')::date")[0][0]
    return (today - timedelta(days=days_ago)).isoformat()


def expected(db, written):
    """Each customer whole: all of the new run's figures (the first ``written``), or all of the old."""
    rows = {}
    for index in range(12):
        last_order = 3 * index + 1
        new = index < written
        days = last_order if new else last_order - 10
        if days < 0:  # ordered after the old run's day: never traded then
            rows[f"Shop {index + 1:02d}"] = (as_of(db, 10), None, "never", "0")
            continue
        state = "active" if days < 15 else "at_risk" if days < 30 else "churned"
        revenue = "100" if days < 30 else "0"
        rows[f"Shop {index + 1:02d}"] = (as_of(db, 0 if new else 10), str(days), state, revenue)
    return rows


def without_segment(rows):
    return {name: values[:4] for name, values in rows.items()}


def runs(db):
    return query(db, "SELECT count(*) FROM customer_churn_run")[0][0]


def partner_versions(db):
    return query(db, "SELECT id, xmin::text FROM res_partner ORDER BY id")


def test_killed_while_extracting_keeps_every_previous_figure(db):
    before = figures(db)
    assert without_segment(before) == expected(db, 0)
    blocker = Blocker(db, "LOCK TABLE sale_order IN ACCESS EXCLUSIVE MODE")
    run = start_run(db)
    pid = wait_until(lambda: waiting_backend(db, "\nWITH \norders AS"), "the run to extract")
    run.send_signal(signal.SIGKILL)
    run.wait()
    blocker.release()
    wait_until(lambda: gone(db, pid), "the killed run's connection to end")
    assert figures(db) == before
    assert query(db, "SELECT count(*) FROM customer_churn_figure_stage_run")[0][0] == 0
    assert runs(db) == 1
    finish(start_run(db))
    assert without_segment(figures(db)) == expected(db, 12)
    assert runs(db) == 2


def test_killed_before_replacing_resumes_the_same_staged_figures(db):
    run, pid, blocker = stopped_before_replacing(db)
    assert without_segment(figures(db)) == expected(db, 0)
    run.send_signal(signal.SIGKILL)
    run.wait()
    blocker.release()
    wait_until(lambda: gone(db, pid), "the killed run's connection to end")
    assert without_segment(figures(db)) == expected(db, 0)
    assert query(db, "SELECT customers, applied FROM customer_churn_figure_stage_run") == [(12, False)]
    assert runs(db) == 1
    log = finish(start_run(db))
    assert "staged" not in log and "12 customers" in log
    assert without_segment(figures(db)) == expected(db, 12)
    assert runs(db) == 2
    assert query(db, "SELECT count(*) FROM customer_churn_figure_stage")[0][0] == 0
    assert query(db, "SELECT done, remaining FROM ir_cron_progress ORDER BY id DESC LIMIT 1") == [(12, 0)]


def test_a_second_recompute_of_the_company_is_skipped_with_a_log_line(db):
    run, _pid, blocker = stopped_before_replacing(db)
    second = finish(start_run(db, "direct"))
    assert "skipped: another one is running" in second
    with pytest.raises(AssertionError, match="being recomputed already"):
        run_python(
            "import sys, odoo\n"
            "from odoo import SUPERUSER_ID, api\n"
            "odoo.tools.config.parse_config(['-c', sys.argv[1], '--log-level=warn'])\n"
            "with odoo.modules.registry.Registry.new(sys.argv[2]).cursor() as cr:\n"
            "    api.Environment(cr, SUPERUSER_ID, {})['customer.churn.engine'].recompute()\n",
            CONF,
            db,
        )
    blocker.release()
    finish(run)
    assert without_segment(figures(db)) == expected(db, 12)
    assert runs(db) == 2


def test_users_work_during_the_run_and_their_orders_stay(db):
    """Edits do not wait; an order confirmed after the run's snapshot keeps its fresher figures,
    and a shop whose first order comes then keeps its figures too."""
    run, _pid, blocker = stopped_while_staging(db)
    started = time.monotonic()
    run_python(SALESPERSON, CONF, db, "Shop 02,Shop 11", "Shop 10")
    run_python(SALESPERSON, CONF, db, "Shop 03", "Shop 13 (new)")
    assert time.monotonic() - started < 60  # lock_timeout made any wait over 1 s fail the scripts
    refreshed = figures(db)
    assert refreshed["Shop 10"][1:4] == ("0", "active", "350")  # 100 twenty-eight days ago, 250 today
    assert refreshed["Shop 13 (new)"][1:4] == ("0", "active", "250")
    blocker.release()
    finish(run)
    after = figures(db)
    for fresh in ("Shop 10", "Shop 13 (new)"):
        assert after[fresh][:4] == refreshed[fresh][:4], fresh
    # Its rank among the customers comes from the run: 10th of 12 by revenue (ties by id) at its snapshot.
    assert (refreshed["Shop 10"][4], after["Shop 10"][4]) == ("general", "dormant")
    others = {name: values for name, values in without_segment(after).items() if name in expected(db, 12)}
    del others["Shop 10"]
    assert others == {name: values for name, values in expected(db, 12).items() if name != "Shop 10"}
    assert query(db, "SELECT phone FROM res_partner WHERE name = 'Shop 11'") == [("+86 21 5555 0000",)]


def test_a_customer_merged_during_the_run_leaves_the_run_recorded(db):
    """Shop 12 merged into Shop 11 after the run's snapshot: the run skips the partner that is
    gone and is recorded, with one snapshot per customer."""
    run, _pid, blocker = stopped_while_staging(db)
    run_python(MERGE, CONF, db, "Shop 11", "Shop 12")
    blocker.release()
    finish(run)
    assert runs(db) == 2
    latest = "(SELECT id FROM customer_churn_run ORDER BY id DESC LIMIT 1)"
    assert query(db, f"SELECT customers FROM customer_churn_run WHERE id = {latest}") == [(12,)]
    assert query(db, f"SELECT count(*) FROM customer_churn_snapshot WHERE run_id = {latest}") == [(11,)]
    assert "Shop 12" not in figures(db) and "Shop 11" in figures(db)


def test_a_scheduled_run_writes_no_row_of_res_partner(db):
    before = partner_versions(db)
    finish(start_run(db))
    assert runs(db) == 2
    assert partner_versions(db) == before
