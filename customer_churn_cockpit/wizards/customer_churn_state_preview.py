from dataclasses import replace

from odoo import Command, _, api, fields, models

from ..lib import Windows, classify_customers
from ..lib.vocabulary import CHURN_STATES, STATE_BASES

BASIS_LABELS = dict(STATE_BASES)


class CustomerChurnStatePreview(models.TransientModel):
    """How many customers each basis of SPEC §3b would put in each state today, on given settings.

    One extraction and one classification per basis, without the ranks: a few seconds at the
    most, and nothing is stored but this readout.
    """

    _name = "customer.churn.state.preview"
    _description = "Customer Churn States on Each Basis"

    company_id = fields.Many2one("res.company", required=True, readonly=True)
    as_of = fields.Date(string="As Of", readonly=True)
    line_ids = fields.One2many("customer.churn.state.preview.line", "preview_id", string="States", readonly=True)

    @api.model
    def _action_open(self, company, settings):
        """The readout for ``company`` as of today, on ``settings`` (a ChurnSettings)."""
        self.check_access("create")  # before the extraction: the readout is for churn managers
        as_of = self.env["customer.churn.engine"]._today(company)
        counts = self._count_states(company, settings, as_of)
        preview = self.create(
            {
                "company_id": company.id,
                "as_of": as_of,
                "line_ids": [
                    Command.create(
                        {
                            "churn_state": state,
                            "fixed_count": counts["fixed"].get(state, 0),
                            "cycle_count": counts["cycle"].get(state, 0),
                        }
                    )
                    for state, _label in CHURN_STATES
                ],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Customers per State on Each Basis"),
            "res_model": self._name,
            "res_id": preview.id,
            "views": [(False, "form")],
            "target": "new",
        }

    @api.model
    def _count_states(self, company, settings, as_of):
        """{basis: {state: customers}} of the company's customers as of ``as_of``."""
        windows = Windows.for_settings(as_of, settings)
        aggregates = self.env["customer.churn.extract"]._extract_aggregates(company, windows, settings)
        return {
            basis: classify_customers(aggregates, windows, replace(settings, state_basis=basis), ranks=False)[
                "churn_state"
            ]
            .value_counts()
            .to_dict()
            for basis in BASIS_LABELS
        }


class CustomerChurnStatePreviewLine(models.TransientModel):
    _name = "customer.churn.state.preview.line"
    _description = "Customers of One State on Each Basis"

    preview_id = fields.Many2one("customer.churn.state.preview", required=True, ondelete="cascade")
    churn_state = fields.Selection(CHURN_STATES, string="Churn State", readonly=True)
    fixed_count = fields.Integer(string=BASIS_LABELS["fixed"], readonly=True)
    cycle_count = fields.Integer(string=BASIS_LABELS["cycle"], readonly=True)
