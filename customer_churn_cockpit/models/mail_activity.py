from odoo import api, fields, models


class MailActivityType(models.Model):
    _inherit = "mail.activity.type"

    @api.model
    def _get_churn_visit_type(self):
        """The "Customer visit" type of this module (empty if someone deleted it)."""
        visit_type = self.env.ref("customer_churn_cockpit.mail_activity_type_customer_visit", raise_if_not_found=False)
        return visit_type or self.browse()


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """A customer visit marked done moves the customer's last visit date (SPEC §7).

        Odoo dates a done activity with the UTC day; a visit is dated with the salesperson's own
        day, as orders and coupons are dated locally (07:30 in Shanghai is still yesterday in UTC).
        """
        visit_type = self.env["mail.activity.type"]._get_churn_visit_type()
        visits = self.filtered(lambda act: act.res_model == "res.partner" and act.activity_type_id == visit_type)
        partner_ids = set(self.env["res.partner"].browse(visits.mapped("res_id")).exists().commercial_partner_id.ids)
        today = fields.Date.context_today(self)
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        # The visit type keeps done visits archived; another type may have deleted them.
        visits.exists().filtered(lambda act: not act.active).sudo().date_done = today
        if partner_ids:
            companies = self.env["res.company"].sudo().search([])
            self.env["customer.churn.engine"]._mark_for_refresh(companies.ids, partner_ids)
        return result
