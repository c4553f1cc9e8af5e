"""The extract step: one SQL pass over a company's confirmed orders, one row of aggregates per customer."""

from datetime import datetime, timedelta

import pandas as pd

from odoo import api, models
from odoo.tools import SQL

from ..lib.forecast import USUAL_PACE_DAYS

# The company's order days up to as_of (SPEC §1): one row per customer and local day, with the
# day's amount in the company currency and its number of orders. Shared by the run and the backtest.
DAILY_CTES = """
orders AS (
    SELECT buyer.commercial_partner_id AS partner_id,
           (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date AS day,
           so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1) AS amount
      FROM sale_order so
      JOIN res_partner buyer ON buyer.id = so.partner_id
     WHERE so.state = 'sale'
       AND so.company_id = %(company_id)s
       AND so.date_order >= %(orders_from)s
       AND so.date_order < %(orders_before)s
       AND %(order_scope)s
), daily AS (
    SELECT partner_id, day, SUM(amount) AS amount, COUNT(*) AS orders
      FROM orders
     WHERE day <= %(as_of)s
  GROUP BY partner_id, day
)"""
# A customer is an active commercial partner that is not the partner of a company (SPEC §1).
CUSTOMER_CONDITION = """partner.active
   AND partner.commercial_partner_id = partner.id
   AND NOT EXISTS (SELECT 1 FROM res_company company WHERE company.partner_id = partner.id)"""

AGGREGATES_QUERY = f"""
WITH {DAILY_CTES}, per_customer AS (
    SELECT partner_id,
           MIN(day) AS first_day,
           MAX(day) AS last_day,
           SUM(amount) FILTER (WHERE day >= %(current_start)s)::float8 AS rev_cur,
           SUM(amount) FILTER (WHERE day BETWEEN %(previous_start)s AND %(previous_end)s)::float8 AS rev_prev,
           COALESCE(SUM(orders) FILTER (WHERE day >= %(current_start)s), 0)::int AS cnt_cur,
           COALESCE(SUM(orders) FILTER (WHERE day BETWEEN %(previous_start)s AND %(previous_end)s), 0)::int AS cnt_prev,
           SUM(amount) FILTER (WHERE day BETWEEN %(month_start)s AND %(month_end)s)::float8 AS rev_month,
           SUM(amount) FILTER (WHERE day BETWEEN %(prev_month_start)s AND %(prev_month_end)s)::float8 AS rev_month_prev,
           SUM(amount) FILTER (WHERE day >= %(value_start)s)::float8 AS rev_value,
           -- SPEC §9, over the whole history: the order days, the mean amount of those after the
           -- first (exact in numeric: the sum less the first day's), the revenue of 365 days.
           COUNT(*)::int AS order_days,
           ((SUM(amount) - (array_agg(amount ORDER BY day))[1]) / NULLIF(COUNT(*) - 1, 0))::float8 AS m_x,
           SUM(amount) FILTER (WHERE day >= %(year_start)s)::float8 AS rev_year
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
       AND act.date_done BETWEEN %(orders_from)s AND %(as_of)s
       AND %(visit_scope)s
  GROUP BY target.commercial_partner_id
), coupons AS (
    SELECT holder.commercial_partner_id AS partner_id,
           MAX((card.create_date AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date) AS last_coupon_date
      FROM loyalty_card card
      JOIN loyalty_program program ON program.id = card.program_id
      JOIN res_partner holder ON holder.id = card.partner_id
     WHERE (program.company_id = %(company_id)s OR program.company_id IS NULL)
       -- coupons only: loyalty, eWallet and next-order programs make a card with an order
       AND program.program_type = 'coupons'
       AND card.create_date >= %(orders_from)s
       AND card.create_date < %(orders_before)s
       AND (card.create_date AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date <= %(as_of)s
       AND %(coupon_scope)s
  GROUP BY holder.commercial_partner_id
), salesperson_changes AS (
    -- SPEC §13: the last change of salesperson up to as_of; a new customer's first one is no change.
    SELECT change.partner_id, MAX(change.day) AS last_salesperson_change
      FROM customer_churn_salesperson_change change
     WHERE change.source <> 'create'
       AND change.day <= %(as_of)s
       AND %(change_scope)s
  GROUP BY change.partner_id
), sold_elsewhere AS (
    -- Customers of another company (SPEC §1): a prospect of theirs is not a prospect here. One
    -- pass over the other companies' orders; a per-prospect subquery would scan them once each.
    SELECT DISTINCT buyer.commercial_partner_id AS partner_id
      FROM sale_order so
      JOIN res_partner buyer ON buyer.id = so.partner_id
     WHERE so.state = 'sale'
       AND so.company_id <> %(company_id)s
       AND so.date_order >= %(orders_from)s
       AND so.date_order < %(orders_before)s
       AND (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date <= %(as_of)s
       AND %(order_scope)s
)
SELECT partner.id AS partner_id,
       pc.first_day, pc.last_day, pc.rev_cur, pc.rev_prev, pc.cnt_cur, pc.cnt_prev,
       pc.rev_month, pc.rev_month_prev, pc.rev_value, pc.order_days, pc.m_x, pc.rev_year, cycle.cycle_days,
       visits.last_visit_date, coupons.last_coupon_date,
       CASE WHEN partner.user_id IS NULL THEN 'none'
            WHEN NOT seller.active THEN 'archived'
            WHEN NOT EXISTS (SELECT 1 FROM res_company_users_rel allowed
                              WHERE allowed.user_id = partner.user_id AND allowed.cid = %(company_id)s)
            THEN 'outside'
            ELSE 'active'
       END AS salesperson_status,
       salesperson_changes.last_salesperson_change
  FROM res_partner partner
  LEFT JOIN res_users seller ON seller.id = partner.user_id
  LEFT JOIN salesperson_changes ON salesperson_changes.partner_id = partner.id
  LEFT JOIN per_customer pc ON pc.partner_id = partner.id
  LEFT JOIN cycle ON cycle.partner_id = partner.id
  LEFT JOIN visits ON visits.partner_id = partner.id
  LEFT JOIN coupons ON coupons.partner_id = partner.id
  LEFT JOIN sold_elsewhere ON sold_elsewhere.partner_id = partner.id
 WHERE {CUSTOMER_CONDITION}
   AND (pc.partner_id IS NOT NULL OR (
            -- a prospect nobody has sold to yet: the company's own, or shared (SPEC §1)
            partner.customer_rank > 0
        AND (partner.company_id IS NULL OR partner.company_id = %(company_id)s)
        -- its orders of this company would have put it in per_customer: only the others' count here
        AND sold_elsewhere.partner_id IS NULL))
   AND %(customer_scope)s
"""

ORDER_DAYS_QUERY = f"""
WITH {DAILY_CTES}
SELECT daily.partner_id, daily.day, daily.amount::float8 AS amount, daily.orders::int AS orders
  FROM daily
  JOIN res_partner partner ON partner.id = daily.partner_id
 WHERE {CUSTOMER_CONDITION}
"""
ORDER_DAYS_NAMES = ["partner_id", "day", "amount", "orders"]

# What a run reports of the orders it read (docs/definitions.md): the confirmed orders of the
# company dated outside the sane range, which no figure counts (through the index on date_order),
# and the counted orders that had no currency rate and so counted 1:1 (SPEC §1): a rate of 0 or
# null (a partial index, see ``init``), or a foreign currency Odoo has no rate for at all (it then
# converts 1:1; only read when a pricelist has such a currency). The range is in UTC.
BAD_DATE_ORDERS_QUERY = """
SELECT COUNT(*)::int, (array_agg(so.name ORDER BY so.date_order, so.id))[1:%(listed)s]
  FROM sale_order so
 WHERE so.state = 'sale'
   AND so.company_id = %(company_id)s
   AND (so.date_order < %(orders_from)s OR so.date_order >= %(orders_until)s)
"""
UNRATED_ORDERS_QUERY = """
SELECT COUNT(*)::int
  FROM sale_order so
 WHERE so.state = 'sale'
   AND so.company_id = %(company_id)s
   AND (COALESCE(so.currency_rate, 0) = 0 OR %(rateless_currency)s)
   AND so.date_order >= %(orders_from)s
   AND so.date_order < %(orders_before)s
   AND (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date <= %(as_of)s
"""
RATELESS_CURRENCIES_QUERY = """
SELECT DISTINCT pricelist.currency_id
  FROM product_pricelist pricelist
 WHERE pricelist.currency_id <> %(currency_id)s
   AND (pricelist.company_id = %(company_id)s OR pricelist.company_id IS NULL)
   AND NOT EXISTS (SELECT 1 FROM res_currency_rate rate
                    WHERE rate.currency_id = pricelist.currency_id
                      AND (rate.company_id IS NULL OR rate.company_id = %(root_id)s))
"""
# The sane range of an order's date (UTC): an order dated outside it is an input error, reported.
ORDERS_FROM = datetime(1900, 1, 1)
ORDERS_UNTIL = datetime(2200, 1, 1)
LISTED_BAD_ORDERS = 50

AGGREGATE_NAMES = [
    "partner_id", "first_day", "last_day", "rev_cur", "rev_prev", "cnt_cur", "cnt_prev",
    "rev_month", "rev_month_prev", "rev_value", "order_days", "m_x", "rev_year", "cycle_days",
    "last_visit_date", "last_coupon_date", "salesperson_status", "last_salesperson_change",
]  # fmt: skip
DATE_NAMES = ("first_day", "last_day", "last_visit_date", "last_coupon_date", "last_salesperson_change")
NUMBER_NAMES = (
    "rev_cur", "rev_prev", "cnt_cur", "cnt_prev", "rev_month", "rev_month_prev", "rev_value",
    "order_days", "m_x", "rev_year", "cycle_days",
)  # fmt: skip


class CustomerChurnExtract(models.AbstractModel):
    _name = "customer.churn.extract"
    _description = "Customer Churn Extraction"

    @api.model
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
                orders_from=ORDERS_FROM,
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
                year_start=windows.as_of - timedelta(days=USUAL_PACE_DAYS - 1),
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

    @api.model
    def _extract_order_days(self, company, as_of):
        """The company's order days up to ``as_of``: (partner_id, day, amount, orders), one per customer and day."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                ORDER_DAYS_QUERY,
                tz=company._get_churn_timezone(),
                company_id=company.id,
                orders_from=ORDERS_FROM,
                orders_before=as_of + timedelta(days=2),
                as_of=as_of,
                order_scope=SQL("TRUE"),
            )
        )
        frame = pd.DataFrame(self.env.cr.fetchall(), columns=ORDER_DAYS_NAMES)
        frame["day"] = pd.to_datetime(frame["day"])
        return frame.astype({"partner_id": "int64", "amount": "float64", "orders": "int64"})

    def init(self):
        # The orders without a rate of SPEC §1, which a run counts: few, found without a scan.
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS sale_order_churn_no_rate_index ON sale_order (company_id, date_order)
                WHERE state = 'sale' AND COALESCE(currency_rate, 0) = 0"""
        )

    @api.model
    def _extract_order_quality(self, company, as_of):
        """What the run of ``company`` as of ``as_of`` could not count as given: the counts of its
        orders without a currency rate and of its orders with a date out of range, and the
        references of the first of these."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                BAD_DATE_ORDERS_QUERY,
                company_id=company.id,
                orders_from=ORDERS_FROM,
                orders_until=ORDERS_UNTIL,
                listed=LISTED_BAD_ORDERS,
            )
        )
        bad_dates, names = cr.fetchone()
        cr.execute(
            SQL(
                RATELESS_CURRENCIES_QUERY,
                currency_id=company.currency_id.id,
                company_id=company.id,
                root_id=company.root_id.id,
            )
        )
        rateless = [currency_id for (currency_id,) in cr.fetchall()]
        cr.execute(
            SQL(
                UNRATED_ORDERS_QUERY,
                company_id=company.id,
                rateless_currency=SQL("so.currency_id = ANY(%s)", rateless) if rateless else SQL("FALSE"),
                orders_from=ORDERS_FROM,
                orders_before=as_of + timedelta(days=2),
                tz=company._get_churn_timezone(),
                as_of=as_of,
            )
        )
        (unrated,) = cr.fetchone()
        return {"unrated": unrated, "bad_dates": bad_dates, "bad_date_names": names or []}

    def _scope_conditions(self, partner_ids):
        if partner_ids is None:
            return dict.fromkeys(
                ("order_scope", "visit_scope", "coupon_scope", "change_scope", "customer_scope"), SQL("TRUE")
            )
        ids = list(partner_ids)
        return {
            # Through the partner index: every order of the customer and of its contacts.
            "order_scope": SQL(
                "so.partner_id IN (SELECT id FROM res_partner WHERE commercial_partner_id = ANY(%s))", ids
            ),
            "visit_scope": SQL("target.commercial_partner_id = ANY(%s)", ids),
            "coupon_scope": SQL("holder.commercial_partner_id = ANY(%s)", ids),
            "change_scope": SQL("change.partner_id = ANY(%s)", ids),
            "customer_scope": SQL("partner.id = ANY(%s)", ids),
        }
