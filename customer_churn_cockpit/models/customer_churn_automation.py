import logging

from odoo import Command, _, api, models
from odoo.tools import SQL

from ..lib.vocabulary import VALUE_SEGMENTS

_logger = logging.getLogger(__name__)


class CustomerChurnAutomation(models.AbstractModel):
    """What a run does by itself, when the company asks for it: visits for newly at-risk customers."""

    _name = "customer.churn.automation"
    _description = "Customer Churn Automation"

    @api.model
    def _after_run(self, run):
        """Plan the automatic visits of ``run``; returns how many were planned.

        Only a run as of today acts: a back-dated run is an analysis of the past. A failure
        here is logged and leaves the run and its figures in place.
        """
        company = run.company_id
        if not company.churn_auto_visit or run.as_of != self.env["customer.churn.engine"]._today(company):
            return 0
        try:
            with self.env.cr.savepoint():
                return self._plan_visits(run)
        except Exception:
            _logger.exception("automatic visits after the churn run of %s failed", company.name)
            return 0

    def _plan_visits(self, run):
        partner_ids = self._newly_at_risk_partner_ids(run)
        if not partner_ids:
            return 0
        company = run.company_id
        wizard = (
            self.env["customer.churn.plan.visit"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "partner_ids": [Command.set(partner_ids)],
                    "fallback_user_id": company.churn_auto_visit_user_id.id,
                    "note": _("Planned automatically: this customer became at risk by %s.", run.as_of),
                }
            )
        )
        planned, skipped = wizard._plan_visits()
        _logger.info(
            "churn run of %s planned %s automatic visits (%s customers skipped)",
            company.name,
            len(planned),
            sum(len(partners) for partners in skipped.values()),
        )
        return len(planned)

    @api.model
    def _newly_at_risk_partner_ids(self, run):
        """Customers at risk in ``run`` but not in the run before it, valuable enough to visit.

        Without an earlier run nothing is "newly" at risk: turning automation on must not flood
        the salespeople with every customer already at risk.
        """
        previous = self.env["customer.churn.run"].search(
            [
                ("company_id", "=", run.company_id.id),
                ("id", "!=", run.id),
                ("as_of", "<=", run.as_of),
                ("backdated", "=", False),
            ],
            limit=1,
        )
        if not previous:
            return []
        keys = [key for key, _label in VALUE_SEGMENTS]
        segments = keys[: keys.index(run.company_id.churn_auto_visit_segment) + 1]
        self.env.cr.execute(
            SQL(
                """SELECT latest.partner_id
                     FROM customer_churn_snapshot latest
                LEFT JOIN customer_churn_snapshot earlier
                       ON earlier.run_id = %s AND earlier.partner_id = latest.partner_id
                    WHERE latest.run_id = %s
                      AND latest.churn_state = 'at_risk'
                      AND latest.value_segment = ANY(%s)
                      AND earlier.churn_state IS DISTINCT FROM 'at_risk'
                 ORDER BY latest.partner_id""",
                previous.id,
                run.id,
                segments,
            )
        )
        return [partner_id for (partner_id,) in self.env.cr.fetchall()]
