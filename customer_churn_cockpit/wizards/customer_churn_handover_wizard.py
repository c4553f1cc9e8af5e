from collections import Counter, defaultdict
from datetime import datetime, time, timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..lib.handover import split_customers
from ..models.churn_sql import ChurnLock, lock
from ..models.customer_churn_extract import DAILY_CTES
from .customer_churn_segment_action import reopen_action

REVENUE_DAYS = 365
REVENUE_QUERY = f"""
WITH {DAILY_CTES}
SELECT partner_id, SUM(amount)::float8 FROM daily WHERE day >= %(year_start)s GROUP BY partner_id
"""


class CustomerChurnHandoverWizard(models.TransientModel):
    """客户交接: a departing salesperson's customers split among receivers by their last year's sales."""

    _name = "customer.churn.handover.wizard"
    _description = "Hand Over Customers"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    departing_user_id = fields.Many2one(
        "res.users",
        string="Departing Salesperson",
        required=True,
        context={"active_test": False},
        domain="[('share', '=', False), ('active', 'in', (True, False))]",
    )
    receiver_ids = fields.Many2many(
        "res.users",
        string="Receiving Salespeople",
        domain="[('share', '=', False), ('company_ids', 'in', company_id), ('id', '!=', departing_user_id)]",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        compute="_compute_partner_ids",
        store=True,
        readonly=False,
        help="The departing salesperson's customers; remove those that should keep him for now.",
    )
    plan_visits = fields.Boolean(
        string="Plan Introduction Visits", default=True, help="A customer visit for each new salesperson."
    )
    visit_deadline = fields.Date(string="Visit Due Date", default=lambda self: self._default_visit_deadline())
    state = fields.Selection([("draft", "Draft"), ("preview", "Preview"), ("done", "Done")], default="draft")
    split = fields.Json(
        string="Split by Customer", readonly=True, help="Customer id (as text) → receiving salesperson id."
    )
    line_ids = fields.One2many("customer.churn.handover.wizard.line", "wizard_id", string="Split", readonly=True)
    handover_id = fields.Many2one("customer.churn.handover", string="Hand-Over", readonly=True)

    @api.model
    def _default_visit_deadline(self):
        return self.env["mail.activity.type"]._get_churn_visit_type()._get_date_deadline()

    @api.model
    def default_get(self, fields_list):
        """From a list of customers' figures: the customers of their most frequent salesperson."""
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "customer.churn.figure" and context.get("active_ids"):
            partners = self.env["customer.churn.figure"].browse(context["active_ids"]).partner_id
            counts = Counter(partner.user_id.id for partner in partners if partner.user_id)
            if counts:
                user_id = min(counts, key=lambda uid: (-counts[uid], uid))
                values["departing_user_id"] = user_id
                values["partner_ids"] = [Command.set(partners.filtered(lambda p: p.user_id.id == user_id).ids)]
        return values

    @api.depends("departing_user_id", "company_id")
    def _compute_partner_ids(self):
        for wizard in self:
            wizard.partner_ids = wizard._departing_customers()

    def _departing_customers(self):
        if not self.departing_user_id:
            return self.env["res.partner"]
        return self.env["res.partner"].search(
            [
                ("user_id", "=", self.departing_user_id.id),
                "|",
                ("is_company", "=", True),
                ("parent_id", "=", False),
                "|",
                ("company_id", "=", False),
                ("company_id", "=", self.company_id.id),
            ]
        )

    # Actions ---------------------------------------------------------------------------------------

    def action_preview(self):
        """Split the customers and show each receiver's share before anything changes."""
        self.ensure_one()
        customers = self._check_handover()
        revenues = self._revenues(customers)
        split = split_customers(revenues, self.receiver_ids.ids)
        totals = defaultdict(lambda: [0, 0.0])
        for partner_id, user_id in split.items():
            totals[user_id][0] += 1
            totals[user_id][1] += revenues[partner_id]
        self.line_ids = [Command.clear()] + [
            Command.create({"user_id": user.id, "customer_count": totals[user.id][0], "revenue": totals[user.id][1]})
            for user in self.receiver_ids.sorted("id")
        ]
        self.write({"state": "preview", "split": {str(p): u for p, u in split.items()}})
        return self._reopen()

    def action_back(self):
        self.write({"state": "draft", "split": False, "line_ids": [Command.clear()]})
        return self._reopen()

    def action_confirm(self):
        """Give each customer its new salesperson, keep the hand-over, plan the introduction visits."""
        self.ensure_one()
        if self.handover_id:
            # A second click: the hand-over is made already.
            return self._reopen()
        lock(self.env.cr, ChurnLock.HANDOVER, self.company_id.id)
        customers = self._check_handover()
        split = {int(p): u for p, u in (self.split or {}).items() if int(p) in set(customers.ids)}
        if self.state != "preview" or set(split) != set(customers.ids):
            # The customers or the receivers moved since the preview: show the split again.
            return self.action_preview()
        revenues = self._revenues(customers)
        handover = self._record_handover(customers, split, revenues)
        by_receiver = defaultdict(list)
        for partner_id, user_id in split.items():
            by_receiver[user_id].append(partner_id)
        Partner = self.env["res.partner"].with_context(churn_change_source="handover", churn_handover_id=handover.id)
        for user_id, partner_ids in sorted(by_receiver.items()):
            Partner.browse(partner_ids).write({"user_id": user_id})
        if self.plan_visits:
            self._plan_introduction_visits(split)
        self.write({"state": "done", "handover_id": handover.id})
        return self._reopen()

    # Helpers ---------------------------------------------------------------------------------------

    def _check_handover(self):
        """The customers still with the departing salesperson; a clear error when the hand-over
        cannot be made."""
        if not self.receiver_ids:
            raise UserError(_("Choose at least one salesperson to receive the customers."))
        # Archived users too: the departing salesperson is often archived already.
        if self.departing_user_id in self.with_context(active_test=False).receiver_ids:
            raise UserError(
                _("%s is the departing salesperson and cannot receive the customers.", self.departing_user_id.name)
            )
        customers = self.partner_ids.filtered(lambda p: p.user_id == self.departing_user_id)
        if not customers:
            raise UserError(_("%s has no customers to hand over.", self.departing_user_id.name))
        return customers

    def _revenues(self, customers):
        """{customer id: its sales of the last 365 days in the company}: one SQL pass."""
        company = self.company_id
        today = self.env["customer.churn.engine"]._today(company)
        year_start = today - timedelta(days=REVENUE_DAYS - 1)
        scope = self.env["customer.churn.extract"]._scope_conditions(customers.ids)["order_scope"]
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                REVENUE_QUERY,
                tz=company._get_churn_timezone(),
                company_id=company.id,
                # A day wider in UTC than the year's first local day.
                orders_from=datetime.combine(year_start - timedelta(days=1), time.min),
                orders_before=today + timedelta(days=2),
                as_of=today,
                order_scope=scope,
                year_start=year_start,
            )
        )
        revenues = dict.fromkeys(customers.ids, 0.0)
        revenues.update(dict(rows))
        return revenues

    def _record_handover(self, customers, split, revenues):
        company = self.company_id
        return (
            self.env["customer.churn.handover"]
            .sudo()
            .create(
                {
                    "company_id": company.id,
                    "day": self.env["customer.churn.engine"]._today(company),
                    "departing_user_id": self.departing_user_id.id,
                    "receiver_ids": [Command.set(self.receiver_ids.ids)],
                    "customer_count": len(customers),
                    "revenue": sum(revenues.values()),
                    "visits_planned": self.plan_visits,
                    "line_ids": [
                        Command.create(
                            {
                                "partner_id": partner_id,
                                "old_user_id": self.departing_user_id.id,
                                "new_user_id": split[partner_id],
                                "revenue": revenues[partner_id],
                            }
                        )
                        for partner_id in customers.ids
                    ],
                }
            )
        )

    def _plan_introduction_visits(self, split):
        visit_type = self.env["mail.activity.type"]._get_churn_visit_type()
        res_model_id = self.env["ir.model"]._get_id("res.partner")
        summary = _("Introduction visit: new salesperson after %s", self.departing_user_id.name)
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": res_model_id,
                    "res_id": partner_id,
                    "activity_type_id": visit_type.id,
                    "user_id": user_id,
                    "date_deadline": self.visit_deadline or fields.Date.context_today(self),
                    "summary": summary,
                }
                for partner_id, user_id in sorted(split.items())
            ]
        )

    def _reopen(self):
        return reopen_action(self, _("Hand Over Customers"))


class CustomerChurnHandoverWizardLine(models.TransientModel):
    _name = "customer.churn.handover.wizard.line"
    _description = "Hand-Over Split per Salesperson"

    wizard_id = fields.Many2one("customer.churn.handover.wizard", required=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", string="Receiving Salesperson", readonly=True)
    customer_count = fields.Integer(string="Customers", readonly=True)
    revenue = fields.Float(string="Sales, Last 365 Days", readonly=True)
