from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..lib.forecast import FIT_FAILURES, NO_FINITE_MEAN, NO_MAXIMUM, TOO_FEW_CUSTOMERS, Fits
from ..lib.predict import MIN_REPEAT_CUSTOMERS, ORDER_PARAMETERS, SPEND_PARAMETERS
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
    unrated_order_count = fields.Integer(
        string="Orders Without a Currency Rate",
        readonly=True,
        help="Counted orders in a currency without a rate (or with a rate of 0 or none): they count 1:1 in the "
        "company currency.",
    )
    bad_date_order_count = fields.Integer(
        string="Orders With an Impossible Date",
        readonly=True,
        help="Confirmed orders dated before 1900 or from 2200 on: no figure counts them. Correct their order date.",
    )
    bad_date_orders = fields.Text(string="Orders Not Counted", readonly=True)
    # The forecast's models (SPEC §9), fitted on the company's customers; empty without a fit. Kept
    # unrounded (no digits): a refresh computes with them.
    mbgnbd_r = fields.Float(string="r", readonly=True)
    mbgnbd_alpha = fields.Float(string="alpha (days)", readonly=True)
    mbgnbd_a = fields.Float(string="a", readonly=True)
    mbgnbd_b = fields.Float(string="b", readonly=True)
    mbgnbd_log_likelihood = fields.Float(string="Log-Likelihood", readonly=True)
    mbgnbd_failure = fields.Selection(FIT_FAILURES, string="Order Model Not Fitted", readonly=True)
    gamma_gamma_p = fields.Float(string="p", readonly=True)
    gamma_gamma_q = fields.Float(string="q", readonly=True)
    gamma_gamma_v = fields.Float(string="v", readonly=True)
    gamma_gamma_failure = fields.Selection(FIT_FAILURES, string="Spend Model Not Fitted", readonly=True)
    fit_detail = fields.Text(string="Fit Messages", readonly=True, help="What the fitting library reported.")
    repeat_customers = fields.Integer(
        string="Repeat Customers", readonly=True, help="Customers with more than one order day: the order model's data."
    )
    spend_customers = fields.Integer(
        string="Repeat Customers with Positive Sales",
        readonly=True,
        help="Repeat customers whose later order days have a positive mean amount: the spend model's data.",
    )
    fit_seconds = fields.Float(string="Fit Duration (s)", readonly=True, digits=(16, 2))
    fit_note = fields.Text(string="Why No Forecast", compute="_compute_fit_note")

    @api.depends("mbgnbd_failure", "gamma_gamma_failure", "repeat_customers", "spend_customers")
    @api.depends_context("lang")
    def _compute_fit_note(self):
        for run in self:
            notes = [
                run._get_failure_text(model, failure, customers)
                for model, failure, customers in (
                    ("orders", run.mbgnbd_failure, run.repeat_customers),
                    ("spend", run.gamma_gamma_failure, run.spend_customers),
                )
                if failure
            ]
            run.fit_note = "\n".join(notes) or False

    def _get_failure_text(self, model, failure, customers):
        """Why one model has no fit, in the reader's language."""
        if failure == TOO_FEW_CUSTOMERS and model == "orders":
            return _(
                "No order forecast: %(count)s customers ordered on more than one day; the model needs at least "
                "%(minimum)s.",
                count=customers,
                minimum=MIN_REPEAT_CUSTOMERS,
            )
        if failure == TOO_FEW_CUSTOMERS:
            return _(
                "No order value forecast: %(count)s customers ordered on more than one day with a positive mean "
                "amount; the model needs at least %(minimum)s.",
                count=customers,
                minimum=MIN_REPEAT_CUSTOMERS,
            )
        if failure == NO_FINITE_MEAN:
            return _(
                "No order value forecast: the fitted spend model has q <= 1, so its mean order-day value is not finite."
            )
        if failure == NO_MAXIMUM and model == "orders":
            return _("No order forecast: the fit of the order model did not converge on these customers.")
        return _("No order value forecast: the fit of the spend model did not converge on these customers.")

    @api.model
    def _record(self, company, as_of, result, duration, backdated=False, fits=None):
        """Keep the run's counts, the ``fits`` of its forecast and each customer's state and tiers,
        then apply the retention.

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
                **self._prepare_fit_vals(fits or Fits()),
                **self._prepare_order_quality_vals(company, as_of),
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
    def _prepare_order_quality_vals(self, company, as_of):
        quality = self.env["customer.churn.extract"]._extract_order_quality(company, as_of)
        names = quality["bad_date_names"]
        if quality["bad_dates"] > len(names):
            names = [*names, _("… and %s more", quality["bad_dates"] - len(names))]
        return {
            "unrated_order_count": quality["unrated"],
            "bad_date_order_count": quality["bad_dates"],
            "bad_date_orders": ", ".join(names) or False,
        }

    @api.model
    def _prepare_fit_vals(self, fits):
        orders, spend = fits.orders or {}, fits.spend or {}
        details = [detail for detail in (fits.orders_detail, fits.spend_detail) if detail]
        return {
            **{f"mbgnbd_{name}": orders.get(name) for name in (*ORDER_PARAMETERS, "log_likelihood")},
            **{f"gamma_gamma_{name}": spend.get(name) for name in SPEND_PARAMETERS},
            "mbgnbd_failure": fits.orders_failure,
            "gamma_gamma_failure": fits.spend_failure,
            "fit_detail": "\n".join(details) or False,
            "repeat_customers": fits.repeat_customers,
            "spend_customers": fits.spend_customers,
            "fit_seconds": fits.seconds,
        }

    def _get_fits(self):
        """The models this run fitted, for a refresh to reuse (an empty ``Fits`` for no run)."""
        if not self:
            return Fits()
        self.ensure_one()
        # A fitted shape parameter is positive (bounded below by 1e-6): 0 reads an empty column.
        orders = {name: self[f"mbgnbd_{name}"] for name in (*ORDER_PARAMETERS, "log_likelihood")}
        spend = {name: self[f"gamma_gamma_{name}"] for name in SPEND_PARAMETERS}
        return Fits(
            orders=orders if self.mbgnbd_r and not self.mbgnbd_failure else None,
            orders_failure=self.mbgnbd_failure or None,
            spend=spend if self.gamma_gamma_p and not self.gamma_gamma_failure else None,
            spend_failure=self.gamma_gamma_failure or None,
            repeat_customers=self.repeat_customers,
            spend_customers=self.spend_customers,
        )

    @api.model
    def _get_live_fits(self, company):
        """The models of the company's last run of the board's figures: what its refreshes use."""
        latest, _previous = self._get_latest_runs(company)
        return latest._get_fits()

    @api.model
    def _get_latest_runs(self, company):
        """The company's latest run of the board's figures and the last run of an earlier day (empty
        when missing): a recompute made minutes after the night's run is compared with yesterday's,
        not with the night's, which would show no change at all.
        """
        domain = [("company_id", "=", company.id), ("backdated", "=", False)]
        latest = self.search(domain, limit=1)
        if not latest:
            return latest, latest
        return latest, self.search([*domain, ("as_of", "<", latest.as_of)], limit=1)

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
            "fit_seconds": round(self.fit_seconds, 3),
            **{key: self[f"{key}_count"] for key, _label in CHURN_STATES},
        }
