"""One benchmark step in a fresh process: ``generate DB CUSTOMERS ORDERS``, ``measure DB``,
``alongside DB`` (users working during a scheduled recompute), ``cron DB`` (one scheduled run) or
``phases DB`` (where a full run's time goes)."""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from lxml import etree

import odoo
from odoo import SUPERUSER_ID, api
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

ROOT = Path(__file__).resolve().parents[1]
NAIVE_SAMPLE = 2000

# The same per-customer aggregates the engine needs, in one statement, written once.
FLOOR_QUERY = """
CREATE TEMP TABLE floor_figures AS
WITH orders AS (
    SELECT buyer.commercial_partner_id AS partner_id,
           (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date AS day,
           so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1) AS amount
      FROM sale_order so JOIN res_partner buyer ON buyer.id = so.partner_id
     WHERE so.state = 'sale' AND so.company_id = %(company)s AND so.date_order < %(before)s
)
SELECT partner_id, MIN(day) AS first_day, MAX(day) AS last_day,
       SUM(amount) FILTER (WHERE day > %(as_of)s - 30) AS rev_cur,
       COUNT(*) FILTER (WHERE day > %(as_of)s - 30) AS cnt_cur,
       SUM(amount) FILTER (WHERE day BETWEEN %(as_of)s - 59 AND %(as_of)s - 30) AS rev_prev,
       COUNT(*) FILTER (WHERE day BETWEEN %(as_of)s - 59 AND %(as_of)s - 30) AS cnt_prev,
       SUM(amount) FILTER (WHERE date_trunc('month', day) = date_trunc('month', %(as_of)s - interval '1 month')) AS m1,
       SUM(amount) FILTER (WHERE date_trunc('month', day) = date_trunc('month', %(as_of)s - interval '2 month')) AS m2,
       SUM(amount) FILTER (WHERE day > %(as_of)s - 365) AS rev_365,
       array_agg(DISTINCT day) FILTER (WHERE day > %(as_of)s - 365) AS order_days
  FROM orders WHERE day <= %(as_of)s GROUP BY partner_id;
UPDATE res_partner p
   SET bench_floor_as_of = COALESCE(p.bench_floor_as_of, '{}'::jsonb) || jsonb_build_object(%(key)s, f.last_day)
  FROM floor_figures f WHERE p.id = f.partner_id;
"""
# The floor's one written figure: the jsonb column the figures had on res_partner before they got a
# model of their own, so the floor stays the same SQL and the ratios stay comparable across versions.
FLOOR_COLUMN = "ALTER TABLE res_partner ADD COLUMN IF NOT EXISTS bench_floor_as_of jsonb"


def open_env(db):
    odoo.tools.config.parse_config(["-c", os.environ["COCKPIT_ODOO_CONF"], "--log-level=warn"])
    registry = odoo.modules.registry.Registry.new(db)
    return registry, registry.cursor()


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(db, customers, orders):
    sys.path.insert(0, str(ROOT / "tools"))
    from demo_data import generate as make

    registry, cr = open_env(db)
    with cr:
        stats = make(api.Environment(cr, SUPERUSER_ID, {}), customers=customers, orders=orders, months=24)
    print(json.dumps({"orders": stats["orders"]["sale"]}, default=str))


def seconds(callback):
    started = time.perf_counter()
    callback()
    return time.perf_counter() - started


def floor(env, company, as_of):
    query = SQL(FLOOR_QUERY, tz=company._get_churn_timezone(), company=company.id, as_of=as_of,
                before=as_of + timedelta(days=2), key=str(company.id))  # fmt: skip
    env.cr.execute(FLOOR_COLUMN)
    took = seconds(lambda: env.cr.execute(query))
    env.cr.rollback()
    return took


def naive(env, company, as_of):
    """The pattern the add-on replaces: per partner, read its orders, visits and coupons through
    the ORM, compute the same figures as the engine in Python and write them back (ranks
    excluded: they cannot even be done this way)."""
    partners = env["res.partner"].search([("customer_rank", ">", 0)], limit=NAIVE_SAMPLE)
    Order, Activity, Card = env["sale.order"], env["mail.activity"].with_context(active_test=False), env["loyalty.card"]
    visit_type = env["mail.activity.type"]._get_churn_visit_type()
    Figure = env["customer.churn.figure"]
    last_month = (as_of.replace(day=1) - timedelta(days=1)).replace(day=1)

    def figures_of(orders, visit, coupon):
        orders = orders.filtered(lambda o: o.date_order.date() <= as_of)
        days = sorted({o.date_order.date() for o in orders})
        amount = {o.id: o.amount_untaxed / (o.currency_rate or 1) for o in orders}
        recent = [o for o in orders if (as_of - o.date_order.date()).days < 30]
        before = [o for o in orders if 30 <= (as_of - o.date_order.date()).days < 60]
        month = [o for o in orders if o.date_order.date().replace(day=1) == last_month]
        gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False) if (as_of - a).days < 365]
        return {
            "churn_as_of": as_of,
            "churn_last_order_date": days[-1] if days else False,
            "churn_days_since": (as_of - days[-1]).days if days else 0,
            "churn_revenue_current": sum(amount[o.id] for o in recent),
            "churn_revenue_previous": sum(amount[o.id] for o in before),
            "churn_orders_current": len(recent),
            "churn_orders_previous": len(before),
            "churn_traded_recently": bool(recent),
            "churn_cycle_days": statistics.median(gaps) if len(gaps) >= 2 else 0,
            "abc_revenue": sum(amount[o.id] for o in month),
            "churn_last_visit_date": visit.date_done or False,
            "churn_last_coupon_date": coupon.create_date.date() if coupon else False,
        }

    def run():
        for partner in partners:
            orders = Order.search(
                [("partner_id", "child_of", partner.id), ("state", "=", "sale"), ("company_id", "=", company.id)]
            )
            visit = Activity.search(
                [("res_model", "=", "res.partner"), ("res_id", "=", partner.id),
                 ("activity_type_id", "=", visit_type.id), ("date_done", "!=", False)],
                order="date_done desc", limit=1,
            )  # fmt: skip
            coupon = Card.search([("partner_id", "child_of", partner.id)], order="create_date desc", limit=1)
            values = figures_of(orders, visit, coupon)
            row = Figure.search([("partner_id", "=", partner.id), ("company_id", "=", company.id)])
            if row:
                row.write(values)
            else:
                Figure.create({"partner_id": partner.id, "company_id": company.id, **values})
            env.flush_all()

    took = seconds(run)
    env.cr.rollback()
    return took / len(partners) * 1000


def confirm_costs(env, company):
    """Median time to confirm one order and commit, with and without the incremental refresh."""
    customers = env["res.partner"].search([("customer_rank", ">", 0)], limit=40)
    product = env["product.product"].search([("sale_ok", "=", True)], limit=1)
    drafts = env["sale.order"].create(
        [
            {"partner_id": p.id, "company_id": company.id, "order_line": [(0, 0, {"product_id": product.id})]}
            for p in customers
        ]
    )
    env.cr.commit()
    timings = {True: [], False: []}
    for index, order in enumerate(drafts):
        refresh = index % 2 == 0
        order = order.with_context(churn_no_refresh=not refresh)
        timings[refresh].append(seconds(lambda order=order: (order.action_confirm(), env.cr.commit())) * 1000)
    return statistics.median(timings[True]), statistics.median(timings[False])


def board_ms(env, company):
    if "customer.churn.board" not in env:
        return float("nan")
    board = env["customer.churn.board"].with_company(company)
    return statistics.median(seconds(board.get_board_data) for _ in range(5)) * 1000


def baselines_ms(env, company):
    if "customer.churn.baseline" not in env:
        return float("nan")
    baselines = env["customer.churn.baseline"].with_company(company)
    return statistics.median(seconds(lambda: baselines.get_monthly_baselines(12)) for _ in range(5)) * 1000


def segment_list(env, company, customers=20000):
    """Open the list of the segment (state or value segment) nearest to ``customers`` customers, as
    the web client does: the first page of the list view's fields and the count."""
    if "customer.churn.figure" not in env:
        return float("nan"), 0
    Figure = env["customer.churn.figure"].with_company(company)
    candidates = [
        [("company_id", "=", company.id), (field, "=", value)]
        for field in ("churn_state", "value_segment", "abc_tier")
        for value, _label in Figure._fields[field].selection
    ]
    domain = min(candidates, key=lambda d: abs(Figure.search_count(d) - customers))
    arch = Figure.get_views([(False, "list")])["views"]["list"]["arch"]
    fields = {node.get("name") for node in etree.fromstring(arch).iter("field")}
    specification = {name: {} for name in fields if name in Figure._fields}
    for name in specification:
        if Figure._fields[name].type == "many2one":
            specification[name] = {"fields": {"display_name": {}}}
    env.invalidate_all()
    took = statistics.median(
        seconds(lambda: (env.invalidate_all(), Figure.web_search_read(domain, specification, limit=80)))
        for _ in range(5)
    )
    return took * 1000, Figure.search_count(domain)


def backtest(env, company, as_of):
    """The SPEC §11 backtest of the company as the weekly job runs it (stored, then rolled back)."""
    started = time.perf_counter()
    rows = env["customer.churn.engine"].backtest(company, as_of)
    took = time.perf_counter() - started
    env.cr.rollback()
    return took, rows[0]["replay_dates"] if rows else 0


def measure(db):
    registry, cr = open_env(db)
    env = api.Environment(cr, SUPERUSER_ID, {})
    company = env.ref("base.main_company")
    engine = env["customer.churn.engine"]
    as_of = engine._today(company)
    cr.execute("SELECT count(*) FROM sale_order WHERE state = 'sale'")
    orders = cr.fetchone()[0]
    before = rss_mb()
    floors, runs, fits = [], [], []
    for _ in range(2):
        floors.append(floor(env, company, as_of))
        runs.append(seconds(lambda: (engine.recompute(company, as_of), cr.commit())))
        fits.append(env["customer.churn.run"].search([("company_id", "=", company.id)], limit=1).fit_seconds)
    peak = rss_mb() - before
    result = {
        "orders": orders,
        "engine_s": min(runs),
        "floor_s": min(floors),
        "fit_s": min(fits),
        "peak_rss_mb": rss_mb(),
        "rss_growth_mb": peak,
        "board_ms": board_ms(env, company),
        "baselines_ms": baselines_ms(env, company),
    }
    result["segment_list_ms"], result["segment_list_customers"] = segment_list(env, company)
    result["naive_ms_per_partner"] = naive(env, company, as_of)
    result["naive_total_s"] = (
        result["naive_ms_per_partner"] * env["res.partner"].search_count([("customer_rank", ">", 0)]) / 1000
    )
    result["confirm_ms_with"], result["confirm_ms_without"] = confirm_costs(env, company)
    result["backtest_s"], result["backtest_dates"] = backtest(env, company, as_of)
    cr.close()
    print(json.dumps(result))


def phases(db):
    """Where a full run's time goes, step by step, beside the floor (one run, rolled back)."""
    registry, cr = open_env(db)
    # The add-on is importable once the registry has set the addons path up.
    from odoo.addons.customer_churn_cockpit.lib.classify import classify_customers
    from odoo.addons.customer_churn_cockpit.lib.forecast import forecast_customers
    from odoo.addons.customer_churn_cockpit.lib.windows import Windows

    env = api.Environment(cr, SUPERUSER_ID, {})
    company = env.ref("base.main_company")
    as_of = env["customer.churn.engine"]._today(company)
    settings = company._get_churn_settings()
    windows = Windows.for_settings(as_of, settings)
    took = {"floor": floor(env, company, as_of)}
    cr.commit()
    figures = {}

    def step(name, callback):
        started = time.perf_counter()
        figures[name] = callback()
        took[name] = time.perf_counter() - started

    step("extract", lambda: env["customer.churn.extract"]._extract_aggregates(company, windows, settings))
    step("classify", lambda: classify_customers(figures["extract"], windows, settings))
    step("forecast", lambda: forecast_customers(figures["extract"], as_of, settings.period_days))
    result = figures["classify"]
    forecast, fits = figures["forecast"]
    result[list(forecast.columns)] = forecast.reindex(result.index)
    step("store", lambda: env["customer.churn.figure"]._replace_company_figures(company, result))
    step("record", lambda: env["customer.churn.run"]._record(company, as_of, result, 0, fits=fits))
    step("months", lambda: env["customer.churn.baseline"]._keep_complete_months(company, as_of))
    step("flush", env.flush_all)
    cr.rollback()
    cr.close()
    print(json.dumps({name: round(seconds, 3) for name, seconds in took.items()}))


CRON_XMLID = "customer_churn_cockpit.ir_cron_customer_churn_recompute"


def cron(db):
    """Run the scheduled recompute once, through Odoo's own cron machinery (progress included)."""
    registry, cr = open_env(db)
    with cr:
        cron_id = api.Environment(cr, SUPERUSER_ID, {}).ref(CRON_XMLID).id
        cr.execute("UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' WHERE id = %s", [cron_id])
    connection = odoo.sql_db.db_connect(db)
    IrCron = registry["ir.cron"]
    started = time.perf_counter()
    with connection.cursor() as cron_cr:
        IrCron._process_job(connection, cron_cr, IrCron._acquire_one_job(cron_cr, cron_id))
    print(json.dumps({"job_s": time.perf_counter() - started}))


def as_a_user(env, action):
    """Run ``action`` and commit as a request would, retrying on concurrency errors as Odoo does
    (without its random back-off): the time returned is what the user waited."""
    started = time.perf_counter()
    for _attempt in range(10):
        try:
            action()
            env.cr.commit()
            break
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            env.cr.rollback()
            env.invalidate_all()
    return time.perf_counter() - started


def alongside(db):
    """While a scheduled recompute runs (in another process), a salesperson edits a customer and
    confirms orders: how long does each wait, and what progress does the cron report?"""
    registry, cr = open_env(db)
    env = api.Environment(cr, SUPERUSER_ID, {})
    company = env.ref("base.main_company")
    customers = env["res.partner"].search([("customer_rank", ">", 0)], limit=400)
    product = env["product.product"].search([("sale_ok", "=", True)], limit=1)
    drafts = env["sale.order"].create(
        [
            {"partner_id": p.id, "company_id": company.id, "order_line": [(0, 0, {"product_id": product.id})]}
            for p in customers
        ]
    )
    cron_id = env.ref(CRON_XMLID).id
    runs_before = env["customer.churn.run"].search_count([])
    cr.commit()
    edited = customers[0]
    counter = iter(range(10**6))

    def edit():
        edited.write({"phone": f"+86 21 5555 {next(counter):04d}"})

    idle = {"edit": [as_a_user(env, edit) for _ in range(5)], "confirm": []}
    for order in drafts[:5]:
        idle["confirm"].append(as_a_user(env, order.action_confirm))
    busy = {"edit": [], "confirm": []}
    progress = []
    # The run's log goes to a file: a pipe nobody reads until the end would fill up and block it.
    with tempfile.TemporaryFile() as log_file:
        run = subprocess.Popen([sys.executable, __file__, "cron", db], stdout=subprocess.PIPE, stderr=log_file)
        started = time.perf_counter()
        pending = iter(drafts[5:])
        while run.poll() is None:
            busy["edit"].append(as_a_user(env, edit))
            order = next(pending, None)
            if order:
                busy["confirm"].append(as_a_user(env, order.action_confirm))
            cr.execute(
                "SELECT done, remaining FROM ir_cron_progress WHERE cron_id = %s ORDER BY id DESC LIMIT 1", [cron_id]
            )
            row = cr.fetchone()
            if row and (not progress or tuple(row) != progress[-1]):
                progress.append(tuple(row))
            cr.commit()
        took = time.perf_counter() - started
        job_s = json.loads(run.stdout.read().decode().strip().splitlines()[-1])["job_s"]
        log_file.seek(0)
        log = log_file.read().decode()
    if run.returncode:
        raise SystemExit(f"the scheduled run failed:\n{log[-3000:]}")
    companies = env["res.company"].search_count([])
    recorded = env["customer.churn.run"].search_count([]) - runs_before
    # The main company's run as the run itself timed it, from its first step to its last: the
    # same company and figures as the floor's.
    main_run_s = env["customer.churn.run"].search([("company_id", "=", company.id)], limit=1).duration
    cr.close()
    print(
        json.dumps(
            {
                "cron_s": took,
                "job_s": job_s,
                "main_run_s": main_run_s,
                "edit_idle_ms": statistics.median(idle["edit"]) * 1000,
                "edit_max_ms": max(busy["edit"]) * 1000,
                "edits": len(busy["edit"]),
                "confirm_idle_ms": statistics.median(idle["confirm"]) * 1000,
                "confirm_max_ms": max(busy["confirm"], default=0) * 1000,
                "confirms": len(busy["confirm"]),
                "progress": progress,
                "companies": companies,
                "runs_recorded": recorded,
                "failures": log.count("churn recompute failed"),
            }
        )
    )


if __name__ == "__main__":
    step, db, *rest = sys.argv[1:]
    if step == "generate":
        generate(db, int(rest[0]), int(rest[1]))
    else:
        {"measure": measure, "alongside": alongside, "cron": cron, "phases": phases}[step](db)
