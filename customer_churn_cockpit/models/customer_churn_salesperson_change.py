from datetime import datetime

import pytz

from odoo import api, fields, models

# How a change was made, read from the context of the write that made it.
CHANGE_SOURCES = [
    ("create", "New Customer"),
    ("edit", "Edited"),
    ("import", "Import"),
    ("handover", "Hand-Over"),
    ("merge", "Merge"),
]


class CustomerChurnSalespersonChange(models.Model):
    """One change of a customer's salesperson (SPEC §13: 业务员变更), kept whatever made it.

    Written by the cockpit only, in bulk, from ``res.partner``'s create and write: users read it
    under the rules of the customers it is about.
    """

    _name = "customer.churn.salesperson.change"
    _description = "Salesperson Change"
    _order = "day desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade"
    )
    day = fields.Date(
        required=True, readonly=True, index=True, help="The day of the change, in the company's timezone."
    )
    old_user_id = fields.Many2one("res.users", string="Previous Salesperson", readonly=True, ondelete="set null")
    new_user_id = fields.Many2one("res.users", string="New Salesperson", readonly=True, ondelete="set null")
    # The customer's salesperson now, for the record rules (as the figures' user_id).
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson", store=True, index=True)
    changed_by_id = fields.Many2one("res.users", string="Changed By", readonly=True, ondelete="set null")
    source = fields.Selection(CHANGE_SOURCES, required=True, readonly=True, default="edit")
    handover_id = fields.Many2one("customer.churn.handover", string="Hand-Over", readonly=True, ondelete="set null")

    @api.model
    def _record_changes(self, partners, old_users):
        """Keep one row per partner of ``partners`` whose salesperson moved from ``old_users``
        ({partner id: user id or False}; a partner missing from it was just created): one INSERT
        for them all. Returns the values of the rows kept."""
        source = self._change_source()
        vals_list = [
            self._prepare_change_vals(
                partner, old_users.get(partner.id), source if partner.id in old_users else "create"
            )
            for partner in partners
            if partner.user_id.id != (old_users.get(partner.id) or False)
        ]
        if vals_list:
            self.sudo().create(vals_list)
        return vals_list

    @api.model
    def _record_merge(self, survivor, old_user_ids):
        """The merged duplicates' orders now belong to ``survivor``: each other salesperson they had
        (``old_user_ids``) is replaced by the survivor's, a change kept as a merge."""
        vals_list = [
            self._prepare_change_vals(survivor, user_id, "merge")
            for user_id in sorted(set(old_user_ids) - {survivor.user_id.id, False})
        ]
        if vals_list:
            self.sudo().create(vals_list)
        return vals_list

    @api.model
    def _prepare_change_vals(self, partner, old_user_id, source):
        return {
            "partner_id": partner.id,
            "day": self._today(),
            "old_user_id": old_user_id or False,
            "new_user_id": partner.user_id.id,
            "changed_by_id": self.env.uid,
            "source": source,
            "handover_id": self.env.context.get("churn_handover_id") or False,
        }

    @api.model
    def _today(self):
        tz = pytz.timezone(self.env.company._get_churn_timezone())
        return datetime.now(tz).date()

    @api.model
    def _change_source(self):
        context = self.env.context
        if context.get("churn_change_source"):
            return context["churn_change_source"]
        return "import" if context.get("import_file") else "edit"
