from odoo import api, fields, models
from odoo.tools.misc import format_date, formatLang

# Each flag's sentence and the figures it quotes: (flag, message, the two figures).
SALES_FLAGS = ("churn_sales_plunge", "churn_sales_surge")
ORDER_FLAGS = ("churn_orders_plunge", "churn_orders_rise")
# The reason's parts are joined as each language punctuates a list of clauses.
SEPARATORS = {"zh_CN": "；", "zh_TW": "；", "zh_HK": "；"}


class CustomerChurnFigure(models.Model):
    """Why a customer is flagged (SPEC §10), written at display time in the reader's language.

    Nothing is stored: the reason is rendered from the stored figures (the state, the lines it was
    judged by, the flags, the tiers, the forecast), so switching language re-renders it.
    """

    _inherit = "customer.churn.figure"

    churn_reason = fields.Char(
        string="Why",
        compute="_compute_churn_reason",
        help="Each rule that holds for the customer, with its figures.",
    )

    @api.depends_context("lang")
    @api.depends(lambda self: self._churn_reason_depends())
    def _compute_churn_reason(self):
        separator = SEPARATORS.get(self.env.lang, "; ")
        for figure in self:
            figure.churn_reason = separator.join(figure._churn_reason_parts()) or False

    @api.model
    def _churn_reason_depends(self):
        names = [name for name in self._fields if name.startswith(("churn_", "abc_")) and name != "churn_reason"]
        return [
            *names,
            "company_id.churn_state_basis",
            "company_id.churn_period_days",
            "company_id.churn_cycle_multiplier",
        ]

    def _churn_reason_parts(self):
        self.ensure_one()
        if not self.churn_state:
            return []
        return [
            *self._churn_state_reason(),
            *self._churn_flag_reasons(),
            *self._churn_salesperson_reasons(),
            *self._churn_abc_reason(),
            *self._churn_forecast_reasons(),
        ]

    def _churn_state_reason(self):
        _ = self.env._
        days, at_risk, churned = self.churn_days_since, self.churn_at_risk_after, self.churn_churned_after
        parts = {
            "never": lambda: _("never ordered"),
            "active": lambda: _(
                "active: last order %(days)s days ago, at risk from day %(at_risk)s", days=days, at_risk=at_risk
            ),
            "at_risk": lambda: _(
                "at risk: no order for %(days)s days (at risk from day %(at_risk)s, churned from day %(churned)s)",
                days=days,
                at_risk=at_risk,
                churned=churned,
            ),
            "churned": lambda: _(
                "churned: no order for %(days)s days (churned from day %(churned)s)", days=days, churned=churned
            ),
        }
        reasons = [parts[self.churn_state]()]
        if self.churn_state != "never" and self._churn_line_from_cycle():
            reasons.append(
                _("lines from its order cycle of %(cycle)s days", cycle=self._churn_number(self.churn_cycle_days, 1))
            )
        return reasons

    def _churn_line_from_cycle(self):
        return self.company_id.churn_state_basis == "cycle" and bool(self.churn_cycle_days)

    def _churn_flag_reasons(self):
        _ = self.env._
        period = self.company_id.churn_period_days
        reasons = []
        if self.churn_newly_churned:
            reasons.append(_("newly churned within the last %(period)s days", period=period))
        if self.churn_traded_recently:
            reasons.append(
                _("%(orders)s orders in the last %(period)s days", orders=self.churn_orders_current, period=period)
            )
        if self.churn_not_traded_recently:
            reasons.append(_("no order in the last %(period)s days", period=period))
        sales = {
            "previous": self._churn_money(self.churn_revenue_previous),
            "current": self._churn_money(self.churn_revenue_current),
        }
        if self.churn_sales_plunge:
            reasons.append(_("sales plunged from %(previous)s to %(current)s", **sales))
        if self.churn_sales_surge:
            reasons.append(_("sales surged from %(previous)s to %(current)s", **sales))
        orders = {"previous": self.churn_orders_previous, "current": self.churn_orders_current}
        if self.churn_orders_plunge:
            reasons.append(_("orders fell from %(previous)s to %(current)s", **orders))
        if self.churn_orders_rise:
            reasons.append(_("orders rose from %(previous)s to %(current)s", **orders))
        if self.churn_cycle_overdue:
            reasons.append(
                _(
                    "no order for over %(times)s order cycles: orders every %(cycle)s days, next order expected on "
                    "%(day)s",
                    times=format(self.company_id.churn_cycle_multiplier, "g"),
                    cycle=self._churn_number(self.churn_cycle_days, 1),
                    day=format_date(self.env, self.churn_next_order_date),
                )
            )
        return reasons

    def _churn_salesperson_reasons(self):
        """SPEC §13: why the salesperson counts as gone, and a recent change of salesperson."""
        _ = self.env._
        reasons = []
        user = self.sudo().user_id
        if self.churn_salesperson_left:
            if not user:
                reasons.append(_("no salesperson, though it bought in the last 365 days"))
            elif not user.active:
                reasons.append(_("salesperson %(name)s left (archived)", name=user.name))
            else:
                reasons.append(_("salesperson %(name)s is no longer in the company", name=user.name))
        if self.churn_salesperson_changed:
            reasons.append(
                _("new salesperson within the last %(period)s days", period=self.company_id.churn_period_days)
            )
        return reasons

    def _churn_abc_reason(self):
        _ = self.env._
        if self.abc_trend in ("up", "down"):
            return [_("ABC tier %(before)s → %(now)s", before=self.abc_tier_prev, now=self.abc_tier)]
        if self.abc_trend == "new":
            return [_("new in ABC tier %(now)s", now=self.abc_tier)]
        return []

    def _churn_forecast_reasons(self):
        """P(alive) and the revenue at stake, where the company's models gave them. An empty figure
        reads as 0, and the formula's P(alive) is never 0 for a customer that ordered."""
        _ = self.env._
        reasons = []
        if self.churn_p_alive:
            percent = self._churn_number(self.churn_p_alive * 100, 0)
            if self.churn_likely_lost:
                reasons.append(_("likely lost: P(alive) %(percent)s%%", percent=percent))
            else:
                reasons.append(_("P(alive) %(percent)s%%", percent=percent))
        if self.churn_revenue_at_stake > 0:
            reasons.append(_("%(amount)s at stake", amount=self._churn_money(self.churn_revenue_at_stake)))
        return reasons

    def _churn_money(self, amount):
        return formatLang(self.env, amount or 0.0, currency_obj=self.company_id.currency_id)

    def _churn_number(self, value, digits):
        text = formatLang(self.env, value or 0.0, digits=digits)
        # "12.0" reads as "12": a cycle of whole days has no decimals to show.
        decimal_point = self.env["res.lang"]._get_data(code=self.env.lang or "en_US").decimal_point
        return text.removesuffix(f"{decimal_point}0") if digits == 1 else text
