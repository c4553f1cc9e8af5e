from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        """Recompute the survivor's figures in every company the merged customers had figures in,
        and keep the salespeople of the duplicates, whose orders now go to the survivor's, as a change.

        The merge moves the duplicates' orders onto the survivor, and their figure rows where the
        survivor had none: without a refresh, the survivor would show a duplicate's figures (or its
        own without the duplicate's orders) until the next run.
        """
        partners = self.env["res.partner"].browse(partner_ids).exists()
        Figure = self.env["customer.churn.figure"].sudo()
        companies = Figure.search([("partner_id", "in", partners.commercial_partner_id.ids)]).company_id
        salespeople = {
            partner.id: partner.user_id.id for partner in partners if partner.commercial_partner_id == partner
        }
        result = super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
        survivors = partners.exists().commercial_partner_id
        merged = [user_id for partner_id, user_id in salespeople.items() if partner_id not in survivors.ids]
        for survivor in survivors:
            self.env["customer.churn.salesperson.change"]._record_merge(survivor, merged)
        engine = self.env["customer.churn.engine"].sudo()
        for company in companies:
            engine._refresh_customers(company, set(survivors.ids))
        return result
