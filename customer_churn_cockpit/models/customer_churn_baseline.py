from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..lib.windows import month_start
from .churn_sql import confirmed_orders, ordered_before

# The spans the board offers, in months ending with the current one.
BASELINE_MONTHS = (12, 24)

BASELINES_QUERY = """
WITH dated AS (
    -- Every order that can reach the months shown: a churn or a start-of-month base needs an
    -- order day at most C days before the first month.
    %(orders)s
), first_days AS (
    -- A customer is new in the month of its first order ever. Its first day in the span is that
    -- day when it falls in the months shown and no order is older than the span: the anti-join
    -- reads the few customers that start in the span, not the whole history.
    SELECT partner_id, day
      FROM (SELECT partner_id, MIN(day) AS day FROM dated GROUP BY partner_id) span_first
     WHERE day >= %(first_month)s
       AND NOT %(ordered_before_span)s
), lines AS (
    -- Each customer's churn line: its own on the cycle basis (SPEC §3b, as the last run drew it).
    %(lines)s
), order_days AS (
    SELECT days.partner_id, days.day,
           LAG(days.day) OVER (PARTITION BY days.partner_id ORDER BY days.day) AS previous_day,
           LEAD(days.day) OVER (PARTITION BY days.partner_id ORDER BY days.day) AS next_day,
           COALESCE(lines.line, %(churned_days)s) AS line
      FROM (SELECT DISTINCT partner_id, day FROM dated) days
      LEFT JOIN lines ON lines.partner_id = days.partner_id
), months (month_start) AS (
    VALUES %(months)s
), sales AS (
    SELECT day - EXTRACT(DAY FROM day)::int + 1 AS month_start,
           COUNT(DISTINCT partner_id) AS customers, COUNT(*) AS orders, SUM(amount) AS revenue
      FROM dated
     WHERE day >= %(first_month)s
  GROUP BY 1
), new_customers AS (
    SELECT day - EXTRACT(DAY FROM day)::int + 1 AS month_start, COUNT(*) AS new_customers
      FROM first_days
  GROUP BY 1
), churns AS (
    -- The day a customer crosses its churn line: C days after an order day with no order since.
    -- Each crossing counts, so that a customer who churns, comes back and churns again in one
    -- month leaves the month's books balanced (start + new + returning - churned = next start).
    SELECT churn_day - EXTRACT(DAY FROM churn_day)::int + 1 AS month_start, COUNT(*) AS churned
      FROM (
            SELECT day + line AS churn_day
              FROM order_days
             WHERE next_day IS NULL OR next_day > day + line
           ) crossings
     WHERE churn_day BETWEEN %(first_month)s AND %(as_of)s
  GROUP BY 1
), returns AS (
    -- An order day of a churned customer that is not its first order ever: the customer is back.
    -- A previous order day older than the span is older than any line.
    SELECT order_days.day - EXTRACT(DAY FROM order_days.day)::int + 1 AS month_start, COUNT(*) AS returning
      FROM order_days
      LEFT JOIN first_days ON first_days.partner_id = order_days.partner_id AND first_days.day = order_days.day
     WHERE order_days.day >= %(first_month)s
       AND first_days.partner_id IS NULL
       AND (order_days.previous_day IS NULL OR order_days.day > order_days.previous_day + order_days.line)
  GROUP BY 1
), live_at_start AS (
    -- Not churned on the eve of the month: an order day within the C days before it.
    SELECT months.month_start, COUNT(DISTINCT order_days.partner_id) AS customers_at_start
      FROM order_days
      JOIN months ON order_days.day BETWEEN months.month_start - order_days.line AND months.month_start - 1
  GROUP BY months.month_start
)
SELECT months.month_start,
       COALESCE(sales.customers, 0),
       COALESCE(sales.orders, 0),
       COALESCE(sales.revenue, 0)::float8,
       COALESCE(new_customers.new_customers, 0),
       COALESCE(returns.returning, 0),
       COALESCE(churns.churned, 0),
       COALESCE(live_at_start.customers_at_start, 0)
  FROM months
  LEFT JOIN sales USING (month_start)
  LEFT JOIN new_customers USING (month_start)
  LEFT JOIN returns USING (month_start)
  LEFT JOIN churns USING (month_start)
  LEFT JOIN live_at_start USING (month_start)
ORDER BY months.month_start
"""
CURRENT_MONTH_QUERY = """
WITH dated AS (
    %(orders)s
), lines AS (
    %(lines)s
), order_days AS (
    SELECT days.partner_id, days.day,
           LAG(days.day) OVER (PARTITION BY days.partner_id ORDER BY days.day) AS previous_day,
           LEAD(days.day) OVER (PARTITION BY days.partner_id ORDER BY days.day) AS next_day,
           COALESCE(lines.line, %(churned_days)s) AS line
      FROM (SELECT DISTINCT partner_id, day FROM dated) days
      LEFT JOIN lines ON lines.partner_id = days.partner_id
), live AS (
    -- The customers live at the start of the month, as the run kept them, with the day each
    -- churns unless it orders again.
    -- Still a customer today, as the months counted from all orders read it.
    SELECT kept.partner_id, kept.churn_day
      FROM customer_churn_baseline_start kept
      JOIN res_partner customer ON customer.id = kept.partner_id
     WHERE kept.company_id = %(company_id)s
       AND %(is_customer)s
), opening AS (
    -- Each customer's first order day of the month.
    SELECT order_days.partner_id, order_days.day, live.churn_day, live.partner_id IS NOT NULL AS was_live
      FROM order_days
      LEFT JOIN live ON live.partner_id = order_days.partner_id
     WHERE order_days.previous_day IS NULL
), new_customers AS (
    -- Not live at the start and no order before the month: the first order ever.
    SELECT opening.partner_id
      FROM opening
     WHERE NOT opening.was_live
       AND NOT %(ordered_before_month)s
)
SELECT (SELECT COUNT(DISTINCT partner_id) FROM dated),
       (SELECT COUNT(*) FROM dated),
       (SELECT COALESCE(SUM(amount), 0)::float8 FROM dated),
       (SELECT COUNT(*) FROM new_customers),
       -- Back after churning: a first order day of the month past the line of the start, or of a
       -- customer churned before the month; then a later order day past the line of the one before.
       (SELECT COUNT(*)
          FROM opening
         WHERE CASE WHEN opening.was_live THEN opening.day > opening.churn_day
                    ELSE NOT EXISTS (SELECT 1 FROM new_customers WHERE new_customers.partner_id = opening.partner_id)
                END)
       + (SELECT COUNT(*) FROM order_days WHERE previous_day IS NOT NULL AND day > previous_day + line),
       -- Crossings: a customer live at the start that reached its churn day without an order, then
       -- an order day of the month followed by none within its line.
       (SELECT COUNT(*)
          FROM live
          LEFT JOIN opening ON opening.partner_id = live.partner_id
         WHERE live.churn_day <= %(as_of)s AND (opening.day IS NULL OR opening.day > live.churn_day))
       + (SELECT COUNT(*)
            FROM order_days
           WHERE day + line <= %(as_of)s AND (next_day IS NULL OR next_day > day + line)),
       (SELECT COUNT(*) FROM live)
"""
MONTH_START_QUERY = """
INSERT INTO customer_churn_baseline_start (company_id, partner_id, churn_day)
SELECT %(company_id)s, last_days.partner_id, last_days.day + COALESCE(lines.line, %(churned_days)s)
  FROM (SELECT partner_id, MAX(day) AS day FROM (%(orders)s) orders GROUP BY partner_id) last_days
  LEFT JOIN (%(lines)s) lines ON lines.partner_id = last_days.partner_id
 WHERE last_days.day + COALESCE(lines.line, %(churned_days)s) >= %(month)s
"""
# SPEC §1: a customer is an active commercial partner that is not the partner of a company.
IS_CUSTOMER = """customer.active
       AND NOT EXISTS (SELECT 1 FROM res_company company WHERE company.partner_id = customer.id)"""
BASELINE_NAMES = ("customers", "orders", "revenue", "new_customers", "returning", "churned", "customers_at_start")


class CustomerChurnBaseline(models.AbstractModel):
    """Monthly baselines (管控基数): who bought, how much, who arrived and who churned, month by month."""

    _name = "customer.churn.baseline"
    _description = "Customer Churn Monthly Baselines"

    @api.model
    def get_monthly_baselines(self, months=12):
        """The last ``months`` calendar months of the current company, up to today in its timezone."""
        if not self.env.user.has_group("customer_churn_cockpit.group_churn_user"):
            raise AccessError(_("Only churn cockpit users can see the monthly baselines."))
        if months not in BASELINE_MONTHS:
            raise UserError(_("The monthly baselines cover 12 or 24 months, not %s.", months))
        company = self.env.company
        as_of = self.env["customer.churn.engine"]._today(company)
        if self.env["customer.churn.board"]._sees_every_customer():
            rows = self._read_baselines(company, as_of, months)
        else:
            rows = self._compute_baselines(company, as_of, months)
        return {
            "as_of": as_of,
            "currency_id": company.currency_id.id,
            "churned_days": company.churn_churned_days,
            "months": rows,
            "average": self._average(rows),
        }

    @api.model
    def _read_baselines(self, company, as_of, months):
        """The company-wide months: the complete ones as the runs kept them, the current one from
        the customers the run kept at its start and this month's orders, any other from the orders."""
        month_starts = self._month_starts(as_of, months)
        line_key = self._churn_line_key(company)
        Month = self.env["customer.churn.baseline.month"]
        values = Month._get_kept(company, month_starts, line_key)
        if Month._is_start_kept(company, month_starts[-1], line_key):
            values[month_starts[-1]] = self._query_current_month(company, as_of)
        values.update(self._query_months(company, as_of, [start for start in month_starts if start not in values]))
        return [self._month_figures(start, values[start], as_of) for start in month_starts]

    @api.model
    def _compute_baselines(self, company, as_of, months):
        """One SQL pass over the company's confirmed orders: one row per month, oldest first.

        The last month is the month of ``as_of``, counted up to ``as_of`` (``partial``). A salesperson
        who sees his own documents only counts his own customers, as his board and lists do.
        """
        month_starts = self._month_starts(as_of, months)
        values = self._query_months(company, as_of, month_starts, self._is_visible_customer(company))
        return [self._month_figures(start, values[start], as_of) for start in month_starts]

    @api.model
    def _keep_complete_months(self, company, as_of):
        """Keep the company-wide figures of the complete months the board can show, and the
        customers live at the start of the current month.

        Called by a live run: a complete month's figures no longer change with ``as_of``, so each is
        computed once (the first run of a month computes the month just ended) and again only when
        the churn line changes. The current month then needs only its own orders.
        """
        complete = self._month_starts(as_of, max(BASELINE_MONTHS))[:-1]
        line_key = self._churn_line_key(company)
        Month = self.env["customer.churn.baseline.month"]
        kept = Month._get_kept(company, complete, line_key)
        missing = [start for start in complete if start not in kept]
        Month._replace_months(company, line_key, complete, self._query_months(company, as_of, missing))
        self._keep_month_start(company, month_start(as_of), line_key)

    @api.model
    def _keep_month_start(self, company, start, line_key):
        """Keep who is live at ``start`` (an order day within its line before it) and the day each
        churns unless it orders again: once a month, and again when the churn line changes."""
        Month = self.env["customer.churn.baseline.month"]
        if Month._is_start_kept(company, start, line_key):
            return
        self.env.flush_all()
        lines, longest = self._churn_lines(company)
        from_day = start - timedelta(days=max(company.churn_churned_days, longest))
        self.env.cr.execute(SQL("DELETE FROM customer_churn_baseline_start WHERE company_id = %s", company.id))
        self.env.cr.execute(
            SQL(
                MONTH_START_QUERY,
                company_id=company.id,
                orders=confirmed_orders(company, from_day, start - timedelta(days=1), SQL(IS_CUSTOMER)),
                month=start,
                churned_days=company.churn_churned_days,
                lines=lines,
            )
        )
        Month._keep_start(company, start, line_key, self.env.cr.rowcount)

    @api.model
    def _query_current_month(self, company, as_of):
        """The figures of the month of ``as_of`` up to it, from its orders and the kept start."""
        self.env.flush_all()
        start = month_start(as_of)
        lines, _longest = self._churn_lines(company)
        [values] = self.env.execute_query(
            SQL(
                CURRENT_MONTH_QUERY,
                company_id=company.id,
                orders=confirmed_orders(company, start, as_of, SQL(IS_CUSTOMER)),
                ordered_before_month=ordered_before(company, SQL("opening.partner_id"), start),
                as_of=as_of,
                churned_days=company.churn_churned_days,
                lines=lines,
                is_customer=SQL(IS_CUSTOMER),
            )
        )
        return tuple(values)

    @api.model
    def _month_starts(self, as_of, months):
        return [month_start(as_of, back) for back in range(months - 1, -1, -1)]

    @api.model
    def _churn_line_key(self, company):
        """What the kept months depend on besides the orders: the churn line."""
        if company.churn_state_basis == "fixed":
            return f"fixed:{company.churn_churned_days}"
        settings = (
            company.churn_at_risk_days,
            company.churn_churned_days,
            company.churn_at_risk_cycles,
            company.churn_churned_cycles,
            company.churn_cycle_min_days,
        )
        return "cycle:" + ":".join(str(value) for value in settings)

    @api.model
    def _query_months(self, company, as_of, month_starts, is_customer=None):
        """{month start: figures} of the given months (any, in order), from the confirmed orders."""
        if not month_starts:
            return {}
        self.env.flush_all()
        churned_days = company.churn_churned_days
        lines, longest = self._churn_lines(company)
        from_day = month_starts[0] - timedelta(days=max(churned_days, longest))
        rows = self.env.execute_query(
            SQL(
                BASELINES_QUERY,
                orders=confirmed_orders(company, from_day, as_of, is_customer or SQL(IS_CUSTOMER)),
                ordered_before_span=ordered_before(company, SQL("span_first.partner_id"), from_day),
                as_of=as_of,
                first_month=month_starts[0],
                months=SQL(", ").join(SQL("(%s::date)", start) for start in month_starts),
                churned_days=churned_days,
                lines=lines,
            )
        )
        return {month: tuple(values) for month, *values in rows}

    @api.model
    def _churn_lines(self, company):
        """(SQL of each customer's churn line, the longest line): the fixed basis has one line for
        all (C); the cycle basis reads each customer's line as the last run stored it, C for a
        customer without one."""
        no_line = SQL("SELECT NULL::int AS partner_id, NULL::int AS line WHERE FALSE")
        if company.churn_state_basis == "fixed":
            return no_line, 0
        self.env["customer.churn.figure"].flush_model(["churn_churned_after"])
        [(longest,)] = self.env.execute_query(
            SQL("SELECT MAX(churn_churned_after) FROM customer_churn_figure WHERE company_id = %s", company.id)
        )
        lines = SQL(
            """SELECT partner_id, churn_churned_after AS line FROM customer_churn_figure
                WHERE company_id = %s AND churn_churned_after IS NOT NULL""",
            company.id,
        )
        return lines, longest or 0

    @api.model
    def _is_visible_customer(self, company):
        """A customer of SPEC §1 whose figures the user may read."""
        if self.env["customer.churn.board"]._sees_every_customer():
            return SQL(IS_CUSTOMER)
        visible = self.env["customer.churn.figure"]._partner_ids_query([("company_id", "=", company.id)])
        return SQL("%s AND customer.id IN %s", SQL(IS_CUSTOMER), visible)

    @api.model
    def _month_figures(self, month, values, as_of):
        figures = dict(zip(BASELINE_NAMES, values, strict=True))
        orders, base = figures["orders"], figures["customers_at_start"]
        return {
            "month": month,
            "partial": month == month_start(as_of),
            **figures,
            "average_order_value": figures["revenue"] / orders if orders else 0.0,
            "churn_rate": figures["churned"] / base if base else False,
        }

    @api.model
    def _average(self, rows):
        """The baseline itself: the mean of each figure over the complete months."""
        complete = [row for row in rows if not row["partial"]]
        if not complete:
            return {}
        average = {name: sum(row[name] for row in complete) / len(complete) for name in BASELINE_NAMES}
        orders, base = sum(row["orders"] for row in complete), sum(row["customers_at_start"] for row in complete)
        average["average_order_value"] = sum(row["revenue"] for row in complete) / orders if orders else 0.0
        average["churn_rate"] = sum(row["churned"] for row in complete) / base if base else False
        return average


class CustomerChurnBaselineMonth(models.Model):
    """The company-wide baseline figures of one complete month, as a live run kept them."""

    _name = "customer.churn.baseline.month"
    _description = "Customer Churn Baseline of a Complete Month"
    _order = "company_id, month"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade", readonly=True)
    month = fields.Date(required=True, readonly=True)
    churn_line = fields.Char(required=True, readonly=True, help="The churn line the month was counted with.")
    complete = fields.Boolean(
        default=True,
        readonly=True,
        help="A complete month's figures; else the current month, of which only the start is kept.",
    )
    customers = fields.Integer(readonly=True)
    orders = fields.Integer(readonly=True)
    revenue = fields.Float(readonly=True)
    new_customers = fields.Integer(readonly=True)
    returning = fields.Integer(readonly=True, help="Customers who ordered again after churning.")
    churned = fields.Integer(readonly=True)
    customers_at_start = fields.Integer(readonly=True)

    _sql_constraints = [
        ("company_month_unique", "unique(company_id, month)", "A month is kept once per company."),
    ]

    @api.model
    def _get_kept(self, company, month_starts, line_key):
        """{month start: figures} of the kept months among ``month_starts`` counted with ``line_key``."""
        kept = self.sudo().search_fetch(
            [
                ("company_id", "=", company.id),
                ("month", "in", month_starts),
                ("churn_line", "=", line_key),
                ("complete", "=", True),
            ],
            ["month", *BASELINE_NAMES],
        )
        return {month.month: tuple(month[name] for name in BASELINE_NAMES) for month in kept}

    @api.model
    def _replace_months(self, company, line_key, month_starts, computed):
        """Keep ``computed`` and forget the complete months outside ``month_starts`` or of another line."""
        Month = self.sudo()
        Month.search(
            [
                ("company_id", "=", company.id),
                ("complete", "=", True),
                "|",
                ("month", "not in", month_starts),
                ("churn_line", "!=", line_key),
            ]
        ).unlink()
        Month.search([("company_id", "=", company.id), ("month", "in", list(computed))]).unlink()
        Month.create(
            [
                {
                    "company_id": company.id,
                    "month": start,
                    "churn_line": line_key,
                    **dict(zip(BASELINE_NAMES, values, strict=True)),
                }
                for start, values in computed.items()
            ]
        )

    @api.model
    def _is_start_kept(self, company, start, line_key):
        """Whether a run kept the customers live at ``start`` with the churn line ``line_key``."""
        domain = [
            ("company_id", "=", company.id),
            ("month", "=", start),
            ("churn_line", "=", line_key),
            ("complete", "=", False),
        ]
        return bool(self.sudo().search_count(domain, limit=1))

    @api.model
    def _keep_start(self, company, start, line_key, customers_at_start):
        """Mark the start of the current month as kept (the customers are in ``customer.churn.baseline.start``)."""
        Month = self.sudo()
        Month.search([("company_id", "=", company.id), ("complete", "=", False)]).unlink()
        Month.create(
            {
                "company_id": company.id,
                "month": start,
                "churn_line": line_key,
                "complete": False,
                "customers_at_start": customers_at_start,
            }
        )


class CustomerChurnBaselineStart(models.Model):
    """A customer live at the start of the current month, and the day it churns unless it orders.

    Kept by the first live run of a month, so the board counts the month from its own orders
    instead of reading back a whole churn line of history.
    """

    _name = "customer.churn.baseline.start"
    _description = "Customer Churn Customer Live at the Start of the Month"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade", readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", readonly=True)
    churn_day = fields.Date(required=True, readonly=True, help="The day it churns if it orders no more.")

    # One row per customer, also after a merge: the merge's foreign-key update drops the duplicate's.
    _sql_constraints = [
        ("company_partner_unique", "unique(company_id, partner_id)", "A customer starts a month once per company."),
    ]
