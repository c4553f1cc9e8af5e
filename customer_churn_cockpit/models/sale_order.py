from odoo import api, models

# Order fields whose change moves a customer's figures.
CHURN_FIELDS = {"state", "date_order", "partner_id", "company_id", "currency_id", "pricelist_id", "order_line"}


class SaleOrder(models.Model):
    _inherit = "sale.order"

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders._mark_churn_customers()
        return orders

    def write(self, vals):
        if CHURN_FIELDS.isdisjoint(vals):
            return super().write(vals)
        # Before and after: a confirmed order moved to another customer changes both.
        self._mark_churn_customers()
        result = super().write(vals)
        self._mark_churn_customers()
        return result

    def _mark_churn_customers(self):
        """Queue the customers of these orders (confirmed ones only) for an incremental refresh."""
        confirmed = self.filtered(lambda order: order.state == "sale")
        engine = self.env["customer.churn.engine"]
        for company in confirmed.company_id:
            orders = confirmed.filtered(lambda order, company=company: order.company_id == company)
            engine._mark_for_refresh(company.ids, set(orders.partner_id.commercial_partner_id.ids))
