from odoo import api, models


class SaleOrderLine(models.Model):
    """Editing the lines of a confirmed order changes its amount, so its customer's sales."""

    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id._mark_churn_customers()
        return lines

    def write(self, vals):
        result = super().write(vals)
        self.order_id._mark_churn_customers()
        return result

    def unlink(self):
        orders = self.order_id
        result = super().unlink()
        orders.exists()._mark_churn_customers()
        return result
