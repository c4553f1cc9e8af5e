import logging

from odoo import api, fields, models
from odoo.tools import convert_file

_logger = logging.getLogger(__name__)

VISIT_TYPE_XMLID = "customer_churn_cockpit.mail_activity_type_customer_visit"
VISIT_TYPE_FILE = "data/mail_activity_type.xml"


class MailActivityType(models.Model):
    _inherit = "mail.activity.type"

    @api.model
    def _get_churn_visit_type(self):
        """The "Customer visit" type of this module, recreated as shipped if someone deleted it.

        Plan Visits and the automatic visits both need it: without it the first failed and the
        second stopped silently.
        """
        visit_type = self.env.ref(VISIT_TYPE_XMLID, raise_if_not_found=False) or self._recreate_churn_visit_type()
        return self.browse(visit_type.id)

    @api.model
    def _recreate_churn_visit_type(self):
        """Load the type's data file again (its record is noupdate: only a missing one is created)."""
        _logger.warning("the activity type %s was deleted: recreating it", VISIT_TYPE_XMLID)
        env = self.sudo().env
        convert_file(env, "customer_churn_cockpit", VISIT_TYPE_FILE, {}, mode="update", noupdate=True)
        languages = [code for code, _name in env["res.lang"].get_installed() if code != "en_US"]
        if languages:
            env["ir.module.module"]._load_module_terms(["customer_churn_cockpit"], languages)
        return env.ref(VISIT_TYPE_XMLID)


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """A customer visit marked done moves the customer's last visit date (SPEC §7).

        Odoo dates a done activity with the UTC day; a visit is dated with the salesperson's own
        day, as orders and coupons are dated locally (07:30 in Shanghai is still yesterday in UTC).
        The figures follow at once, not at commit: the form that marked the visit done reads its
        Last Visit right after.
        """
        visit_type = self.env["mail.activity.type"]._get_churn_visit_type()
        visits = self.filtered(lambda act: act.res_model == "res.partner" and act.activity_type_id == visit_type)
        partner_ids = set(self.env["res.partner"].browse(visits.mapped("res_id")).exists().commercial_partner_id.ids)
        today = self._churn_visit_day()
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        # The visit type keeps done visits archived; another type may have deleted them.
        visits.exists().filtered(lambda act: not act.active).sudo().date_done = today
        if partner_ids:
            self.env["customer.churn.figure"]._record_visit(partner_ids, today)
            companies = self.env["res.company"].sudo().search([])
            self.env["customer.churn.engine"]._mark_for_refresh(companies.ids, partner_ids)
        return result

    def _churn_visit_day(self):
        """The day of the user who marks the visit done; without a timezone, the company's (then UTC)."""
        tz = self.env.context.get("tz") or self.env.user.tz or self.env.company._get_churn_timezone()
        return fields.Datetime.context_timestamp(self.with_context(tz=tz), fields.Datetime.now()).date()
