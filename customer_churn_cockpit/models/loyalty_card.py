from odoo import api, models


class LoyaltyCard(models.Model):
    _inherit = "loyalty.card"

    @api.model_create_multi
    def create(self, vals_list):
        """A coupon issued to a customer moves the customer's last coupon date (SPEC §7)."""
        cards = super().create(vals_list)
        # Loyalty, eWallet and next-order cards come with an order: only coupons count (SPEC §7).
        holders = cards.filtered(lambda card: card.partner_id and card.program_id.program_type == "coupons")
        if holders:
            companies = holders.program_id.company_id or self.env["res.company"].sudo().search([])
            self.env["customer.churn.engine"]._mark_for_refresh(
                companies.ids, set(holders.partner_id.commercial_partner_id.ids)
            )
        return cards
