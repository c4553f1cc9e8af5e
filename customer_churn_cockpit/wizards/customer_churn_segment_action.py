from markupsafe import Markup, escape

from odoo import _, api, fields, models


class CustomerChurnSegmentAction(models.AbstractModel):
    """What the visit and coupon wizards share: the selected customers and the closing summary."""

    _name = "customer.churn.segment.action"
    _description = "Act on a Customer Segment"

    partner_ids = fields.Many2many(
        "res.partner", string="Customers", required=True, default=lambda self: self._default_partners()
    )
    partner_count = fields.Integer(compute="_compute_partner_count")
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft", required=True)
    result_summary = fields.Html(readonly=True, sanitize=True)

    @api.model
    def _default_partners(self):
        """The customers chosen in a list or kanban: their commercial partners, once each."""
        if self.env.context.get("active_model") != "res.partner":
            return self.env["res.partner"]
        partners = self.env["res.partner"].browse(self.env.context.get("active_ids") or [])
        return partners.commercial_partner_id

    @api.depends("partner_ids")
    def _compute_partner_count(self):
        for wizard in self:
            wizard.partner_count = len(wizard.partner_ids)

    def _show_summary(self, title, skipped):
        """Close with what was done and what was skipped and why, on the same wizard.

        ``skipped`` maps each reason to the ids of the customers skipped for it.
        """
        lines = [Markup("<p><strong>%s</strong></p>") % title]
        if skipped:
            items = Markup("").join(
                Markup("<li>%s: %s</li>") % (reason, escape(self._names_of(partner_ids)))
                for reason, partner_ids in skipped.items()
            )
            lines.append(Markup("<p>%s</p><ul>%s</ul>") % (_("Skipped:"), items))
        self.write({"state": "done", "result_summary": Markup("").join(lines)})
        return self._action_reopen(_("Summary"))

    def _action_reopen(self, name):
        """The same wizard again, in its dialog, with what the button changed."""
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": name,
        }

    def _names_of(self, partner_ids):
        """The customers' names in alphabetical order, cut to what a summary line can show."""
        names = self.env["res.partner"].browse(partner_ids).mapped("display_name")
        return ", ".join(sorted(names))[:500]
