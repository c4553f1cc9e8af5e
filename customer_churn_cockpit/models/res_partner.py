from odoo import api, fields, models

CHURN_STATES = [
    ("never", "Never Traded"),
    ("active", "Active"),
    ("at_risk", "At Risk"),
    ("churned", "Churned"),
]
ABC_TIERS = [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")]
ABC_TRENDS = [("up", "Up"), ("down", "Down"), ("same", "Same"), ("new", "New")]
VALUE_SEGMENTS = [
    ("very_important", "Very Important"),
    ("important", "Important"),
    ("general", "General"),
    ("dormant", "Dormant"),
]


def churn_field(field_class, *args, **kwargs):
    """A per-company figure written in bulk by the churn engine.

    Odoo 18 stores company-dependent fields in one jsonb column keyed by company id, so one
    partner row holds every company's figures: ``partner.with_company(c).churn_state`` reads
    company c's value, and search/group-by work on them natively (list, kanban, pivot). The
    engine writes them with one UPDATE per run. No index: Odoo's default btree on the whole
    jsonb value serves no query of ours, and every index slows that bulk write. Only cockpit users
    read them: they are sales figures, and users without Sales may not read sale orders either.
    """
    kwargs.update(
        company_dependent=True,
        readonly=True,
        copy=False,
        index=False,
        groups="customer_churn_cockpit.group_churn_user",
    )
    return field_class(*args, **kwargs)


class ResPartner(models.Model):
    _inherit = "res.partner"

    churn_state = churn_field(fields.Selection, CHURN_STATES, string="Churn State")
    churn_as_of = churn_field(fields.Date, string="Figures As Of")
    churn_last_order_date = churn_field(fields.Date, string="Last Order Date")
    churn_days_since = churn_field(fields.Integer, string="Days Without Orders", aggregator="avg")
    churn_revenue_current = churn_field(fields.Float, string="Sales, Current Period")
    churn_revenue_previous = churn_field(fields.Float, string="Sales, Previous Period")
    churn_orders_current = churn_field(fields.Integer, string="Orders, Current Period")
    churn_orders_previous = churn_field(fields.Integer, string="Orders, Previous Period")
    churn_newly_churned = churn_field(fields.Boolean, string="Newly Churned")
    churn_traded_recently = churn_field(fields.Boolean, string="Traded Recently")
    churn_not_traded_recently = churn_field(fields.Boolean, string="Not Traded Recently")
    churn_sales_plunge = churn_field(fields.Boolean, string="Sales Plunge")
    churn_sales_surge = churn_field(fields.Boolean, string="Sales Surge")
    churn_orders_plunge = churn_field(fields.Boolean, string="Order-Count Plunge")
    churn_orders_rise = churn_field(fields.Boolean, string="Order-Count Rise")
    churn_cycle_days = churn_field(fields.Float, string="Order Cycle (days)", aggregator="avg")
    churn_next_order_date = churn_field(fields.Date, string="Next Expected Order")
    churn_cycle_overdue = churn_field(fields.Boolean, string="Overdue on Order Cycle")
    abc_tier = churn_field(fields.Selection, ABC_TIERS, string="ABC Tier")
    abc_tier_prev = churn_field(fields.Selection, ABC_TIERS, string="Previous ABC Tier")
    abc_trend = churn_field(fields.Selection, ABC_TRENDS, string="ABC Trend")
    abc_revenue = churn_field(fields.Float, string="ABC Month Sales")
    value_segment = churn_field(fields.Selection, VALUE_SEGMENTS, string="Value Segment")
    churn_last_visit_date = churn_field(fields.Date, string="Last Visit")
    churn_last_coupon_date = churn_field(fields.Date, string="Last Coupon")
    churn_days_since_visit = fields.Integer(
        string="Days Since Visit",
        compute="_compute_churn_days_since_visit",
        groups="customer_churn_cockpit.group_churn_user",
        help="Days from the last visit to the day the figures are computed for.",
    )

    @api.depends_context("company")
    @api.depends("churn_as_of", "churn_last_visit_date")
    def _compute_churn_days_since_visit(self):
        for partner in self:
            visited, as_of = partner.churn_last_visit_date, partner.churn_as_of
            partner.churn_days_since_visit = (as_of - visited).days if visited and as_of else 0
