from collections import Counter, defaultdict

from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib import uplift as uplift_lib

MAX_CONTROL_PERCENT = 50


def reopen_action(wizard, name):
    """The same wizard again, in its dialog, with what the button changed."""
    return {
        "type": "ir.actions.act_window",
        "res_model": wizard._name,
        "res_id": wizard.id,
        "view_mode": "form",
        "target": "new",
        "name": name,
    }


class CustomerChurnSegmentAction(models.AbstractModel):
    """What the visit and coupon wizards share: the selected customers and the closing summary."""

    _name = "customer.churn.segment.action"
    _description = "Act on a Customer Segment"

    partner_ids = fields.Many2many(
        "res.partner", string="Customers", required=True, default=lambda self: self._default_partners()
    )
    partner_count = fields.Integer(compute="_compute_partner_count")
    segment_count = fields.Integer(
        string="In the List",
        default=lambda self: self._default_segment_count(),
        readonly=True,
        help="Customers of the list the selection was made in: ticking the header box selects only its first page.",
    )
    selection_label = fields.Char(string="Selection", compute="_compute_selection_label")
    salesperson_preview = fields.Html(string="Per Salesperson", compute="_compute_salesperson_preview")
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft", required=True)
    result_summary = fields.Html(readonly=True, sanitize=True)
    control_percent = fields.Float(
        string="Control Group (%)",
        default=0.0,
        help="This share of the customers (rounded down), drawn at random, gets nothing: comparing them with the "
        "others shows how many customers the action really won back.",
    )
    action_id = fields.Many2one("customer.churn.action", string="Recorded Action", readonly=True)

    @api.model
    def _default_partners(self):
        """The customers chosen in a list or kanban: their commercial partners, once each.

        "Select all" sends the ids of the whole list, up to the web client's limit; beyond it, the
        list's domain says which customers were meant.
        """
        context = self.env.context
        Partner = self.env["res.partner"]
        if context.get("active_model") != "res.partner":
            return Partner
        ids = context.get("active_ids") or []
        domain = context.get("active_domain")
        if domain is not None and len(ids) >= self._active_ids_limit():
            return Partner.search(domain).commercial_partner_id
        return Partner.browse(ids).commercial_partner_id

    @api.model
    def _default_segment_count(self):
        """How many customers the list held (its domain), so the wizard can say "N of M"."""
        context = self.env.context
        domain = context.get("active_domain")
        if context.get("active_model") != "res.partner" or domain is None:
            return 0
        [(count,)] = self.env["res.partner"]._read_group(domain, [], ["commercial_partner_id:count_distinct"])
        return count

    @api.model
    def _active_ids_limit(self):
        """The web client's cap on the ids it sends (its session's active_ids_limit)."""
        return int(self.env["ir.config_parameter"].sudo().get_param("web.active_ids_limit", default="20000"))

    @api.depends("partner_ids")
    def _compute_partner_count(self):
        for wizard in self:
            wizard.partner_count = len(wizard.partner_ids)

    @api.depends("partner_count", "segment_count")
    def _compute_selection_label(self):
        for wizard in self:
            wizard.selection_label = _(
                "%(count)s of %(total)s customers",
                count=wizard.partner_count,
                total=max(wizard.segment_count, wizard.partner_count),
            )

    @api.depends("partner_ids")
    def _compute_salesperson_preview(self):
        for wizard in self:
            counts = Counter(wizard._salesperson_of(wizard.partner_ids._origin.ids).values())
            column = self.env._("Customers")
            rows = [(user, {column: count}) for user, count in counts.items()]
            wizard.salesperson_preview = wizard._salesperson_table(rows, [column])

    @api.constrains("control_percent")
    def _check_control_percent(self):
        for wizard in self:
            if not 0 <= wizard.control_percent <= MAX_CONTROL_PERCENT:
                raise ValidationError(_("The control group must be between 0% and 50% of the customers."))

    def _held_back_ids(self, company):
        """Customers still in the control group of an earlier action: they must stay untreated."""
        today = self.env["customer.churn.engine"]._today(company)
        return self.env["customer.churn.action"]._held_back_partner_ids(company, today)

    def _draw_control_group(self, partner_ids):
        """(treated ids, control ids, seed): the control share of ``partner_ids`` drawn at random."""
        seed = uplift_lib.new_seed()
        control = uplift_lib.draw_control_group(partner_ids, self.control_percent, seed)
        return sorted(set(partner_ids) - set(control)), control, seed

    def _record_action(self, action_type, company, treated, control, seed):
        """Keep the action with both groups; an action that reached nobody is not kept."""
        if not treated and not control:
            return
        today = self.env["customer.churn.engine"]._today(company)
        self.action_id = self.env["customer.churn.action"]._record(
            action_type, company, today, seed, self.control_percent, treated, control
        )

    def _show_summary(self, title, done_label, done_ids, skipped):
        """Close with what was done and what was skipped and why, on the same wizard.

        ``done_ids``: the customers acted on, counted under ``done_label`` per salesperson;
        ``skipped`` maps each reason to the ids of the customers skipped for it.
        """
        lines = [
            Markup("<p><strong>%s</strong></p>") % title,
            Markup("<p>%s</p>")
            % _("Acted on %(done)s of %(count)s customers.", done=len(done_ids), count=self.partner_count),
            self._summary_table(done_label, done_ids, skipped),
        ]
        if skipped:
            items = Markup("").join(
                Markup("<li>%s: %s</li>") % (reason, escape(self._names_of(partner_ids)))
                for reason, partner_ids in skipped.items()
            )
            lines.append(Markup("<p>%s</p><ul>%s</ul>") % (_("Skipped:"), items))
        self.write({"state": "done", "result_summary": Markup("").join(lines)})
        return self._action_reopen(_("Summary"))

    def _summary_table(self, done_label, done_ids, skipped):
        """Per salesperson: how many were acted on, and how many skipped for each reason."""
        owners = self._salesperson_of([*done_ids, *(pid for ids in skipped.values() for pid in ids)])
        cells = defaultdict(Counter)
        for partner_id in done_ids:
            cells[owners.get(partner_id)][done_label] += 1
        for reason, partner_ids in skipped.items():
            for partner_id in partner_ids:
                cells[owners.get(partner_id)][self.env._("Skipped: %s", reason)] += 1
        columns = [done_label] + [self.env._("Skipped: %s", reason) for reason in skipped]
        return self._salesperson_table(list(cells.items()), columns)

    def _salesperson_of(self, partner_ids):
        """{customer id: its salesperson (res.users, maybe empty)}, in one grouped read."""
        groups = (
            self.env["res.partner"]
            .with_context(active_test=False)
            ._read_group([("id", "in", list(partner_ids))], ["user_id"], ["id:array_agg"])
        )
        return {partner_id: user for user, ids in groups for partner_id in ids}

    def _salesperson_table(self, rows, columns):
        """``rows``: [(salesperson, {column: count})], shown by salesperson's name."""
        if not rows:
            return Markup("")
        head = Markup("").join(Markup("<th>%s</th>") % column for column in [self.env._("Salesperson"), *columns])
        body = Markup("").join(
            Markup("<tr><td>%s</td>%s</tr>")
            % (
                user.name if user else self.env._("No salesperson"),
                Markup("").join(Markup("<td>%s</td>") % counts.get(column, 0) for column in columns),
            )
            for user, counts in sorted(rows, key=lambda row: (not row[0], row[0].name or ""))
        )
        return Markup('<table class="table table-sm o_churn_salesperson_table"><tr>%s</tr>%s</table>') % (head, body)

    def _action_reopen(self, name):
        return reopen_action(self, name)

    def _names_of(self, partner_ids):
        """The customers' names in alphabetical order, cut to what a summary line can show."""
        names = self.env["res.partner"].browse(partner_ids).mapped("display_name")
        return ", ".join(sorted(names))[:500]
