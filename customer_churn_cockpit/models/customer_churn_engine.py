import io
import logging
import threading
import time
from datetime import datetime, timedelta

import pandas as pd
import pytz
from psycopg2 import errors

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..lib import RANK_COLUMNS, Windows, classify_customers, result_columns

_logger = logging.getLogger(__name__)

# pg advisory lock namespace: "churn" in ASCII; the second key is the company id.
LOCK_NAMESPACE = 0x6368726E
# Customers written per transaction by the scheduled run: each chunk holds its row locks for a
# fraction of a second (measured by bench/run). The system parameter overrides it.
CHUNK_SIZE = 2000
CHUNK_PARAMETER = "customer_churn_cockpit.apply_chunk_size"
# What PostgreSQL raises when a concurrent transaction wrote the same row: retry, as Odoo does.
CONCURRENCY_ERRORS = (errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable)

SQL_TYPES = {
    "selection": "varchar",
    "date": "date",
    "integer": "int4",
    "float": "float8",
    "boolean": "bool",
}

AGGREGATES_QUERY = """
WITH orders AS (
    SELECT buyer.commercial_partner_id AS partner_id,
           (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date AS day,
           so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1) AS amount
      FROM sale_order so
      JOIN res_partner buyer ON buyer.id = so.partner_id
     WHERE so.state = 'sale'
       AND so.company_id = %(company_id)s
       AND so.date_order < %(orders_before)s
       AND %(order_scope)s
), daily AS (
    SELECT partner_id, day, SUM(amount) AS amount, COUNT(*) AS orders
      FROM orders
     WHERE day <= %(as_of)s
  GROUP BY partner_id, day
), per_customer AS (
    SELECT partner_id,
           MIN(day) AS first_day,
           MAX(day) AS last_day,
           SUM(amount) FILTER (WHERE day >= %(current_start)s)::float8 AS rev_cur,
           SUM(amount) FILTER (WHERE day BETWEEN %(previous_start)s AND %(previous_end)s)::float8 AS rev_prev,
           COALESCE(SUM(orders) FILTER (WHERE day >= %(current_start)s), 0)::int AS cnt_cur,
           COALESCE(SUM(orders) FILTER (WHERE day BETWEEN %(previous_start)s AND %(previous_end)s), 0)::int AS cnt_prev,
           SUM(amount) FILTER (WHERE day BETWEEN %(month_start)s AND %(month_end)s)::float8 AS rev_month,
           SUM(amount) FILTER (WHERE day BETWEEN %(prev_month_start)s AND %(prev_month_end)s)::float8 AS rev_month_prev,
           SUM(amount) FILTER (WHERE day >= %(value_start)s)::float8 AS rev_value
      FROM daily
  GROUP BY partner_id
), gaps AS (
    SELECT partner_id, day - LAG(day) OVER (PARTITION BY partner_id ORDER BY day) AS gap
      FROM daily
     WHERE day >= %(cycle_start)s
), cycle AS (
    SELECT partner_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS cycle_days
      FROM gaps
     WHERE gap IS NOT NULL
  GROUP BY partner_id
    HAVING COUNT(*) >= %(cycle_min_days)s - 1
), visits AS (
    SELECT target.commercial_partner_id AS partner_id, MAX(act.date_done) AS last_visit_date
      FROM mail_activity act
      JOIN res_partner target ON target.id = act.res_id
     WHERE act.res_model = 'res.partner'
       AND act.activity_type_id = %(visit_type_id)s
       AND act.date_done IS NOT NULL
       AND act.date_done <= %(as_of)s
       AND %(visit_scope)s
  GROUP BY target.commercial_partner_id
), coupons AS (
    SELECT holder.commercial_partner_id AS partner_id,
           MAX((card.create_date AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date) AS last_coupon_date
      FROM loyalty_card card
      JOIN loyalty_program program ON program.id = card.program_id
      JOIN res_partner holder ON holder.id = card.partner_id
     WHERE (program.company_id = %(company_id)s OR program.company_id IS NULL)
       AND card.create_date < %(orders_before)s
       AND %(coupon_scope)s
  GROUP BY holder.commercial_partner_id
)
SELECT partner.id AS partner_id,
       pc.first_day, pc.last_day, pc.rev_cur, pc.rev_prev, pc.cnt_cur, pc.cnt_prev,
       pc.rev_month, pc.rev_month_prev, pc.rev_value, cycle.cycle_days,
       visits.last_visit_date, coupons.last_coupon_date
  FROM res_partner partner
  LEFT JOIN per_customer pc ON pc.partner_id = partner.id
  LEFT JOIN cycle ON cycle.partner_id = partner.id
  LEFT JOIN visits ON visits.partner_id = partner.id
  LEFT JOIN coupons ON coupons.partner_id = partner.id
 WHERE partner.active
   AND partner.commercial_partner_id = partner.id
   AND NOT EXISTS (SELECT 1 FROM res_company company WHERE company.partner_id = partner.id)
   AND (partner.customer_rank > 0 OR pc.partner_id IS NOT NULL)
   AND %(customer_scope)s
"""

AGGREGATE_NAMES = [
    "partner_id", "first_day", "last_day", "rev_cur", "rev_prev", "cnt_cur", "cnt_prev",
    "rev_month", "rev_month_prev", "rev_value", "cycle_days", "last_visit_date", "last_coupon_date",
]  # fmt: skip
DATE_NAMES = ("first_day", "last_day", "last_visit_date", "last_coupon_date")
NUMBER_NAMES = ("rev_cur", "rev_prev", "cnt_cur", "cnt_prev", "rev_month", "rev_month_prev", "rev_value", "cycle_days")


class _CronProgress:
    """Odoo's cron progress for a scheduled run, counted in customers written, across companies."""

    def __init__(self, env, expected):
        self.env = env
        self.remaining = dict(expected)
        self.done = 0

    def advance(self, company, written, left):
        self.done += written
        self.remaining[company.id] = left
        self.env["ir.cron"]._notify_progress(done=self.done, remaining=sum(self.remaining.values()))

    def company_done(self, company):
        self.remaining[company.id] = 0
        self.env["ir.cron"]._notify_progress(done=self.done, remaining=sum(self.remaining.values()))


class CustomerChurnEngine(models.AbstractModel):
    _name = "customer.churn.engine"
    _description = "Customer Churn Engine"

    def init(self):
        """The tables of the scheduled run in steps (see ``_recompute_in_steps``).

        customer_churn_stage has one column per figure: an upgrade, which may change the figures,
        re-creates it; a run staged before the upgrade is then recomputed.
        """
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS customer_churn_stage, customer_churn_stage_run")
        cr.execute(
            SQL(
                """CREATE TABLE customer_churn_stage (
                       company_id int4 NOT NULL REFERENCES res_company ON DELETE CASCADE,
                       partner_id int4 NOT NULL,
                       %s,
                       PRIMARY KEY (company_id, partner_id))""",
                self._figure_definitions(result_columns()),
            )
        )
        cr.execute(
            """CREATE TABLE customer_churn_stage_run (
                   company_id int4 PRIMARY KEY REFERENCES res_company ON DELETE CASCADE,
                   as_of date NOT NULL,
                   snapshot pg_snapshot NOT NULL,
                   started timestamp with time zone NOT NULL,
                   customers int4 NOT NULL,
                   applied_upto int4 NOT NULL DEFAULT 0)"""
        )
        # Which transaction refreshed which customer: a run in steps must not overwrite a refresh
        # its snapshot did not see with its older figures.
        cr.execute(
            """CREATE TABLE IF NOT EXISTS customer_churn_refresh_log (
                   company_id int4 NOT NULL,
                   partner_id int4 NOT NULL,
                   xid xid8 NOT NULL DEFAULT pg_current_xact_id())"""
        )
        cr.execute(
            """CREATE INDEX IF NOT EXISTS customer_churn_refresh_log_partner_index
                   ON customer_churn_refresh_log (company_id, partner_id)"""
        )

    @api.model
    def recompute(self, companies=None, as_of=None):
        """Recompute every customer of ``companies`` (all when None) as of ``as_of``.

        ``as_of`` defaults to today in each company's timezone. Each company is computed and
        written inside its own savepoint: a failure leaves that company's previous figures
        intact. Returns a summary: customers, seconds, the count of each state, per company.
        """
        if companies is None:
            companies = self.env["res.company"].sudo().search([]) if self.env.su else self.env.user.company_ids
        if not self.env.su:
            self._check_recompute_access(companies)
        started = time.perf_counter()
        summary = {"customers": 0, "never": 0, "active": 0, "at_risk": 0, "churned": 0, "companies": {}}
        for company in companies:
            company_summary = self._recompute_company(company, as_of or self._today(company))
            summary["companies"][company.id] = company_summary
            for key in ("customers", "never", "active", "at_risk", "churned"):
                summary[key] += company_summary[key]
        summary["seconds"] = round(time.perf_counter() - started, 3)
        return summary

    def _check_recompute_access(self, companies):
        """Managers recompute the companies they are allowed in; refused before anything is written."""
        if not self.env.user.has_group("customer_churn_cockpit.group_churn_manager"):
            raise AccessError(_("Only churn cockpit managers can recompute the figures."))
        if companies - self.env.user.company_ids:
            raise AccessError(_("You can only recompute the figures of the companies you are allowed in."))

    @api.model
    def _cron_recompute(self):
        """The scheduled run: every company, in short committed steps that never block the users.

        Where committing is not ours to do (tests), each company is recomputed in the caller's
        transaction instead, as ``recompute`` does.
        """
        companies = self.env["res.company"].sudo().search([])
        in_steps = not getattr(threading.current_thread(), "testing", False)
        progress = _CronProgress(self.env, self._expected_customers(companies))
        for company in companies:
            try:
                if in_steps:
                    self._recompute_in_steps(company, progress)
                else:
                    self.recompute(company)
            except Exception:
                # One company's failure must not stop the others; its old figures stay in place.
                _logger.exception("churn recompute failed for company %s", company.display_name)
            progress.company_done(company)

    def _expected_customers(self, companies):
        """Customers of each company at its last run: the cron's progress counts customers."""
        Run = self.env["customer.churn.run"]
        return {company.id: Run.search([("company_id", "=", company.id)], limit=1).customers for company in companies}

    def _recompute_company(self, company, as_of):
        started = time.perf_counter()
        if as_of > self._today(company):
            raise UserError(_("The figures cannot be computed for a day in the future (%s).", as_of))
        with self.env.cr.savepoint():
            self._lock_company(company)
            settings = company._get_churn_settings()
            windows = Windows.for_settings(as_of, settings)
            aggregates = self._extract_aggregates(company, windows, settings)
            result = classify_customers(aggregates, windows, settings)
            self._store_figures(company, result)
            run = self.env["customer.churn.run"]._record(company, as_of, result, time.perf_counter() - started)
            self._forget_refreshes(company, None)
            # A scheduled run killed part-way must not resume over these fresher figures.
            self._drop_staged_run(company)
        _logger.info(
            "churn figures of %s as of %s: %s customers in %.1fs", company.name, as_of, len(result), run.duration
        )
        return run._get_summary()

    def _today(self, company):
        tz = pytz.timezone(company._get_churn_timezone())
        return datetime.now(tz).date()

    def _lock_company(self, company):
        """Serialise recomputes of one company across workers; a second one is refused at once."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", LOCK_NAMESPACE, company.id))
        if not self.env.cr.fetchone()[0]:
            _logger.warning("churn recompute of %s skipped: another one is running", company.name)
            raise UserError(_("The figures of %s are being recomputed already; try again in a moment.", company.name))

    def _drop_step_tables(self):
        self.env.cr.execute(
            "DROP TABLE IF EXISTS customer_churn_stage, customer_churn_stage_run, customer_churn_refresh_log"
        )

    # Recompute in steps (the scheduled run) ------------------------------------------------------
    #
    # Extract and classify only read; the figures are staged in customer_churn_stage and committed,
    # then applied to res_partner in chunks, each its own short transaction: no user waits for more
    # than one chunk. The run is recorded with the last chunk. Killed before that, the next
    # scheduled call applies the rest of the same staged figures (same as_of).

    def _recompute_in_steps(self, company, progress):
        if not self._lock_company_for_session(company):
            _logger.warning("churn recompute of %s skipped: another one is running", company.name)
            return
        try:
            staged = self._staged_run(company)
            if not staged:
                self._stage_figures(company, self._today(company))
                staged = self._staged_run(company)
            self._apply_staged_figures(company, staged, progress)
            self._finish_staged_run(company, staged)
        except Exception:
            self.env.cr.rollback()
            raise
        finally:
            self.env.cr.execute(SQL("SELECT pg_advisory_unlock(%s, %s)", LOCK_NAMESPACE, company.id))

    def _lock_company_for_session(self, company):
        """The lock of ``_lock_company``, held across the commits of a run in steps."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_lock(%s, %s)", LOCK_NAMESPACE, company.id))
        return self.env.cr.fetchone()[0]

    def _staged_run(self, company):
        """The company's staged run still to apply, as a dict; None when there is none for today.

        Figures staged for an earlier day are superseded by today's run: they are dropped.
        """
        self.env.cr.execute(
            SQL(
                """SELECT as_of, snapshot::text AS snapshot, started, applied_upto, customers
                     FROM customer_churn_stage_run WHERE company_id = %s""",
                company.id,
            )
        )
        staged = self.env.cr.dictfetchone()
        if staged and staged["as_of"] != self._today(company):
            self._drop_staged_run(company)
            self.env.cr.commit()
            return None
        return staged

    def _stage_figures(self, company, as_of):
        """Extract and classify in one snapshot, keep the figures and that snapshot, commit."""
        self.env.cr.commit()  # a fresh snapshot, taken by the extraction below
        started = time.perf_counter()
        settings = company._get_churn_settings()
        windows = Windows.for_settings(as_of, settings)
        result = classify_customers(self._extract_aggregates(company, windows, settings), windows, settings)
        self._copy_to_temp_table(result, result_columns())
        columns = SQL(", ").join(SQL.identifier(name) for name in result_columns())
        self.env.cr.execute(
            SQL(
                """INSERT INTO customer_churn_stage (company_id, partner_id, %s)
                   SELECT %s, partner_id, %s FROM churn_figures""",
                columns,
                company.id,
                columns,
            )
        )
        self.env.cr.execute(
            SQL(
                """INSERT INTO customer_churn_stage_run (company_id, as_of, snapshot, started, customers)
                   VALUES (%s, %s, pg_current_snapshot(), clock_timestamp() - make_interval(secs => %s), %s)""",
                company.id,
                as_of,
                time.perf_counter() - started,
                len(result),
            )
        )
        self.env.cr.commit()
        _logger.info("churn figures of %s as of %s staged: %s customers", company.name, as_of, len(result))

    def _apply_staged_figures(self, company, staged, progress):
        chunk_size = int(self.env["ir.config_parameter"].sudo().get_param(CHUNK_PARAMETER, CHUNK_SIZE))
        self.env.cr.commit()  # each chunk opens its own transaction (see _apply_chunk)
        applied_upto = staged["applied_upto"]
        while True:
            applied, applied_upto = self._retry_on_conflict(
                lambda upto=applied_upto: self._apply_chunk(company, staged, upto, chunk_size)
            )
            if not applied:
                return
            self.env.cr.execute(
                SQL(
                    "SELECT count(*) FROM customer_churn_stage WHERE company_id = %s AND partner_id > %s",
                    company.id,
                    applied_upto,
                )
            )
            progress.advance(company, applied, self.env.cr.fetchone()[0])
            self.env.cr.commit()

    def _apply_chunk(self, company, staged, applied_upto, chunk_size):
        """Write the next ``chunk_size`` staged customers; returns (how many, last partner id).

        A customer refreshed since the run's snapshot (an order confirmed meanwhile) has fresher
        figures than the staged ones: only its rank-based figures are written.
        """
        cr = self.env.cr
        # Read committed, not Odoo's repeatable read: a customer a user is writing is waited for
        # (one short transaction) and then written on top of, instead of failing the chunk with a
        # serialisation error again and again while the user keeps editing.
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cr.execute(
            SQL(
                """SELECT array_agg(partner_id ORDER BY partner_id) FROM (
                       SELECT partner_id FROM customer_churn_stage
                        WHERE company_id = %s AND partner_id > %s ORDER BY partner_id LIMIT %s) chunk""",
                company.id,
                applied_upto,
                chunk_size,
            )
        )
        partner_ids = cr.fetchone()[0]
        if not partner_ids:
            return 0, applied_upto
        # Lock the chunk's customers first: a refresh that held one of them has committed by now,
        # so the statements below (each with a fresh snapshot) see its log line and keep its
        # figures; a refresh that comes later waits for this short transaction.
        cr.execute(
            SQL(
                "SELECT id FROM res_partner WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
                partner_ids,
            )
        )
        refreshed = SQL(
            """EXISTS (SELECT 1 FROM customer_churn_refresh_log refresh
                        WHERE refresh.company_id = figures.company_id AND refresh.partner_id = figures.partner_id
                          AND NOT pg_visible_in_snapshot(refresh.xid, %s::pg_snapshot))""",
            staged["snapshot"],
        )
        in_chunk = SQL("figures.company_id = %s AND figures.partner_id = ANY(%s)", company.id, partner_ids)
        stage = "customer_churn_stage"
        self._write_figures(company, stage, result_columns(), SQL("%s AND NOT %s", in_chunk, refreshed))
        self._write_figures(company, stage, RANK_COLUMNS, SQL("%s AND %s", in_chunk, refreshed))
        cr.execute(
            SQL(
                "UPDATE customer_churn_stage_run SET applied_upto = %s WHERE company_id = %s",
                partner_ids[-1],
                company.id,
            )
        )
        return len(partner_ids), partner_ids[-1]

    def _retry_on_conflict(self, step, tries=5):
        """Run ``step``; when a user's concurrent write to one of its customers makes PostgreSQL
        refuse it, run it again in a new transaction, as Odoo retries a user's request."""
        for attempt in range(tries):
            try:
                return step()
            except CONCURRENCY_ERRORS as error:
                self.env.cr.rollback()
                if attempt == tries - 1:
                    raise
                _logger.info("churn figures: a user's write got in the way (%s), trying again", error.pgcode)
        return None

    def _finish_staged_run(self, company, staged):
        """Clear the figures of former customers, record the run, drop the staged figures."""
        result = self._load_staged_figures(company)
        self._remove_former_customers(company)
        duration = self._seconds_since(staged["started"])
        run = self.env["customer.churn.run"]._record(company, staged["as_of"], result, duration)
        self._forget_refreshes(company, staged["snapshot"])
        self._drop_staged_run(company)
        self.env.cr.commit()
        _logger.info(
            "churn figures of %s as of %s: %s customers in %.1fs (in steps)",
            company.name,
            staged["as_of"],
            len(result),
            run.duration,
        )

    def _load_staged_figures(self, company):
        """The staged figures, as ``classify_customers`` returned them and in table churn_figures."""
        cr = self.env.cr
        columns = result_columns()
        cr.execute("DROP TABLE IF EXISTS churn_figures")
        cr.execute(
            SQL(
                """CREATE TEMP TABLE churn_figures ON COMMIT DROP AS
                   SELECT partner_id, %s FROM customer_churn_stage WHERE company_id = %s""",
                SQL(", ").join(SQL.identifier(name) for name in columns),
                company.id,
            )
        )
        cr.execute("SELECT * FROM churn_figures")
        return pd.DataFrame(cr.fetchall(), columns=["partner_id", *columns]).set_index("partner_id")

    def _seconds_since(self, started):
        self.env.cr.execute(SQL("SELECT extract(epoch FROM clock_timestamp() - %s)::float8", started))
        return self.env.cr.fetchone()[0]

    def _forget_refreshes(self, company, snapshot):
        """Refreshes that this run saw are settled: no later run needs them."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM customer_churn_refresh_log WHERE company_id = %s AND pg_visible_in_snapshot(xid, %s)",
                company.id,
                SQL("%s::pg_snapshot", snapshot) if snapshot else SQL("pg_current_snapshot()"),
            )
        )

    def _drop_staged_run(self, company):
        for table in ("customer_churn_stage", "customer_churn_stage_run"):
            self.env.cr.execute(SQL("DELETE FROM %s WHERE company_id = %s", SQL.identifier(table), company.id))

    def _extract_aggregates(self, company, windows, settings, partner_ids=None):
        """One SQL pass over the company's confirmed orders: one row of aggregates per customer.

        ``partner_ids`` restricts the pass to these commercial partners (incremental refresh).
        """
        self.env.flush_all()
        visit_type = self.env["mail.activity.type"]._get_churn_visit_type()
        if partner_ids is None:
            # PostgreSQL guesses a few hundred customers (it cannot estimate "id = commercial_partner_id")
            # and would join them by nested loops: quadratic, minutes at 100,000 customers.
            self.env.cr.execute("SET LOCAL enable_nestloop = off")
        self.env.cr.execute(
            SQL(
                AGGREGATES_QUERY,
                tz=company._get_churn_timezone(),
                company_id=company.id,
                # Order days are local: a UTC bound two days later keeps every order of as_of.
                orders_before=windows.as_of + timedelta(days=2),
                as_of=windows.as_of,
                current_start=windows.current_start,
                previous_start=windows.previous_start,
                previous_end=windows.previous_end,
                month_start=windows.abc_month_start,
                month_end=windows.abc_month_end,
                prev_month_start=windows.abc_prev_month_start,
                prev_month_end=windows.abc_prev_month_end,
                value_start=windows.value_start,
                cycle_start=windows.cycle_start,
                cycle_min_days=settings.cycle_min_order_days,
                visit_type_id=visit_type.id or None,
                **self._scope_conditions(partner_ids),
            )
        )
        frame = pd.DataFrame(self.env.cr.fetchall(), columns=AGGREGATE_NAMES).set_index("partner_id")
        self.env.cr.execute("RESET enable_nestloop")
        for name in DATE_NAMES:
            frame[name] = pd.to_datetime(frame[name])
        for name in NUMBER_NAMES:
            frame[name] = frame[name].astype("float64")
        return frame

    def _scope_conditions(self, partner_ids):
        if partner_ids is None:
            return dict.fromkeys(("order_scope", "visit_scope", "coupon_scope", "customer_scope"), SQL("TRUE"))
        ids = list(partner_ids)
        return {
            # Through the partner index: every order of the customer and of its contacts.
            "order_scope": SQL(
                "so.partner_id IN (SELECT id FROM res_partner WHERE commercial_partner_id = ANY(%s))", ids
            ),
            "visit_scope": SQL("target.commercial_partner_id = ANY(%s)", ids),
            "coupon_scope": SQL("holder.commercial_partner_id = ANY(%s)", ids),
            "customer_scope": SQL("partner.id = ANY(%s)", ids),
        }

    @api.model
    def _refresh_customers(self, company, partner_ids):
        """Bring these customers' own figures (SPEC §2–§4, §7) up to date, as of today.

        Rank-based figures (ABC tier, value segment) depend on every other customer: they stay
        as the last full run left them.
        """
        as_of = self._today(company)
        settings = company._get_churn_settings()
        windows = Windows.for_settings(as_of, settings)
        aggregates = self._extract_aggregates(company, windows, settings, partner_ids)
        result = classify_customers(aggregates, windows, settings, ranks=False)
        columns = [name for name in result_columns() if name not in RANK_COLUMNS]
        self._store_figures(company, result, columns, partner_ids)
        self.env.cr.execute(
            SQL(
                "INSERT INTO customer_churn_refresh_log (company_id, partner_id) SELECT %s, unnest(%s::int4[])",
                company.id,
                list(partner_ids),
            )
        )

    def _store_figures(self, company, result, columns=None, partner_ids=None):
        """Write the figures of the customers with one COPY and one UPDATE.

        Partners in scope (all, or ``partner_ids``) that were customers of the company at the last
        run but are no longer (archived, merged, orders moved away) lose their figures for this
        company, so no stale segment lists them.
        """
        columns = columns or result_columns()
        self._copy_to_temp_table(result, columns)
        self._write_figures(company, "churn_figures", columns, SQL("TRUE"))
        self._remove_former_customers(company, partner_ids)

    def _write_figures(self, company, table, columns, condition):
        """Set ``columns`` of the company on the partners of ``table`` (alias figures) matching
        ``condition``; the other companies' values stay."""
        key = str(company.id)
        assignments = SQL(", ").join(
            SQL(
                "%s = (COALESCE(%s, '{}'::jsonb) - %s) || jsonb_strip_nulls(jsonb_build_object(%s, %s))",
                SQL.identifier(name),
                SQL.identifier("partner", name),
                key,
                key,
                SQL.identifier("figures", name),
            )
            for name in columns
        )
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner partner SET %s FROM %s figures WHERE partner.id = figures.partner_id AND %s",
                assignments,
                SQL.identifier(table),
                condition,
            )
        )
        self.env["res.partner"].invalidate_model(columns)

    def _remove_former_customers(self, company, partner_ids=None):
        """Clear the company's figures of the partners in scope that table churn_figures lacks."""
        key = str(company.id)
        removals = SQL(", ").join(
            SQL("%s = %s - %s", SQL.identifier(n), SQL.identifier(n), key) for n in result_columns()
        )
        self.env.cr.execute(
            SQL(
                """UPDATE res_partner SET %s
                    WHERE churn_state ? %s
                      AND id NOT IN (SELECT partner_id FROM churn_figures)
                      AND %s""",
                removals,
                key,
                SQL("TRUE") if partner_ids is None else SQL("id = ANY(%s)", list(partner_ids)),
            )
        )
        self.env["res.partner"].invalidate_model(result_columns())

    def _figure_definitions(self, columns):
        Partner = self.env["res.partner"]
        return SQL(", ").join(
            SQL("%s %s", SQL.identifier(name), SQL(SQL_TYPES[Partner._fields[name].type])) for name in columns
        )

    def _copy_to_temp_table(self, result, columns):
        cr = self.env.cr
        Partner = self.env["res.partner"]
        definitions = self._figure_definitions(columns)
        cr.execute("DROP TABLE IF EXISTS churn_figures")
        cr.execute(SQL("CREATE TEMP TABLE churn_figures (partner_id int4 PRIMARY KEY, %s) ON COMMIT DROP", definitions))
        frame = result[columns].copy()
        for name in columns:
            if Partner._fields[name].type == "integer":
                frame[name] = frame[name].astype("Int64")
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, date_format="%Y-%m-%d")
        buffer.seek(0)
        cr._obj.copy_expert("COPY churn_figures FROM STDIN WITH (FORMAT csv)", buffer)
        cr.execute("ANALYZE churn_figures")

    @api.model
    def _mark_for_refresh(self, company_ids, partner_ids):
        """Refresh these customers in these companies when the transaction commits.

        Batching at commit costs one scoped SQL pass per company however many orders a
        transaction touches, and sees the amounts after Odoo's own recomputations.
        """
        # Bulk imports may opt out and recompute once at the end.
        if not partner_ids or not company_ids or self.env.context.get("churn_no_refresh"):
            return
        pending = self.env.cr.precommit.data.setdefault("customer_churn_cockpit.refresh", {})
        if not pending:
            self.env.cr.precommit.add(self._refresh_pending)
        for company_id in company_ids:
            pending.setdefault(company_id, set()).update(partner_ids)

    def _refresh_pending(self):
        pending = self.env.cr.precommit.data.pop("customer_churn_cockpit.refresh", {})
        engine = self.sudo()
        companies = engine.env["res.company"].browse(list(pending)).exists()
        # Companies never computed have no figures to keep current.
        computed = set(engine.env["customer.churn.run"].search([("company_id", "in", companies.ids)]).company_id.ids)
        for company in companies.filtered(lambda c: c.id in computed):
            partners = engine.env["res.partner"].browse(list(pending[company.id])).exists()
            try:
                with engine.env.cr.savepoint():
                    engine._refresh_customers(company, set(partners.commercial_partner_id.ids))
            except CONCURRENCY_ERRORS:
                # Another transaction (a run's chunk, another order) wrote these customers since
                # ours began: Odoo retries the whole request, which then refreshes on top of it.
                raise
            except Exception:
                # The user's order must be saved whatever happens here; the nightly run catches up.
                _logger.exception("churn refresh of %s customers of %s failed", len(partners), company.name)
