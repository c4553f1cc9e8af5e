from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..lib import ChurnSettings
from ..lib.vocabulary import STATE_BASES, VALUE_SEGMENTS

# Company field -> ChurnSettings attribute: one place maps the settings page to the engine.
SETTINGS_FIELDS = {
    "churn_period_days": "period_days",
    "churn_at_risk_days": "at_risk_days",
    "churn_churned_days": "churned_days",
    "churn_state_basis": "state_basis",
    "churn_at_risk_cycles": "at_risk_cycles",
    "churn_churned_cycles": "churned_cycles",
    "churn_cycle_min_days": "cycle_min_days",
    "churn_sales_plunge_percent": "sales_plunge_percent",
    "churn_sales_surge_percent": "sales_surge_percent",
    "churn_orders_plunge_count": "orders_plunge_count",
    "churn_orders_rise_count": "orders_rise_count",
    "churn_cycle_multiplier": "cycle_multiplier",
    "churn_cycle_window_days": "cycle_window_days",
    "churn_cycle_min_order_days": "cycle_min_order_days",
    "churn_abc_a_percent": "abc_a_percent",
    "churn_abc_b_percent": "abc_b_percent",
    "churn_value_window_days": "value_window_days",
    "churn_value_very_important_percent": "value_very_important_percent",
    "churn_value_important_percent": "value_important_percent",
    "churn_value_general_percent": "value_general_percent",
}
# The largest value of each setting: ten years for periods and windows (the windows of a longer one
# reach before year 1), a year for a win-back; beyond these no distributor means what they typed.
SETTINGS_MAXIMUMS = {
    "churn_period_days": 3650,
    "churn_at_risk_days": 3650,
    "churn_churned_days": 3650,
    "churn_churned_cycles": 100,
    "churn_cycle_min_days": 3650,
    "churn_sales_surge_percent": 1000,
    "churn_orders_plunge_count": 10000,
    "churn_orders_rise_count": 10000,
    "churn_cycle_multiplier": 100,
    "churn_cycle_window_days": 3650,
    "churn_cycle_min_order_days": 366,
    "churn_value_window_days": 3650,
    "churn_history_days": 3650,
    "churn_winback_days": 365,
    "churn_backtest_horizon_days": 365,
}
DEFAULTS = ChurnSettings()
# What a churn manager may change on the companies they are allowed in, without the right to edit
# companies (only Settings administrators have it): the thresholds and the two retention windows.
MANAGER_WRITABLE_FIELDS = frozenset(
    {
        *SETTINGS_FIELDS,
        "churn_history_days",
        "churn_winback_days",
        "churn_backtest_horizon_days",
        "churn_p_alive_threshold",
        "churn_auto_visit",
        "churn_auto_visit_segment",
        "churn_auto_visit_user_id",
    }
)


class ResCompany(models.Model):
    _inherit = "res.company"

    churn_period_days = fields.Integer(
        string="Comparison Period (days)",
        default=DEFAULTS.period_days,
        help="Length P of the current window (the P days ending on the reference date) and of the "
        "previous window before it, used for sales and order-count changes.",
    )
    churn_at_risk_days = fields.Integer(
        string="At Risk After (days)",
        default=DEFAULTS.at_risk_days,
        help="A customer whose last order is at least this many days old is at risk (即将流失).",
    )
    churn_churned_days = fields.Integer(
        string="Churned After (days)",
        default=DEFAULTS.churned_days,
        help="A customer whose last order is at least this many days old is churned (已流失).",
    )
    churn_state_basis = fields.Selection(
        STATE_BASES,
        string="Judge Churn By",
        required=True,
        default=DEFAULTS.state_basis,
        help="Each customer's order cycle: a customer with an order cycle is at risk, then churned, after "
        "this many of its own cycles; the others after the days above. Fixed days: the days above for "
        "every customer.",
    )
    churn_at_risk_cycles = fields.Float(
        string="At Risk After (order cycles)",
        default=DEFAULTS.at_risk_cycles,
        help="On the order-cycle basis, a customer is at risk after this many of its own order cycles "
        "without an order, rounded up to whole days.",
    )
    churn_churned_cycles = fields.Float(
        string="Churned After (order cycles)",
        default=DEFAULTS.churned_cycles,
        help="On the order-cycle basis, a customer is churned after this many of its own order cycles "
        "without an order, rounded up to whole days, and at least one day after it is at risk.",
    )
    churn_cycle_min_days = fields.Integer(
        string="At Risk After at Least (days)",
        default=DEFAULTS.cycle_min_days,
        help="On the order-cycle basis, no customer is at risk sooner than this many days after its last "
        "order, however short its cycle.",
    )
    churn_sales_plunge_percent = fields.Float(
        string="Sales Plunge (%)",
        default=DEFAULTS.sales_plunge_percent,
        help="Sales of the current window at least this much below the previous window: sales plunge.",
    )
    churn_sales_surge_percent = fields.Float(
        string="Sales Surge (%)",
        default=DEFAULTS.sales_surge_percent,
        help="Sales of the current window at least this much above the previous window: sales surge.",
    )
    churn_orders_plunge_count = fields.Integer(
        string="Order-Count Plunge (more than)",
        default=DEFAULTS.orders_plunge_count,
        help="Orders of the previous window minus orders of the current window above this number: order-count plunge.",
    )
    churn_orders_rise_count = fields.Integer(
        string="Order-Count Rise (more than)",
        default=DEFAULTS.orders_rise_count,
        help="Orders of the current window minus orders of the previous window above this number: order-count rise.",
    )
    churn_cycle_multiplier = fields.Float(
        string="Overdue After (order cycles)",
        default=DEFAULTS.cycle_multiplier,
        help="A customer is overdue when its days without orders exceed this many of its own order cycles.",
    )
    churn_cycle_window_days = fields.Integer(
        string="Order Cycle Window (days)",
        default=DEFAULTS.cycle_window_days,
        help="The order cycle is the median gap between order days within this many days.",
    )
    churn_cycle_min_order_days = fields.Integer(
        string="Order Cycle Needs (order days)",
        default=DEFAULTS.cycle_min_order_days,
        help="Fewest distinct order days in the window for a customer to have an order cycle.",
    )
    churn_abc_a_percent = fields.Integer(
        string="ABC: A Share (%)",
        default=DEFAULTS.abc_a_percent,
        help="Customers holding the first this-many percent of last month's revenue are tier A.",
    )
    churn_abc_b_percent = fields.Integer(
        string="ABC: B Share (%)",
        default=DEFAULTS.abc_b_percent,
        help="The next this-many percent of last month's revenue are tier B; the rest is tier C.",
    )
    churn_abc_c_percent = fields.Integer(
        string="ABC: C Share (%)", compute="_compute_churn_abc_c_percent", help="What A and B leave: tier C."
    )
    churn_value_window_days = fields.Integer(
        string="Value Segment Window (days)",
        default=DEFAULTS.value_window_days,
        help="Customers are ranked by their revenue over this many days for the value segment.",
    )
    churn_value_very_important_percent = fields.Integer(
        string="Very Important (% of customers)",
        default=DEFAULTS.value_very_important_percent,
        help="Share of the ranked customers, from the top, that are very important.",
    )
    churn_value_important_percent = fields.Integer(
        string="Important (% of customers)",
        default=DEFAULTS.value_important_percent,
        help="Share of the ranked customers, after the very important ones, that are important.",
    )
    churn_value_general_percent = fields.Integer(
        string="General (% of customers)",
        default=DEFAULTS.value_general_percent,
        help="Share of the ranked customers, after the important ones, that are general; the rest are dormant.",
    )

    churn_history_days = fields.Integer(
        string="Keep Run History (days)",
        default=90,
        help="Runs older than this, with each customer's state and tiers at that run, are deleted.",
    )

    churn_winback_days = fields.Integer(
        string="Won Back Within (days)",
        default=30,
        help="A visit or coupon counts as a win-back when the customer confirms an order within this many days.",
    )

    churn_backtest_horizon_days = fields.Integer(
        string="Backtest Horizon (days)",
        default=60,
        help="The backtest replays past runs and counts a flagged customer as lost when it placed no order "
        "within this many days after the replayed day.",
    )
    churn_p_alive_threshold = fields.Float(
        string="Low P(alive) Below",
        default=0.3,
        help="The backtest's low P(alive) signal flags the customers whose probability of still buying is below this.",
    )

    churn_auto_visit = fields.Boolean(
        string="Plan Visits Automatically",
        help="After each run as of today, plan a visit for every customer that became at risk since the "
        "previous run, when its value segment is at least the chosen one.",
    )
    churn_auto_visit_segment = fields.Selection(
        VALUE_SEGMENTS,
        string="For Value Segments Down To",
        default="important",
        help="Customers in this value segment or a more valuable one get an automatic visit.",
    )
    churn_auto_visit_user_id = fields.Many2one(
        "res.users",
        string="Fallback Salesperson for Automatic Visits",
        domain="[('share', '=', False)]",
        help="Receives the automatic visits of customers that have no salesperson; without one they are skipped.",
    )

    @api.depends("churn_abc_a_percent", "churn_abc_b_percent")
    def _compute_churn_abc_c_percent(self):
        for company in self:
            company.churn_abc_c_percent = 100 - company.churn_abc_a_percent - company.churn_abc_b_percent

    @api.onchange("churn_abc_a_percent", "churn_abc_b_percent")
    def _onchange_churn_abc_shares(self):
        return self._churn_abc_c_share_warning(self.churn_abc_c_percent)

    @api.constrains(
        *SETTINGS_FIELDS,
        "churn_history_days",
        "churn_winback_days",
        "churn_backtest_horizon_days",
        "churn_p_alive_threshold",
        "churn_auto_visit",
        "churn_auto_visit_segment",
        "churn_auto_visit_user_id",
    )
    def _check_churn_settings(self):
        for company in self:
            if errors := company._get_churn_settings_errors():
                raise ValidationError("\n".join(errors))

    def _get_churn_settings_errors(self):
        """Messages of every rule the company's thresholds break (empty when valid)."""
        self.ensure_one()
        return [message for valid, message in self._churn_settings_rules() if not valid]

    def _churn_settings_rules(self):
        bands = (
            self.churn_value_very_important_percent,
            self.churn_value_important_percent,
            self.churn_value_general_percent,
        )
        return [
            (self.churn_period_days >= 1, _("The comparison period must be at least one day.")),
            (
                1 <= self.churn_at_risk_days < self.churn_churned_days,
                _("At-risk days must be at least 1 and fewer than churned days."),
            ),
            (
                1 <= self.churn_at_risk_cycles < self.churn_churned_cycles,
                _("At-risk order cycles must be at least 1 and fewer than churned order cycles."),
            ),
            (
                self.churn_cycle_min_days >= 1,
                _("The fewest days before a customer on its order cycle is at risk must be at least 1."),
            ),
            (
                0 < self.churn_sales_plunge_percent < 100,
                _("The sales plunge percentage must be between 0 and 100 (both excluded)."),
            ),
            (self.churn_sales_surge_percent > 0, _("The sales surge percentage must be above 0.")),
            (
                self.churn_orders_plunge_count >= 0 and self.churn_orders_rise_count >= 0,
                _("Order-count differences cannot be negative."),
            ),
            (self.churn_cycle_multiplier > 0, _("The order-cycle multiplier must be above 0.")),
            (self.churn_cycle_min_order_days >= 2, _("An order cycle needs at least 2 order days.")),
            (
                self.churn_cycle_window_days >= 2 and self.churn_value_window_days >= 1,
                _("The order-cycle and value-segment windows must span at least a few days."),
            ),
            (
                self.churn_abc_a_percent >= 1 and self.churn_abc_b_percent >= 0,
                _("The A share must be at least 1% and the B share cannot be negative."),
            ),
            (self.churn_abc_c_percent >= 0, self._churn_abc_c_share_message(self.churn_abc_c_percent)),
            (self.churn_history_days >= 1, _("Run history must be kept for at least one day.")),
            (self.churn_winback_days >= 1, _("The win-back window must be at least one day.")),
            (self.churn_backtest_horizon_days >= 1, _("The backtest horizon must be at least one day.")),
            (
                0 < self.churn_p_alive_threshold < 1,
                _("The low P(alive) threshold must be between 0 and 1 (both excluded)."),
            ),
            (
                min(bands) >= 0 and sum(bands) <= 100,
                _("Value segment bands cannot be negative and together cannot exceed 100%."),
            ),
            (
                not self.churn_auto_visit or self.churn_auto_visit_segment,
                _("Choose down to which value segment visits are planned automatically."),
            ),
            (
                not self.churn_auto_visit_user_id.share,
                _("The fallback salesperson for automatic visits must be an internal user, not a portal user."),
            ),
            *self._churn_settings_maximum_rules(),
        ]

    @api.model
    def _churn_abc_c_share_warning(self, c_percent):
        """Warn while typing, in the words the constraint refuses the save with."""
        if c_percent >= 0:
            return None
        title = self._fields["churn_abc_c_percent"]._description_string(self.env)
        return {"warning": {"title": title, "message": self._churn_abc_c_share_message(c_percent)}}

    @api.model
    def _churn_abc_c_share_message(self, c_percent):
        """Names the C share, the field that shows the problem, with the A and B shares to change."""
        return _(
            "%(c_share)s cannot be negative (%(c_percent)s%%): %(a_share)s and %(b_share)s together exceed 100%%.",
            c_share=self._fields["churn_abc_c_percent"]._description_string(self.env),
            c_percent=c_percent,
            a_share=self._fields["churn_abc_a_percent"]._description_string(self.env),
            b_share=self._fields["churn_abc_b_percent"]._description_string(self.env),
        )

    def _churn_settings_maximum_rules(self):
        return [
            (
                self[fname] <= maximum,
                _(
                    "%(setting)s cannot be more than %(maximum)s.",
                    setting=self._fields[fname]._description_string(self.env),
                    maximum=maximum,
                ),
            )
            for fname, maximum in SETTINGS_MAXIMUMS.items()
        ]

    def write(self, vals):
        if self._is_churn_manager_write(vals):
            self._check_churn_manager_companies()
            # Like the preferences users may write on themselves (res.users' SELF_WRITEABLE_FIELDS):
            # only these fields, on allowed companies, so the ACL on companies can be bypassed.
            return super(ResCompany, self.sudo()).write(vals)
        return super().write(vals)

    def _is_churn_manager_write(self, vals):
        return (
            bool(vals)
            and not self.env.su
            and MANAGER_WRITABLE_FIELDS.issuperset(vals)
            and self.env.user.has_group("customer_churn_cockpit.group_churn_manager")
        )

    def _check_churn_manager_companies(self):
        if self - self.env.user.company_ids:
            raise AccessError(_("You can only change the churn settings of the companies you are allowed in."))

    @api.model
    def action_open_churn_settings(self):
        """The churn settings of the current company, for churn managers who are not administrators."""
        return {
            "type": "ir.actions.act_window",
            "name": _("Churn Settings"),
            "res_model": "res.company",
            "res_id": self.env.company.id,
            "views": [(self.env.ref("customer_churn_cockpit.res_company_view_form_churn_settings").id, "form")],
            "target": "current",
        }

    def action_churn_abc_preset_80_20(self):
        """The 2-8 rule: A holds the first 20% of revenue, B the next 60%."""
        self.write({"churn_abc_a_percent": 20, "churn_abc_b_percent": 60})

    def action_churn_recompute_now(self):
        return self.env["customer.churn.recompute"].create({"company_ids": self.ids}).action_recompute()

    def action_churn_preview_states(self):
        """How many customers each basis would put in each state today, on the company's settings."""
        self.ensure_one()
        if not self.env.su:
            self._check_churn_manager_companies()
        return self.env["customer.churn.state.preview"]._action_open(self, self._get_churn_settings())

    def _get_churn_settings(self):
        """The company's thresholds as the engine's plain settings object."""
        self.ensure_one()
        return ChurnSettings(**{attr: self[fname] for fname, attr in SETTINGS_FIELDS.items()})

    def _get_churn_timezone(self):
        """The company's timezone (its partner's), UTC when unset (SPEC §1)."""
        self.ensure_one()
        return self.partner_id.tz or "UTC"
