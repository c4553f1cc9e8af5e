from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    churn_period_days = fields.Integer(related="company_id.churn_period_days", readonly=False)
    churn_at_risk_days = fields.Integer(related="company_id.churn_at_risk_days", readonly=False)
    churn_churned_days = fields.Integer(related="company_id.churn_churned_days", readonly=False)
    churn_state_basis = fields.Selection(related="company_id.churn_state_basis", readonly=False)
    churn_at_risk_cycles = fields.Float(related="company_id.churn_at_risk_cycles", readonly=False)
    churn_churned_cycles = fields.Float(related="company_id.churn_churned_cycles", readonly=False)
    churn_cycle_min_days = fields.Integer(related="company_id.churn_cycle_min_days", readonly=False)
    churn_sales_plunge_percent = fields.Float(related="company_id.churn_sales_plunge_percent", readonly=False)
    churn_sales_surge_percent = fields.Float(related="company_id.churn_sales_surge_percent", readonly=False)
    churn_orders_plunge_count = fields.Integer(related="company_id.churn_orders_plunge_count", readonly=False)
    churn_orders_rise_count = fields.Integer(related="company_id.churn_orders_rise_count", readonly=False)
    churn_cycle_multiplier = fields.Float(related="company_id.churn_cycle_multiplier", readonly=False)
    churn_cycle_window_days = fields.Integer(related="company_id.churn_cycle_window_days", readonly=False)
    churn_cycle_min_order_days = fields.Integer(related="company_id.churn_cycle_min_order_days", readonly=False)
    churn_abc_a_percent = fields.Integer(related="company_id.churn_abc_a_percent", readonly=False)
    churn_abc_b_percent = fields.Integer(related="company_id.churn_abc_b_percent", readonly=False)
    churn_abc_c_percent = fields.Integer(
        string="ABC: C Share (%)", compute="_compute_churn_abc_c_percent", help="What A and B leave: tier C."
    )
    churn_value_window_days = fields.Integer(related="company_id.churn_value_window_days", readonly=False)
    churn_value_very_important_percent = fields.Integer(
        related="company_id.churn_value_very_important_percent", readonly=False
    )
    churn_value_important_percent = fields.Integer(related="company_id.churn_value_important_percent", readonly=False)
    churn_value_general_percent = fields.Integer(related="company_id.churn_value_general_percent", readonly=False)
    churn_history_days = fields.Integer(related="company_id.churn_history_days", readonly=False)
    churn_winback_days = fields.Integer(related="company_id.churn_winback_days", readonly=False)
    churn_backtest_horizon_days = fields.Integer(related="company_id.churn_backtest_horizon_days", readonly=False)
    churn_p_alive_threshold = fields.Float(related="company_id.churn_p_alive_threshold", readonly=False)
    churn_auto_visit = fields.Boolean(related="company_id.churn_auto_visit", readonly=False)
    churn_auto_visit_segment = fields.Selection(related="company_id.churn_auto_visit_segment", readonly=False)
    churn_auto_visit_user_id = fields.Many2one(related="company_id.churn_auto_visit_user_id", readonly=False)

    @api.depends("churn_abc_a_percent", "churn_abc_b_percent")
    def _compute_churn_abc_c_percent(self):
        for settings in self:
            settings.churn_abc_c_percent = 100 - settings.churn_abc_a_percent - settings.churn_abc_b_percent

    @api.onchange("churn_abc_a_percent", "churn_abc_b_percent")
    def _onchange_churn_abc_shares(self):
        return self.env["res.company"]._churn_abc_c_share_warning(self.churn_abc_c_percent)

    def action_churn_abc_preset_80_20(self):
        """The 2-8 rule: A holds the first 20% of revenue, B the next 60%."""
        self.write({"churn_abc_a_percent": 20, "churn_abc_b_percent": 60})
        return self.execute()

    def action_churn_recompute_now(self):
        self.execute()
        return self.env["customer.churn.recompute"].create({"company_ids": self.company_id.ids}).action_recompute()

    def action_churn_preview_states(self):
        """How many customers each basis would put in each state today, on the settings on screen.

        Like every button of the settings page, this one runs on saved settings: the page saves
        what is on screen first (related fields write through to the company when the settings
        record is created), so the preview counts on exactly those values.
        """
        return self.company_id.action_churn_preview_states()
