from odoo import _, models
from odoo.tools import SQL


class ResUsers(models.Model):
    _inherit = "res.users"

    def write(self, vals):
        result = super().write(vals)
        if "active" in vals or "company_ids" in vals:
            self._refresh_churn_customers()
        return result

    def _refresh_churn_customers(self):
        """A salesperson archived or taken out of a company: his customers' "salesperson left"
        flag follows at commit (SPEC §13)."""
        Figure = self.env["customer.churn.figure"]
        Figure.flush_model(["user_id", "company_id", "partner_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT company_id, array_agg(partner_id) FROM customer_churn_figure
                    WHERE user_id = ANY(%s) GROUP BY company_id""",
                self.ids,
            )
        )
        partner_ids = {partner_id for _company, ids in rows for partner_id in ids}
        self.env["customer.churn.engine"]._mark_current_for_refresh([row[0] for row in rows], partner_ids)

    def action_churn_hand_over(self):
        """The hand-over wizard, with this salesperson leaving."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Hand Over Customers"),
            "res_model": "customer.churn.handover.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_departing_user_id": self.id},
        }
