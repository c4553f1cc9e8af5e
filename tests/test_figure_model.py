"""The figures in their own model: rows per customer and company, runs that leave res_partner alone,
back-dated runs kept apart, and locks of their own for each purpose."""

import io
from datetime import date, timedelta

import numpy as np
import pandas as pd
import psycopg2
import pytest

from odoo.tools import config

from odoo.addons.customer_churn_cockpit.lib.binary_copy import encode_binary_copy
from odoo.addons.customer_churn_cockpit.models.churn_sql import ChurnLock

from common import days_ago

COPIED_KINDS = (("n", "int4"), ("x", "float8"), ("b", "bool"), ("d", "date"), ("s", "varchar"))


def partner_tuples(env):
    """Where each partner row physically is: an UPDATE of a row moves it to a new tuple."""
    env.flush_all()
    env.cr.execute("SELECT id, ctid::text FROM res_partner ORDER BY id")
    return env.cr.fetchall()


def test_one_row_per_customer_and_company(shop):
    env = shop.env
    branch = env["res.company"].create({"name": "Branch"})
    both = shop.customer("Both companies")
    shop.order(both, days_ago(3), 10)
    shop.order(both, days_ago(20), 10, company=branch)
    shop.recompute(companies=env.company | branch)
    shop.recompute(companies=env.company | branch)
    rows = env["customer.churn.figure"].search([("partner_id", "=", both.id)])
    assert sorted((row.company_id.name, row.churn_state) for row in rows) == sorted(
        [(env.company.name, "active"), ("Branch", "at_risk")]
    )


def test_a_full_run_writes_no_row_of_res_partner(shop):
    for index in range(5):
        shop.order(shop.customer(f"Shop {index}"), days_ago(index * 7), 50)
    shop.recompute(as_of=days_ago(10))
    before = partner_tuples(shop.env)
    shop.recompute()
    assert partner_tuples(shop.env) == before


def test_a_back_dated_run_behind_todays_figures_is_kept_apart_and_not_purged(shop, today):
    env = shop.env
    customer = shop.customer("Regular")
    shop.order(customer, today - timedelta(days=3), 10)
    shop.recompute(as_of=today)
    far_back = today - timedelta(days=env.company.churn_history_days + 30)
    shop.recompute(as_of=far_back)
    figures = shop.figures(customer)
    assert (figures.churn_as_of, figures.churn_state) == (today, "active")
    Run = env["customer.churn.run"]
    looked_back = Run.search([("company_id", "=", env.company.id), ("as_of", "=", far_back)])
    assert looked_back.backdated and looked_back.never_count == 1
    assert Run._get_latest_runs(env.company)[0].as_of == today
    assert looked_back.snapshot_ids.filtered(lambda s: s.partner_id == customer).churn_state == "never"


def test_figures_older_than_yesterday_are_replaced_by_any_run(shop):
    customer = shop.customer("Analysis")
    shop.order(customer, days_ago(20), 10)
    shop.recompute(as_of=days_ago(-10))
    shop.recompute(as_of=days_ago(0))
    assert (shop.figures(customer).churn_as_of, shop.figures(customer).churn_state) == (days_ago(0), "at_risk")
    assert not shop.env["customer.churn.run"].search([("company_id", "=", shop.company.id)]).filtered("backdated")


def test_planning_visits_does_not_wait_for_a_recompute_of_the_company(shop):
    """Another worker holds the company's recompute lock; planning visits finishes at once."""
    env = shop.env
    customer = shop.customer("To visit")
    other = psycopg2.connect(
        dbname=env.cr.dbname, host=config["db_host"] or None, port=config["db_port"] or None, user=config["db_user"]
    )
    try:
        other.autocommit = True
        other.cursor().execute("SELECT pg_advisory_lock(%s, %s)", [int(ChurnLock.RECOMPUTE), env.company.id])
        env.cr.execute("SET LOCAL lock_timeout = '2s'")  # a wait would fail the test instead of hanging it
        wizard = env["customer.churn.plan.visit"].with_context(active_model="res.partner", active_ids=customer.ids)
        planned, _skipped = wizard.create({})._plan_visits()
        assert [partner for partner, _user in planned] == [customer]
    finally:
        other.close()


def copy_into_copied(cr, columns):
    cr._obj.copy_expert("COPY copied FROM STDIN WITH (FORMAT binary)", io.BytesIO(encode_binary_copy(columns)))


def test_the_binary_copy_stores_every_kind_of_figure_as_written(shop):
    """Every column type the figures use, with NULLs, non-ASCII text, dates before 2000 and floats
    whose every digit counts, read back from PostgreSQL as the values written."""
    cr = shop.env.cr
    cr.execute("CREATE TEMP TABLE copied (partner_id int4, n int4, x float8, b bool, d date, s varchar)")
    frame = pd.DataFrame(
        {
            "n": pd.array([7, None, -2147483648], dtype="Int64"),
            "x": [0.1 + 0.2, np.nan, -1e300],
            "b": [True, None, False],
            "d": pd.to_datetime(["2026-12-01", None, "1999-12-31"]),
            "s": ["已流失", None, ""],
        },
        index=pd.Index([3, 2147483647, 1], name="partner_id"),
    )
    copy_into_copied(cr, [("int4", frame.index.to_series()), *((kind, frame[name]) for name, kind in COPIED_KINDS)])
    cr.execute("SELECT * FROM copied ORDER BY partner_id")
    assert cr.fetchall() == [
        (1, -2147483648, -1e300, False, date(1999, 12, 31), ""),
        (3, 7, 0.30000000000000004, True, date(2026, 12, 1), "已流失"),
        (2147483647, None, None, None, None, None),
    ]


def test_an_integer_beyond_int4_is_refused_not_wrapped_around():
    with pytest.raises(ValueError, match="days: a value out of the range of int4"):
        encode_binary_copy([("int4", pd.Series([1, 2**31], name="days"))])


def test_no_rows_copy_as_no_rows(shop):
    cr = shop.env.cr
    cr.execute("CREATE TEMP TABLE copied (partner_id int4, s varchar)")
    empty = pd.Series([], dtype=object)
    copy_into_copied(cr, [("int4", empty), ("varchar", empty)])
    cr.execute("SELECT count(*) FROM copied")
    assert cr.fetchone() == (0,)


def test_a_rerun_rewrites_unchanged_customers_without_touching_the_figure_indexes(shop):
    """Rows whose state, tiers and last order stay put are heap-only updates (no index entry
    written): the figure table leaves room on its pages for them. Enough customers to fill pages."""
    for index in range(80):
        shop.order(shop.customer(f"Shop {index}"), days_ago(index % 40), 50)
    shop.recompute()
    cr = shop.env.cr
    cr.execute("SELECT count(*) FROM customer_churn_figure")
    rows = cr.fetchone()[0]
    before = figure_updates(cr)
    shop.recompute()
    updated, heap_only = (after - start for after, start in zip(figure_updates(cr), before, strict=True))
    assert rows >= 80 and updated == heap_only == rows


def figure_updates(cr):
    """(rows updated, of which heap-only) in the figure table by this transaction so far."""
    cr.execute(
        """SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables
            WHERE relid = 'customer_churn_figure'::regclass"""
    )
    return cr.fetchone()
