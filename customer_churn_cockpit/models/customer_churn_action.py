"""One visit or coupon campaign with its control group (SPEC §12), and what it won back.

The wizard records the customers it treated and those it held back, with the seed of the draw
(``lib/uplift.draw_control_group`` redraws the control group from the members and the seed).
Won back is the win-back results' rule: a confirmed order within the company's win-back days
from the action's day (``NEXT_ORDER_LATERAL``, shared with ``customer.churn.winback``).
"""

from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..lib import uplift as uplift_lib
from .customer_churn_winback import NEXT_ORDER_LATERAL

ACTION_TYPES = [("visit", "Visit"), ("coupon", "Coupon")]
GROUPS = [("treated", "Treated"), ("control", "Control")]

# Per action and group: members, and members won back. ``a`` holds the rows NEXT_ORDER_LATERAL reads.
RESULTS_QUERY = f"""
SELECT a.action_id, a.member_group, COUNT(*), COUNT(next_order.first_order_date)
  FROM (SELECT line.action_id, line.member_group, line.partner_id, act.company_id, act.day AS action_date
          FROM customer_churn_action_line line
          JOIN customer_churn_action act ON act.id = line.action_id
         WHERE act.id = ANY(%(action_ids)s)) a
  JOIN res_company company ON company.id = a.company_id
  LEFT JOIN LATERAL ({NEXT_ORDER_LATERAL}) next_order ON TRUE
 GROUP BY a.action_id, a.member_group
"""


class CustomerChurnAction(models.Model):
    """A visit or coupon campaign on chosen customers: who was treated, who was held back, and the uplift."""

    _name = "customer.churn.action"
    _description = "Customer Churn Action"
    _order = "day desc, id desc"

    name = fields.Char(compute="_compute_name")
    action_type = fields.Selection(ACTION_TYPES, string="Action", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade", readonly=True)
    day = fields.Date(required=True, readonly=True)
    user_id = fields.Many2one("res.users", string="By", readonly=True, ondelete="set null")
    seed = fields.Integer(readonly=True, help="The seed the control group was drawn with: the draw can be redone.")
    control_percent = fields.Float(string="Control Share (%)", readonly=True)
    line_ids = fields.One2many("customer.churn.action.line", "action_id", string="Customers", readonly=True)
    treated_count = fields.Integer(string="Treated", compute="_compute_results")
    control_count = fields.Integer(string="Control", compute="_compute_results")
    treated_won = fields.Integer(string="Treated Won Back", compute="_compute_results")
    control_won = fields.Integer(string="Control Won Back", compute="_compute_results")
    treated_rate = fields.Float(string="Treated Rate (%)", compute="_compute_results")
    control_rate = fields.Float(string="Control Rate (%)", compute="_compute_results")
    uplift = fields.Float(string="Uplift (points)", compute="_compute_results")
    uplift_low = fields.Float(string="Uplift From", compute="_compute_results")
    uplift_high = fields.Float(string="Uplift To", compute="_compute_results")
    result_sentence = fields.Char(string="Result", compute="_compute_results")

    @api.depends("action_type", "day")
    def _compute_name(self):
        types = dict(self._fields["action_type"]._description_selection(self.env))
        for action in self:
            action.name = f"{types.get(action.action_type, '')} {action.day or ''}".strip()

    @api.depends("line_ids", "day", "company_id.churn_winback_days")
    def _compute_results(self):
        counts = self._count_won_back()
        for action in self:
            treated, treated_won = counts.get((action.id, "treated"), (0, 0))
            control, control_won = counts.get((action.id, "control"), (0, 0))
            figures = uplift_lib.uplift(treated_won, treated, control_won, control)
            action.update(
                {
                    "treated_count": treated,
                    "control_count": control,
                    "treated_won": treated_won,
                    "control_won": control_won,
                    **{key: figures[key] or 0.0 for key in ("treated_rate", "control_rate")},
                    **{key: figures[key] or 0.0 for key in ("uplift", "uplift_low", "uplift_high")},
                    "result_sentence": action._result_sentence(figures),
                }
            )

    def _count_won_back(self):
        """{(action id, group): (members, won back)}, in one query over the stored actions."""
        ids = [action_id for action_id in self.ids if isinstance(action_id, int)]
        if not ids:
            return {}
        self.env.flush_all()
        rows = self.env.execute_query(SQL(RESULTS_QUERY, action_ids=ids))
        return {(action_id, group): (members, won) for action_id, group, members, won in rows}

    def _result_sentence(self, figures):
        """The uplift in plain words, in the reader's language, with its margin (half the interval)."""
        if figures["uplift"] is None:
            return _("No control group: the uplift cannot be measured.")
        if self.day + timedelta(days=self.company_id.churn_winback_days) >= fields.Date.context_today(self):
            prefix = _("So far: ")
        else:
            prefix = ""
        values = {
            "points": round(abs(figures["uplift"])),
            "margin": round((figures["uplift_high"] - figures["uplift_low"]) / 2),
        }
        more = figures["uplift"] >= 0
        if self.action_type == "visit" and more:
            sentence = _(
                "Visits won back %(points)s points more customers than doing nothing, give or take %(margin)s.",
                **values,
            )
        elif self.action_type == "visit":
            sentence = _(
                "Visits won back %(points)s points fewer customers than doing nothing, give or take %(margin)s.",
                **values,
            )
        elif more:
            sentence = _(
                "Coupons won back %(points)s points more customers than doing nothing, give or take %(margin)s.",
                **values,
            )
        else:
            sentence = _(
                "Coupons won back %(points)s points fewer customers than doing nothing, give or take %(margin)s.",
                **values,
            )
        return prefix + sentence

    @api.model
    def _record(self, action_type, company, day, seed, control_percent, treated, control):
        """Keep the action with its members: ``treated`` and ``control`` are lists of partner ids."""
        lines = [{"partner_id": pid, "member_group": "treated"} for pid in treated]
        lines += [{"partner_id": pid, "member_group": "control"} for pid in control]
        return self.sudo().create(
            {
                "action_type": action_type,
                "company_id": company.id,
                "day": day,
                "user_id": self.env.user.id,
                "seed": seed,
                "control_percent": control_percent,
                "line_ids": [fields.Command.create(values) for values in lines],
            }
        )

    @api.model
    def _held_back_partner_ids(self, company, day):
        """Customers in the control group of an action of the company whose win-back window is open on ``day``.

        They stay untreated until it closes: no visit, no coupon, no line in "to win back".
        """
        lines = (
            self.env["customer.churn.action.line"]
            .sudo()
            .search(
                [
                    ("member_group", "=", "control"),
                    ("company_id", "=", company.id),
                    ("action_id.day", ">=", day - timedelta(days=company.churn_winback_days)),
                ]
            )
        )
        return set(lines.partner_id.ids)

    def _redraw_control_group(self):
        """The control group drawn again from the members and the recorded seed."""
        self.ensure_one()
        return uplift_lib.draw_control_group(self.line_ids.partner_id.ids, self.control_percent, self.seed)


class CustomerChurnActionLine(models.Model):
    """A customer of an action: treated (visited, or given a coupon) or held back as control."""

    _name = "customer.churn.action.line"
    _description = "Customer Churn Action Member"
    _order = "action_id, member_group desc, partner_id"

    action_id = fields.Many2one("customer.churn.action", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="action_id.company_id", store=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, ondelete="cascade")
    member_group = fields.Selection(GROUPS, string="Group", required=True)
