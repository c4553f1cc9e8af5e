from odoo import api, models
from odoo.tools import SQL


class ResPartner(models.Model):
    """Keeps each change of a customer's salesperson (SPEC §13), however it is made."""

    _inherit = "res.partner"

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        with_salesperson = partners.filtered(lambda p: p.user_id and p.commercial_partner_id == p)
        self.env["customer.churn.salesperson.change"]._record_changes(with_salesperson, {})
        return partners

    def write(self, vals):
        if "user_id" not in vals:
            return super().write(vals)
        customers = self.filtered(lambda p: p.commercial_partner_id == p)
        old_users = {partner.id: partner.user_id.id for partner in customers}
        result = super().write(vals)
        changes = self.env["customer.churn.salesperson.change"]._record_changes(customers, old_users)
        self._refresh_churn_salesperson([change["partner_id"] for change in changes])
        return result

    @api.model
    def _refresh_churn_salesperson(self, partner_ids):
        """Refresh the salesperson flags of these customers at commit, in every company that has
        figures for them: a hand-over shows on the board at once."""
        if not partner_ids:
            return
        self.env["customer.churn.figure"].flush_model(["partner_id", "company_id"])
        rows = self.env.execute_query(
            SQL(
                "SELECT DISTINCT company_id FROM customer_churn_figure WHERE partner_id = ANY(%s)",
                list(partner_ids),
            )
        )
        self.env["customer.churn.engine"]._mark_current_for_refresh([row[0] for row in rows], set(partner_ids))
