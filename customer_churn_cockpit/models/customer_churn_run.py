from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib.vocabulary import ABC_TIERS, CHURN_STATES, FLAG_COLUMNS, VALUE_SEGMENTS


class CustomerChurnRun(models.Model):
    """One recompute of one company: when, how long, and how many customers in each segment."""

    _name = "customer.churn.run"
    _description = "Customer Churn Run"
    _order = "as_of desc, id desc"
    _rec_name = "as_of"

    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    as_of = fields.Date(string="Figures As Of", required=True, readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 2))
    customers = fields.Integer(readonly=True)
    never_count = fields.Integer(string="Never Traded", readonly=True)
    active_count = fields.Integer(string="Active", readonly=True)
    at_risk_count = fields.Integer(string="At Risk", readonly=True)
    churned_count = fields.Integer(string="Churned", readonly=True)
    segment_counts = fields.Json(readonly=True, help="Count of customers per flag, tier and value segment.")
    snapshot_ids = fields.One2many("customer.churn.snapshot", "run_id", string="Customer Snapshots")
    backdated = fields.Boolean(
        string="Back-dated",
        readonly=True,
        help="A look back at an earlier day than the figures the board shows: its counts and each customer's "
        "state are kept here, and the board's figures stay as they were.",
    )
    auto_visit_count = fields.Integer(
        string="Visits Planned Automatically", readonly=True, help="Visits the run planned for newly at-risk customers."
    )

    @api.model
    def _record(self, company, as_of, result, duration, backdated=False):
        """Keep the run's counts and each customer's state and tiers, then apply the retention.

        Visits are planned automatically only after a run of the board's own figures.
        """
        states = result["churn_state"].value_counts()
        run = self.create(
            {
                "company_id": company.id,
                "as_of": as_of,
                "backdated": backdated,
                "duration": duration,
                "customers": len(result),
                **{f"{key}_count": int(states.get(key, 0)) for key, _label in CHURN_STATES},
                "segment_counts": self._count_segments(result),
            }
        )
        self.env["customer.churn.snapshot"]._record(run, result)
        if not backdated:
            run.auto_visit_count = self.env["customer.churn.automation"]._after_run(run)
        run._purge_old_runs()
        return run

    @api.model
    def _count_segments(self, result):
        counts = {column: int(result[column].sum()) for column in FLAG_COLUMNS}
        for column, keys in (("abc_tier", ABC_TIERS), ("abc_tier_prev", ABC_TIERS), ("value_segment", VALUE_SEGMENTS)):
            values = result[column].value_counts()
            counts.update({f"{column}:{key}": int(values.get(key, 0)) for key, _label in keys})
        return counts

    @api.model
    def _get_latest_runs(self, company):
        """The company's latest run of the board's figures and the one before it (empty when missing)."""
        runs = self.search([("company_id", "=", company.id), ("backdated", "=", False)], limit=2)
        return runs[:1], runs[1:2]

    @api.model
    def _get_live_as_of(self, company):
        """The day the board's figures describe (the latest run that was not back-dated), or None."""
        latest, _previous = self._get_latest_runs(company)
        return latest.as_of or None

    def _purge_old_runs(self):
        """Delete the company's runs past the retention, never this one.

        A run's age is its as_of; a back-dated run's age is the day it was made, so a look far back
        stays viewable for as long as any other run.
        """
        self.ensure_one()
        horizon = fields.Date.today() - relativedelta(days=self.company_id.churn_history_days)
        self.env.cr.execute(
            SQL(
                """DELETE FROM customer_churn_run
                    WHERE company_id = %s AND id != %s
                      AND CASE WHEN backdated THEN create_date::date ELSE as_of END < %s""",
                self.company_id.id,
                self.id,
                horizon,
            )
        )

    def _get_summary(self):
        self.ensure_one()
        return {
            "run_id": self.id,
            "as_of": self.as_of,
            "customers": self.customers,
            "seconds": round(self.duration, 3),
            **{key: self[f"{key}_count"] for key, _label in CHURN_STATES},
        }
