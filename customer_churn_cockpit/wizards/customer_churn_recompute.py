from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class CustomerChurnRecompute(models.TransientModel):
    """Recompute now, or as of an earlier day (a back-dated run), for the chosen companies."""

    _name = "customer.churn.recompute"
    _description = "Recompute Customer Churn Figures"

    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    as_of = fields.Date(
        string="As Of",
        help="Leave empty for today in each company's timezone; pick an earlier day for a back-dated run.",
    )

    @api.constrains("as_of")
    def _check_as_of(self):
        for wizard in self:
            if wizard.as_of and wizard.as_of > fields.Date.context_today(wizard):
                raise ValidationError(_("Pick today or an earlier day: figures cannot describe the future."))

    def action_recompute(self):
        self.ensure_one()
        summary = self.env["customer.churn.engine"].recompute(self.company_ids, self.as_of or None)
        message = _(
            "%(customers)s customers in %(seconds)s s: %(active)s active, %(at_risk)s at risk, "
            "%(churned)s churned, %(never)s never traded.",
            **summary,
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Churn figures recomputed"),
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
