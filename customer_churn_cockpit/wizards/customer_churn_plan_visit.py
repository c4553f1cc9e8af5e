from collections import defaultdict

from markupsafe import Markup

from odoo import _, api, fields, models

from ..models.churn_sql import ChurnLock, lock


class CustomerChurnPlanVisit(models.TransientModel):
    """制定拜访计划: one visit activity per customer, for the customer's salesperson."""

    _name = "customer.churn.plan.visit"
    _inherit = "customer.churn.segment.action"
    _description = "Plan Customer Visits"

    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity Type",
        required=True,
        default=lambda self: self.env["mail.activity.type"]._get_churn_visit_type(),
        domain="[('res_model', 'in', (False, 'res.partner'))]",
    )
    date_deadline = fields.Date(string="Due Date", required=True, default=lambda self: self._default_deadline())
    summary = fields.Char(default=lambda self: _("Customer visit"))
    note = fields.Html(help="What the salesperson should do or bring, e.g. the new price list.")
    fallback_user_id = fields.Many2one(
        "res.users",
        string="Fallback Salesperson",
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        help="Receives the visits of customers that have no salesperson.",
    )

    @api.model
    def _default_deadline(self):
        return self.env["mail.activity.type"]._get_churn_visit_type()._get_date_deadline()

    def action_plan(self):
        planned, skipped = self._plan_visits()
        planned_ids = [partner.id for partner, _user in planned]
        return self._show_summary(_("%s visits planned.", len(planned)), _("Planned"), planned_ids, skipped)

    @api.depends("partner_ids", "fallback_user_id")
    def _compute_salesperson_preview(self):
        return super()._compute_salesperson_preview()

    def _salesperson_of(self, partner_ids):
        """The visit goes to the customer's salesperson, or else to the fallback salesperson."""
        owners = super()._salesperson_of(partner_ids)
        return {partner_id: user or self.fallback_user_id for partner_id, user in owners.items()}

    def _plan_visits(self):
        """Create the visits; returns the planned (customer, salesperson) pairs and the skipped customers' ids."""
        self.ensure_one()
        # Two clicks at once must not both see "no open visit" and plan twice.
        lock(self.env.cr, ChurnLock.VISITS, self.env.company.id)
        company = self.env.company
        planned, skipped = self._split_customers(self._held_back_ids(company))
        treated, control, seed = self._draw_control_group([partner.id for partner, _user in planned])
        if control:
            held_back = set(control)
            planned = [(partner, user) for partner, user in planned if partner.id not in held_back]
            skipped[_("held back as the control group")] = control
        reasons = self._visit_reasons(planned)
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            [
                self._prepare_activity_vals(partner, user, reasons[user.lang].get(partner.id))
                for partner, user in planned
            ]
        )
        self._record_action("visit", company, treated, control, seed)
        return planned, skipped

    def _split_customers(self, held_back):
        """(customer, salesperson) pairs to plan, and the ids of the skipped customers by reason.

        ``held_back``: ids of the customers in the control group of an earlier action.

        Ids in lists: adding one customer at a time to a recordset copies it each time (quadratic).
        """
        planned, skipped = [], defaultdict(list)
        # The scheduled run plans as superuser, for every salesperson.
        is_manager = self.env.su or self.env.user.has_group("customer_churn_cockpit.group_churn_manager")
        already_planned = self._customers_with_open_visit()
        for partner in self.partner_ids:
            user = partner.user_id or self.fallback_user_id
            if partner.id in already_planned:
                skipped[_("already has an open visit")].append(partner.id)
            elif partner.id in held_back:
                skipped[_("in the control group of an earlier action")].append(partner.id)
            elif not is_manager and partner.user_id != self.env.user:
                skipped[_("not your customer")].append(partner.id)
            elif not user:
                skipped[_("no salesperson and no fallback")].append(partner.id)
            else:
                planned.append((partner, user))
        return planned, skipped

    def _customers_with_open_visit(self):
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", self.partner_ids.ids),
                    ("activity_type_id", "=", self.activity_type_id.id),
                ]
            )
        )
        return set(activities.mapped("res_id"))

    def _visit_reasons(self, planned):
        """{salesperson's language: {customer id: why it is flagged}}: each visit's note says why,
        in the language of the salesperson who makes it; one batch read per language."""
        by_lang = defaultdict(list)
        for partner, user in planned:
            by_lang[user.lang].append(partner.id)
        reasons = defaultdict(dict)
        for lang, ids in by_lang.items():
            partners = self.env["res.partner"].browse(ids).with_context(lang=lang)
            reasons[lang] = {
                partner.id: partners.env._("Why: %s", partner.churn_reason)
                for partner in partners
                if partner.churn_reason
            }
        return reasons

    def _prepare_activity_vals(self, partner, user, why=False):
        note = self.note or ""
        if why:
            note = Markup("<p>%s</p>%s") % (why, note)
        return {
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": partner.id,
            "activity_type_id": self.activity_type_id.id,
            "user_id": user.id,
            "date_deadline": self.date_deadline,
            "summary": self.summary,
            "note": note or False,
        }
