from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .customer_churn_extract import DAILY_CTES, ORDERS_FROM

# The aftermath of a hand-over (SPEC §13): who stopped buying within these days after it.
AFTERMATH_DAYS = 90
# A customer is counted in the aftermath when it bought within this many days up to the hand-over.
AFTERMATH_BASE_DAYS = 365
# How many of the company's latest hand-overs the board shows.
BOARD_HANDOVERS = 5

AFTERMATH_QUERY = f"""
WITH {DAILY_CTES}, handover AS (
    SELECT id, day, LEAST(day + %(aftermath_days)s, %(as_of)s) AS until
      FROM customer_churn_handover
     WHERE id = ANY(%(handover_ids)s)
), base AS (
    SELECT handover.id AS handover_id, daily.partner_id,
           bool_or(daily.day > handover.day) AS bought_after
      FROM handover
      JOIN daily ON daily.day BETWEEN handover.day - %(base_days)s + 1 AND handover.until
  GROUP BY handover.id, daily.partner_id
    HAVING bool_or(daily.day <= handover.day)
)
SELECT base.handover_id, line.id IS NOT NULL AS handed,
       COUNT(*)::int AS customers, (COUNT(*) FILTER (WHERE NOT base.bought_after))::int AS lost
  FROM base
  LEFT JOIN customer_churn_handover_line line
         ON line.handover_id = base.handover_id AND line.partner_id = base.partner_id
 GROUP BY base.handover_id, line.id IS NOT NULL
"""


class CustomerChurnHandover(models.Model):
    """One hand-over (客户交接) of a departing salesperson's customers, as the wizard made it."""

    _name = "customer.churn.handover"
    _description = "Customer Hand-Over"
    _order = "day desc, id desc"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    day = fields.Date(required=True, readonly=True)
    departing_user_id = fields.Many2one(
        "res.users", string="Departing Salesperson", required=True, readonly=True, context={"active_test": False}
    )
    receiver_ids = fields.Many2many("res.users", string="Receiving Salespeople", readonly=True)
    line_ids = fields.One2many("customer.churn.handover.line", "handover_id", string="Customers", readonly=True)
    customer_count = fields.Integer(string="Number of Customers", readonly=True)
    revenue = fields.Float(string="Sales, Last 365 Days", readonly=True)
    visits_planned = fields.Boolean(string="Introduction Visits", readonly=True)
    # The aftermath (SPEC §13), from the orders: computed when read.
    aftermath_days = fields.Integer(string="Days Watched", compute="_compute_aftermath")
    handed_lost_percent = fields.Float(string="Lost, Handed-Over Customers (%)", compute="_compute_aftermath")
    others_lost_percent = fields.Float(string="Lost, Other Customers (%)", compute="_compute_aftermath")

    @api.depends("day", "line_ids")
    def _compute_aftermath(self):
        for handover in self:
            handover.aftermath_days = handover.handed_lost_percent = handover.others_lost_percent = 0
        for company in self.company_id:
            handovers = self.filtered(lambda h, company=company: h.company_id == company)
            as_of = self.env["customer.churn.engine"]._today(company)
            shares = self._aftermath_shares(company, handovers, as_of)
            for handover in handovers:
                handover.aftermath_days = max(0, min(AFTERMATH_DAYS, (as_of - handover.day).days))
                handover.handed_lost_percent = shares.get((handover.id, True), 0.0)
                handover.others_lost_percent = shares.get((handover.id, False), 0.0)

    def _compute_display_name(self):
        for handover in self:
            handover.display_name = self.env._(
                "%(user)s, %(day)s", user=handover.departing_user_id.name, day=handover.day
            )

    @api.model
    def _aftermath_shares(self, company, handovers, as_of):
        """{(hand-over id, handed over?): percent lost}: of the customers that bought in the year up
        to the hand-over, the share that bought nothing in the 90 days after it (up to ``as_of``),
        for its customers and for the company's others. One SQL pass for all the hand-overs."""
        self.env.flush_all()
        earliest = min(handovers.mapped("day")) - timedelta(days=AFTERMATH_BASE_DAYS)
        rows = self.env.execute_query(
            SQL(
                AFTERMATH_QUERY,
                tz=company._get_churn_timezone(),
                company_id=company.id,
                # A day wider in UTC than the earliest local day any hand-over looks back to.
                orders_from=max(ORDERS_FROM, datetime.combine(earliest - timedelta(days=1), time.min)),
                orders_before=as_of + timedelta(days=2),
                as_of=as_of,
                order_scope=SQL("TRUE"),
                aftermath_days=AFTERMATH_DAYS,
                base_days=AFTERMATH_BASE_DAYS,
                handover_ids=handovers.ids,
            )
        )
        return {(handover_id, handed): 100.0 * lost / customers for handover_id, handed, customers, lost in rows}

    @api.model
    def _get_board_aftermath(self, company):
        """The company's latest hand-overs and what became of their customers, for the board."""
        handovers = self.search([("company_id", "=", company.id)], limit=BOARD_HANDOVERS)
        return [
            {
                "id": handover.id,
                "day": handover.day,
                "departing": handover.departing_user_id.name,
                "receivers": ", ".join(handover.receiver_ids.mapped("name")),
                "customers": handover.customer_count,
                "revenue": handover.revenue,
                "days": handover.aftermath_days,
                "handed_lost": round(handover.handed_lost_percent, 1),
                "others_lost": round(handover.others_lost_percent, 1),
            }
            for handover in handovers
        ]


class CustomerChurnHandoverLine(models.Model):
    _name = "customer.churn.handover.line"
    _description = "Customer Hand-Over Line"
    _order = "handover_id, new_user_id, revenue desc, partner_id"

    handover_id = fields.Many2one("customer.churn.handover", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="handover_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade"
    )
    old_user_id = fields.Many2one("res.users", string="Previous Salesperson", readonly=True)
    new_user_id = fields.Many2one("res.users", string="New Salesperson", readonly=True)
    revenue = fields.Float(string="Sales, Last 365 Days", readonly=True)
