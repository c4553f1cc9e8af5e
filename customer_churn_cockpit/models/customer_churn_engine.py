import io
import logging
import time
from datetime import datetime, timedelta

import pandas as pd
import pytz

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..lib import RANK_COLUMNS, Windows, classify_customers, result_columns

_logger = logging.getLogger(__name__)

# pg advisory lock namespace: "churn" in ASCII; the second key is the company id.
LOCK_NAMESPACE = 0x6368726E

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


class CustomerChurnEngine(models.AbstractModel):
    _name = "customer.churn.engine"
    _description = "Customer Churn Engine"

    @api.model
    def recompute(self, companies=None, as_of=None):
        """Recompute every customer of ``companies`` (all when None) as of ``as_of``.

        ``as_of`` defaults to today in each company's timezone. Each company is computed and
        written inside its own savepoint: a failure leaves that company's previous figures
        intact. Returns a summary: customers, seconds, the count of each state, per company.
        """
        if not self.env.su and not self.env.user.has_group("customer_churn_cockpit.group_churn_manager"):
            raise AccessError(_("Only churn cockpit managers can recompute the figures."))
        companies = companies if companies is not None else self.env["res.company"].sudo().search([])
        started = time.perf_counter()
        summary = {"customers": 0, "never": 0, "active": 0, "at_risk": 0, "churned": 0, "companies": {}}
        for company in companies:
            company_summary = self._recompute_company(company, as_of or self._today(company))
            summary["companies"][company.id] = company_summary
            for key in ("customers", "never", "active", "at_risk", "churned"):
                summary[key] += company_summary[key]
        summary["seconds"] = round(time.perf_counter() - started, 3)
        return summary

    @api.model
    def _cron_recompute(self):
        companies = self.env["res.company"].sudo().search([])
        cron = self.env["ir.cron"]
        for done, company in enumerate(companies):
            try:
                self.recompute(company)
            except Exception:
                # One company's failure must not stop the others; its savepoint kept its old figures.
                _logger.exception("churn recompute failed for company %s", company.display_name)
            cron._notify_progress(done=done + 1, remaining=len(companies) - done - 1)

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
        result = classify_customers(aggregates, windows, settings)
        columns = [name for name in result_columns() if name not in RANK_COLUMNS]
        self._store_figures(company, result, columns, partner_ids)

    def _store_figures(self, company, result, columns=None, partner_ids=None):
        """Write the figures of the customers with one COPY and one UPDATE.

        Partners in scope (all, or ``partner_ids``) that were customers of the company at the last
        run but are no longer (archived, merged, orders moved away) lose their figures for this
        company, so no stale segment lists them.
        """
        Partner = self.env["res.partner"]
        columns = columns or result_columns()
        self._copy_to_temp_table(result, columns, Partner)
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
        cr = self.env.cr
        cr.execute(
            SQL(
                "UPDATE res_partner partner SET %s FROM churn_figures figures WHERE partner.id = figures.partner_id",
                assignments,
            )
        )
        removals = SQL(", ").join(
            SQL("%s = %s - %s", SQL.identifier(n), SQL.identifier(n), key) for n in result_columns()
        )
        cr.execute(
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
        Partner.invalidate_model(columns)

    def _copy_to_temp_table(self, result, columns, Partner):
        cr = self.env.cr
        definitions = SQL(", ").join(
            SQL("%s %s", SQL.identifier(name), SQL(SQL_TYPES[Partner._fields[name].type])) for name in columns
        )
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
            except Exception:
                # The user's order must be saved whatever happens here; the nightly run catches up.
                _logger.exception("churn refresh of %s customers of %s failed", len(partners), company.name)
