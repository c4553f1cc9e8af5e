from odoo import api, models
from odoo.tools import SQL

from ..lib.windows import month_start
from .churn_sql import confirmed_orders

CHART_MONTHS = 12


class CustomerChurnMonthlySales(models.AbstractModel):
    """A customer's last 12 months of sales and orders, for the chart on its Churn tab."""

    _name = "customer.churn.monthly.sales"
    _description = "Customer Churn Monthly Sales of a Customer"

    @api.model
    def get_partner_months(self, partner_id):
        """[{month, revenue, orders}] of the 12 months ending with the month of the customer's
        figures in the current company, oldest first; [] when the user may not read its figures.

        The figure's record rules decide, so a salesperson who sees his own customers only sees no
        other customer's sales here either.
        """
        company = self.env.company
        figure = self.env["customer.churn.figure"].search(
            [("partner_id", "=", partner_id), ("company_id", "=", company.id)], limit=1
        )
        if not figure or not figure.churn_as_of:
            return []
        as_of = figure.churn_as_of
        first_day = month_start(as_of, CHART_MONTHS - 1)
        self.env["sale.order"].flush_model(["state", "date_order", "amount_untaxed", "currency_rate", "partner_id"])
        # The orders are read in SQL so that a salesperson sees the sums of every order of a
        # customer whose figures he may read, as the figures themselves count them.
        customer = SQL("customer.id = %s", figure.partner_id.commercial_partner_id.id)
        rows = self.env.execute_query(
            SQL("SELECT day, amount FROM (%s) orders", confirmed_orders(company, first_day, as_of, customer))
        )
        months = {month_start(as_of, back): {"revenue": 0.0, "orders": 0} for back in range(CHART_MONTHS)}
        for day, amount in rows:
            month = months[month_start(day)]
            month["revenue"] += amount
            month["orders"] += 1
        return [{"month": start, "partial": start == month_start(as_of), **months[start]} for start in sorted(months)]
