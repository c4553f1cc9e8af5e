"""Churn engine benchmark: the engine against a bare-SQL floor on the same data, in the same run.

Each size gets its own database, cloned from one with Odoo's sales apps installed, filled by the
demo generator (bulk COPY), then the module is installed (timed) and every measure is taken in a
fresh process so that peak memory is the recompute's own.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONF = os.environ["COCKPIT_ODOO_CONF"]
ODOO_BIN = [sys.executable, str(Path(os.environ["ODOO_SRC"]) / "odoo-bin"), "-c", CONF]
BASE_DB = "cct_bench_base"
# Acting on a segment (visits, coupons) is measured on this many customers of each size.
ACTION_CUSTOMERS = 5000


def sh(*command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def timed(command):
    started = time.perf_counter()
    sh(*command)
    return time.perf_counter() - started


def ensure_base_db():
    exists = sh("psql", "-qAt", "-d", "postgres", "-c", f"SELECT 1 FROM pg_database WHERE datname='{BASE_DB}'").stdout
    if not exists.strip():
        sh(*ODOO_BIN, "-d", BASE_DB, "-i", "sale_management,sale_loyalty,contacts", "--stop-after-init")


def build(size, orders_per_customer):
    db = f"cct_bench_{size}"
    sh("dropdb", "--if-exists", "--force", db)
    sh("createdb", "-T", BASE_DB, db)
    started = time.perf_counter()
    sh(sys.executable, str(ROOT / "bench" / "measure.py"), "generate", db, str(size), str(size * orders_per_customer))
    generate_seconds = time.perf_counter() - started
    load_only = timed([*ODOO_BIN, "-d", db, "--stop-after-init"])
    install = timed([*ODOO_BIN, "-d", db, "-i", "customer_churn_cockpit", "--stop-after-init"])
    upgrade = timed([*ODOO_BIN, "-d", db, "-u", "customer_churn_cockpit", "--stop-after-init"])
    return db, {
        "generate_s": generate_seconds,
        "install_s": install - load_only,
        "upgrade_s": upgrade - load_only,
    }


def measure(db, step="measure"):
    result = sh(sys.executable, str(ROOT / "bench" / "measure.py"), step, db)
    return json.loads(result.stdout.strip().splitlines()[-1])


def act_on_segment(db, customers):
    result = sh(sys.executable, str(ROOT / "bench" / "actions.py"), db, "--customers", str(customers))
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--orders-per-customer", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    args = parser.parse_args()
    ensure_base_db()
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        db, figures = build(size, args.orders_per_customer)
        figures.update(measure(db))
        figures["alongside"] = measure(db, "alongside")
        figures["actions"] = act_on_segment(db, min(ACTION_CUSTOMERS, size))
        figures["customers"] = size
        rows.append(figures)
        print_row(figures)
        if not args.keep:
            sh("dropdb", "--force", db)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(rows, indent=2))


def print_row(r):
    print(
        f"\n== {r['customers']:,} customers, {r['orders']:,} confirmed orders ==\n"
        f"engine recompute      {r['engine_s']:8.2f} s\n"
        f"bare SQL floor        {r['floor_s']:8.2f} s   "
        f"engine / floor = {r['engine_s'] / r['floor_s']:.2f}x (target <= 1.2x)\n"
        f"forecast fits         {r['fit_s']:8.2f} s   (within the engine's time; target <= 2 s at 100,000)\n"
        f"naive ORM per partner {r['naive_ms_per_partner']:8.1f} ms  x {r['customers']:,} = {r['naive_total_s']:,.0f} s"
        f"   speed-up = {r['naive_total_s'] / r['engine_s']:,.0f}x (target >= 50x;"
        f" the bare SQL floor itself: {r['naive_total_s'] / r['floor_s']:,.0f}x)\n"
        f"peak RSS of recompute {r['peak_rss_mb']:8.0f} MB (target <= 1536)\n"
        f"order confirm         {r['confirm_ms_with']:8.1f} ms with refresh, {r['confirm_ms_without']:.1f} ms without:"
        f" +{r['confirm_ms_with'] - r['confirm_ms_without']:.1f} ms (target <= 30)\n"
        f"board counts          {r['board_ms']:8.1f} ms (target <= 300)\n"
        f"monthly baselines     {r['baselines_ms']:8.1f} ms (12 months; target <= 1000)\n"
        f"segment list          {r['segment_list_ms']:8.1f} ms "
        f"(first page of {r['segment_list_customers']:,} customers; target <= 1000)\n"
        f"install / upgrade     {r['install_s']:8.1f} s / {r['upgrade_s']:.1f} s "
        "beyond Odoo's own loading (target < 60)\n"
        f"(demo data generation {r['generate_s']:.0f} s)\n"
        f"{alongside_lines(r['alongside'], r['floor_s'])}\n"
        f"{action_lines(r['actions'])}",
        flush=True,
    )


def alongside_lines(a, floor_s):
    """The scheduled run while a salesperson edits a customer and confirms orders, in a loop."""
    progress = ", ".join(f"{done:,}/{done + left:,}" for done, left in a["progress"][-4:])
    return (
        f"working alongside users: scheduled run of the main company {a['main_run_s']:.1f} s "
        f"= {a['main_run_s'] / floor_s:.2f}x the floor (target <= 1.5x); the cron job {a['job_s']:.1f} s "
        f"for every company, its process {a['cron_s']:.1f} s with Odoo's start; "
        f"{a['runs_recorded']} of {a['companies']} companies recorded, {a['failures']} failed\n"
        f"  partner edit          {a['edit_max_ms']:8.0f} ms max over {a['edits']} edits "
        f"(idle {a['edit_idle_ms']:.0f} ms; target < 1000)\n"
        f"  order confirm         {a['confirm_max_ms']:8.0f} ms max over {a['confirms']} confirms "
        f"(idle {a['confirm_idle_ms']:.0f} ms; target < 1000)\n"
        f"  cron progress         {len(a['progress'])} reports, last: {progress}"
    )


def action_lines(a):
    """A manager acting on a segment, then clicking again (nothing may be created twice)."""
    return (
        f"act on {a['customers']:,} customers: visits {a['visits_s']:.1f} s ({a['visits_created']:,} created), "
        f"again {a['visits_again_s']:.1f} s (+{a['visits_created_again']}); coupons {a['coupons_s']:.1f} s "
        f"({a['coupons_created']:,} issued), again {a['coupons_again_s']:.1f} s (+{a['coupons_created_again']})"
    )


if __name__ == "__main__":
    main()
