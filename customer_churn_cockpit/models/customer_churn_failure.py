from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models

FAILURE_KINDS = [("run", "Run"), ("refresh", "Refresh")]
# Failures are kept this long: long enough to read last week's, short enough to stay small.
KEPT_DAYS = 30


class CustomerChurnFailure(models.Model):
    """A run or a refresh that failed: what the board and the failure list tell the managers.

    One row per failure, never updated: a refresh fails inside a user's transaction, and two users
    updating one counter would make each other's order wait or fail.
    """

    _name = "customer.churn.failure"
    _description = "Customer Churn Failure"
    _order = "id desc"
    _rec_name = "kind"

    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade", readonly=True)
    kind = fields.Selection(FAILURE_KINDS, required=True, readonly=True)
    as_of = fields.Date(string="Figures As Of", readonly=True)
    customers = fields.Integer(readonly=True, help="The customers a refresh was bringing up to date.")
    message = fields.Text(string="Error", readonly=True)
    # The company's latest run when this failed: a failed run is news until a later run works.
    previous_run_id = fields.Many2one(
        "customer.churn.run", string="Last Run That Worked", readonly=True, ondelete="set null"
    )
    create_date = fields.Datetime(string="Failed At", readonly=True)

    @api.model
    def _record(self, company, kind, error, as_of=None, customers=0):
        """Keep the failure of ``kind`` of ``company``, with the error's message, and forget old ones."""
        latest, _previous = self.env["customer.churn.run"].sudo()._get_latest_runs(company)
        failure = self.sudo().create(
            {
                "company_id": company.id,
                "previous_run_id": latest.id,
                "kind": kind,
                "as_of": as_of,
                "customers": customers,
                "message": str(error) or type(error).__name__,
            }
        )
        self.env.cr.execute(
            "DELETE FROM customer_churn_failure WHERE create_date < now() AT TIME ZONE 'UTC' - %s * interval '1 day'",
            [KEPT_DAYS],
        )
        return failure

    @api.model
    def _get_company_failures(self, company, latest_run):
        """The failures worth a banner: the runs that failed since the company's latest run, and the
        refreshes that failed today (in the company's timezone), latest first."""
        today = self.env["customer.churn.engine"]._today(company)
        tz = pytz.timezone(company._get_churn_timezone())
        today_start = tz.localize(datetime.combine(today, time())).astimezone(pytz.UTC).replace(tzinfo=None)
        failures = self.sudo().search(
            [("company_id", "=", company.id), ("create_date", ">=", today_start - timedelta(days=KEPT_DAYS))]
        )
        runs = failures.filtered(lambda f: f.kind == "run" and f.previous_run_id == latest_run)
        refreshes = failures.filtered(lambda f: f.kind == "refresh" and f.create_date >= today_start)
        return runs, refreshes
