from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib import uplift as uplift_lib

MAX_CONTROL_PERCENT = 50


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
    control_percent = fields.Float(
        string="Control Group (%)",
        default=0.0,
        help="This share of the customers (rounded down), drawn at random, gets nothing: comparing them with the "
        "others shows how many customers the action really won back.",
    )
    action_id = fields.Many2one("customer.churn.action", string="Recorded Action", readonly=True)

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

    @api.constrains("control_percent")
    def _check_control_percent(self):
        for wizard in self:
            if not 0 <= wizard.control_percent <= MAX_CONTROL_PERCENT:
                raise ValidationError(_("The control group must be between 0% and 50% of the customers."))

    def _held_back_ids(self, company):
        """Customers still in the control group of an earlier action: they must stay untreated."""
        today = self.env["customer.churn.engine"]._today(company)
        return self.env["customer.churn.action"]._held_back_partner_ids(company, today)

    def _draw_control_group(self, partner_ids):
        """(treated ids, control ids, seed): the control share of ``partner_ids`` drawn at random."""
        seed = uplift_lib.new_seed()
        control = uplift_lib.draw_control_group(partner_ids, self.control_percent, seed)
        return sorted(set(partner_ids) - set(control)), control, seed

    def _record_action(self, action_type, company, treated, control, seed):
        """Keep the action with both groups; an action that reached nobody is not kept."""
        if not treated and not control:
            return
        today = self.env["customer.churn.engine"]._today(company)
        self.action_id = self.env["customer.churn.action"]._record(
            action_type, company, today, seed, self.control_percent, treated, control
        )

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
