from odoo import api, fields, models
from odoo.tools import SQL

from .res_partner import ABC_TIERS, CHURN_STATES, VALUE_SEGMENTS


class CustomerChurnSnapshot(models.Model):
    """A customer's state and tiers at one run, so the cockpit can show movement between runs."""

    _name = "customer.churn.snapshot"
    _description = "Customer Churn Snapshot"
    _log_access = False

    run_id = fields.Many2one("customer.churn.run", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="run_id.company_id")
    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade")
    churn_state = fields.Selection(CHURN_STATES)
    abc_tier = fields.Selection(ABC_TIERS)
    value_segment = fields.Selection(VALUE_SEGMENTS)

    @api.model
    def _record_from_figures(self, run):
        """Copy the run's figures from the engine's temporary table in one INSERT."""
        self.env.cr.execute(
            SQL(
                """INSERT INTO customer_churn_snapshot (run_id, partner_id, churn_state, abc_tier, value_segment)
                   SELECT %s, partner_id, churn_state, abc_tier, value_segment FROM churn_figures""",
                run.id,
            )
        )
        run.invalidate_recordset(["snapshot_ids"])
