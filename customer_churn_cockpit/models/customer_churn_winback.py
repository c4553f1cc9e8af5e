from odoo import fields, models
from odoo.tools import SQL

from ..lib.vocabulary import CHURN_STATES, VALUE_SEGMENTS
from .mail_activity import VISIT_TYPE_XMLID

# One row per action on a customer: a visit planned or done, or a coupon issued. A planned visit
# has no action date yet: it is counted as planned, not done, and wins nothing back until done.
# The segment is the customer's state at the last run before the action (the latest run for a
# planned visit), from the run history. Only the companies
# the user works in are read (their record rule would drop the others' rows anyway), and a row's id
# is built from what it is, (company, action, source record), so it does not depend on which
# companies are read: company * 2^32 + source * 2 + (1 for a coupon), below 2^53 for JavaScript.
# Won back: the customer's first confirmed order of the company on a local day from the action's
# day to the win-back days after it. Reads a.partner_id, a.company_id, a.action_date and company.
NEXT_ORDER_LATERAL = """
        SELECT MIN((so.date_order AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(cp.tz, 'UTC'))::date) AS first_order_date
          FROM sale_order so
          JOIN res_partner buyer ON buyer.id = so.partner_id
          JOIN res_partner cp ON cp.id = company.partner_id
         WHERE buyer.commercial_partner_id = a.partner_id
           AND so.company_id = a.company_id
           AND so.state = 'sale'
           -- a cheap UTC pre-filter, then the exact local order day
           AND so.date_order >= a.action_date - 1
           AND so.date_order < a.action_date + company.churn_winback_days + 2
           AND (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(cp.tz, 'UTC'))::date
               BETWEEN a.action_date AND a.action_date + company.churn_winback_days
"""
WINBACK_QUERY = f"""
WITH actions AS (
    SELECT 'visit' AS action_type, act.id AS source_id, target.commercial_partner_id AS partner_id,
           act.date_done AS action_date, act.user_id, company.id AS company_id, NULL::int AS card_id
      FROM mail_activity act
      JOIN res_partner target ON target.id = act.res_id
      CROSS JOIN res_company company
     WHERE act.res_model = 'res.partner' AND (act.date_done IS NOT NULL OR act.active)
       AND act.activity_type_id = %(visit_type_id)s
       AND company.id IN %(company_ids)s
    UNION ALL
    -- coupons only (loyalty, eWallet and next-order cards come with an order), on the company's day
    SELECT 'coupon', card.id, holder.commercial_partner_id,
           (card.create_date AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(company_partner.tz, 'UTC'))::date,
           holder.user_id, company.id, card.id
      FROM loyalty_card card
      JOIN loyalty_program program ON program.id = card.program_id
      JOIN res_partner holder ON holder.id = card.partner_id
      JOIN res_company company ON company.id = program.company_id OR program.company_id IS NULL
      JOIN res_partner company_partner ON company_partner.id = company.partner_id
     WHERE company.id IN %(company_ids)s
       AND program.program_type = 'coupons'
)
SELECT a.company_id::bigint * 4294967296 + a.source_id::bigint * 2 + (a.action_type = 'coupon')::int AS id,
       a.action_type, a.partner_id, a.action_date, a.user_id, a.company_id,
       snap.churn_state, snap.value_segment,
       CASE WHEN a.action_date IS NULL THEN 'planned' ELSE 'done' END AS action_status,
       1 AS planned_count,
       (a.action_date IS NOT NULL)::int AS done_count,
       (next_order.first_order_date IS NOT NULL)::int AS won_back_count,
       next_order.first_order_date,
       next_order.first_order_date IS NOT NULL AS won_back,
       -- NULL while planned: the average rate is over the actions done.
       CASE WHEN a.action_date IS NULL THEN NULL
            WHEN next_order.first_order_date IS NOT NULL THEN 100.0 ELSE 0.0 END AS won_back_rate,
       (a.card_id IS NOT NULL AND EXISTS (
            SELECT 1 FROM sale_order_line line JOIN sale_order so ON so.id = line.order_id
             WHERE line.coupon_id = a.card_id AND so.state = 'sale')) AS coupon_used
  FROM actions a
  JOIN res_company company ON company.id = a.company_id
  LEFT JOIN LATERAL ({NEXT_ORDER_LATERAL}) next_order ON TRUE
  LEFT JOIN LATERAL (
        SELECT s.churn_state, s.value_segment
          FROM customer_churn_snapshot s
          JOIN customer_churn_run run ON run.id = s.run_id
         WHERE s.partner_id = a.partner_id AND run.company_id = a.company_id
           AND run.as_of <= COALESCE(a.action_date, 'infinity'::date)
      ORDER BY run.as_of DESC, run.id DESC
         LIMIT 1
  ) snap ON TRUE
"""


class CustomerChurnWinback(models.Model):
    """Did the visit or the coupon win the customer back? (a confirmed order within N days)."""

    _name = "customer.churn.winback"
    _description = "Customer Win-back"
    _auto = False
    _order = "action_date desc"
    _rec_name = "partner_id"
    _depends = {
        "mail.activity": ["active", "date_done", "activity_type_id", "res_id", "res_model", "user_id"],
        "loyalty.card": ["partner_id", "program_id", "create_date"],
        "sale.order": ["state", "date_order", "partner_id", "company_id"],
        "sale.order.line": ["coupon_id", "order_id"],
        "customer.churn.snapshot": ["churn_state", "value_segment", "run_id", "partner_id"],
        "res.company": ["churn_winback_days", "partner_id"],
        "res.partner": ["commercial_partner_id", "user_id", "tz"],
        "loyalty.program": ["company_id", "program_type"],
        "customer.churn.run": ["company_id", "as_of"],
    }

    action_type = fields.Selection([("visit", "Visit"), ("coupon", "Coupon")], string="Action", readonly=True)
    action_status = fields.Selection([("planned", "Planned"), ("done", "Done")], string="Status", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    action_date = fields.Date(readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    churn_state = fields.Selection(CHURN_STATES, string="State Before", readonly=True)
    value_segment = fields.Selection(VALUE_SEGMENTS, string="Value Segment Before", readonly=True)
    first_order_date = fields.Date(string="Next Order", readonly=True)
    won_back = fields.Boolean(readonly=True)
    planned_count = fields.Integer(string="Planned", readonly=True, help="Every action, planned or done.")
    done_count = fields.Integer(string="Done", readonly=True, help="Visits marked done and coupons issued.")
    won_back_count = fields.Integer(string="Customers Won Back", readonly=True)
    won_back_rate = fields.Float(
        string="Win-back Rate (%)", aggregator="avg", readonly=True, help="Won back out of the actions done."
    )
    coupon_used = fields.Boolean(readonly=True)

    def init(self):
        # The "coupon used" lookup of every coupon row: Odoo indexes no sale line by its coupon.
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS sale_order_line_churn_coupon_id_index
                   ON sale_order_line (coupon_id) WHERE coupon_id IS NOT NULL"""
        )

    @property
    def _table_query(self):
        # Read, not recreated: the registry reads this query while the module installs, before its
        # data holds the type. Without the type there are no visit rows to show.
        visit_type = self.env.ref(VISIT_TYPE_XMLID, raise_if_not_found=False)
        return SQL(
            WINBACK_QUERY,
            visit_type_id=visit_type.id if visit_type else None,
            company_ids=tuple(self.env.companies.ids),
        )
