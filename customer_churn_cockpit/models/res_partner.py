from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.osv import expression

from ..lib.vocabulary import FIGURE_NAMES, FIGURES
from .customer_churn_figure import FIELD_CLASSES

# How many of a customer's latest runs its form shows.
HISTORY_RUNS = 12
COCKPIT_USERS = "customer_churn_cockpit.group_churn_user"
FIGURE_NAMES_SET = frozenset(FIGURE_NAMES)


def _search_by_figure(name):
    def search(partners, operator, value):
        return partners._search_churn_figure(name, operator, value)

    return search


def partner_figure_field(figure):
    """A figure of the current company's row of customer.churn.figure, read as the reader may.

    Computed, not stored: the figures live in their own model, under its record rules, and a row
    the reader may not see reads as empty. Searchable, so Contacts still filters by segment.
    """
    args = (figure.selection,) if figure.selection else ()
    return FIELD_CLASSES[figure.kind](
        *args,
        string=figure.string,
        compute="_compute_churn_figures",
        search=_search_by_figure(figure.name),
        groups=COCKPIT_USERS,
    )


class ResPartner(models.Model):
    _inherit = "res.partner"

    churn_figure_ids = fields.One2many(
        "customer.churn.figure", "partner_id", string="Churn Figures", readonly=True, groups=COCKPIT_USERS
    )
    # The figures of SPEC §8 on the partner, declared from the one vocabulary (lib/vocabulary.py).
    locals().update({figure.name: partner_figure_field(figure) for figure in FIGURES})
    churn_reason = fields.Char(
        string="Why",
        compute="_compute_churn_figures",
        groups=COCKPIT_USERS,
        help="Each rule that holds for the customer, with its figures, in your language.",
    )
    churn_days_since_visit = fields.Integer(
        string="Days Since Visit",
        compute="_compute_churn_days_since_visit",
        groups=COCKPIT_USERS,
        help="Days from the last visit to the day the figures are computed for.",
    )

    churn_history_ids = fields.Many2many(
        "customer.churn.snapshot",
        string="Churn History",
        compute="_compute_churn_history_ids",
        groups=COCKPIT_USERS,
        help="The customer's state, ABC tier and value segment at the latest runs of the company.",
    )

    def write(self, vals):
        if not FIGURE_NAMES_SET.isdisjoint(vals):
            raise AccessError(_("The churn figures are computed by the cockpit and cannot be changed by hand."))
        return super().write(vals)

    @api.depends_context("company", "lang")
    def _compute_churn_figures(self):
        Figure = self.env["customer.churn.figure"]
        figures = Figure.search_fetch(
            [("partner_id", "in", self._origin.ids), ("company_id", "=", self.env.company.id)], FIGURE_NAMES
        )
        by_partner = {figure.partner_id.id: figure for figure in figures}
        for partner in self:
            figure = by_partner.get(partner._origin.id, Figure)
            for name in FIGURE_NAMES:
                partner[name] = figure[name]
            partner.churn_reason = figure.churn_reason

    def _search_churn_figure(self, name, operator, value):
        """Partners by a figure of the current company, through its rows the user may read."""
        in_company = ("company_id", "=", self.env.company.id)
        domain = [("churn_figure_ids", "any", [in_company, (name, operator, value)])]
        if self.env["customer.churn.figure"].new({}).filtered_domain([(name, operator, value)]):
            # An empty figure matches too: so do the partners without a row in the company.
            domain = expression.OR([domain, [("churn_figure_ids", "not any", [in_company])]])
        return domain

    @api.depends_context("company")
    @api.depends("churn_as_of", "churn_last_visit_date")
    def _compute_churn_days_since_visit(self):
        for partner in self:
            visited, as_of = partner.churn_last_visit_date, partner.churn_as_of
            partner.churn_days_since_visit = (as_of - visited).days if visited and as_of else 0

    @api.depends_context("company")
    def _compute_churn_history_ids(self):
        history = self.env["customer.churn.snapshot"]._get_history(self.env.company, self._origin.ids, HISTORY_RUNS)
        for partner in self:
            partner.churn_history_ids = history.get(partner._origin.id, self.env["customer.churn.snapshot"])
