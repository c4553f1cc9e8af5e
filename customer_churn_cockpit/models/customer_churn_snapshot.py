from odoo import api, fields, models
from odoo.tools import SQL

from ..lib.vocabulary import ABC_TIERS, CHURN_STATES, VALUE_SEGMENTS
from .churn_sql import loaded_figures

SNAPSHOT_FIGURES = ("churn_state", "abc_tier", "value_segment")


class CustomerChurnSnapshot(models.Model):
    """A customer's state and tiers at one run, so the cockpit can show movement between runs."""

    _name = "customer.churn.snapshot"
    _description = "Customer Churn Snapshot"
    _log_access = False

    run_id = fields.Many2one("customer.churn.run", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="run_id.company_id")
    as_of = fields.Date(related="run_id.as_of", string="Run Date")
    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade")
    churn_state = fields.Selection(CHURN_STATES, string="Churn State")
    abc_tier = fields.Selection(ABC_TIERS, string="ABC Tier")
    value_segment = fields.Selection(VALUE_SEGMENTS, string="Value Segment")

    _sql_constraints = [
        ("run_partner_unique", "unique(run_id, partner_id)", "A customer has one snapshot per run."),
    ]

    @api.model
    def _record(self, run, result):
        """Keep each customer's state and tiers of ``result`` at ``run``: one COPY, one INSERT.

        A partner deleted since the figures were computed (merged, say) is left out.
        """
        cr = self.env.cr
        with loaded_figures(cr, "churn_snapshot_load", result, SNAPSHOT_FIGURES):
            cr.execute(
                SQL(
                    """INSERT INTO customer_churn_snapshot (run_id, partner_id, churn_state, abc_tier, value_segment)
                       SELECT %s, load.partner_id, load.churn_state, load.abc_tier, load.value_segment
                         FROM churn_snapshot_load load JOIN res_partner partner ON partner.id = load.partner_id""",
                    run.id,
                )
            )
        run.invalidate_recordset(["snapshot_ids"])

    @api.model
    def _get_states(self, runs, partner_ids):
        """``{(run id, partner id): churn state}`` of these partners in these runs, in one query."""
        if not runs or not partner_ids:
            return {}
        self.flush_model(["run_id", "partner_id", "churn_state"])
        rows = self.env.execute_query(
            SQL(
                """SELECT run_id, partner_id, churn_state FROM customer_churn_snapshot
                    WHERE run_id = ANY(%s) AND partner_id = ANY(%s)""",
                runs.ids,
                list(partner_ids),
            )
        )
        return {(run_id, partner_id): state for run_id, partner_id, state in rows}

    @api.model
    def _get_history(self, company, partner_ids, limit):
        """``{partner id: snapshots}``: each partner's ``limit`` latest snapshots in ``company``, newest first."""
        if not partner_ids:
            return {}
        self.env["customer.churn.run"].flush_model(["company_id", "as_of"])
        self.flush_model(["run_id", "partner_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id, id FROM (
                       SELECT snapshot.partner_id, snapshot.id,
                              ROW_NUMBER() OVER (PARTITION BY snapshot.partner_id
                                                 ORDER BY run.as_of DESC, run.id DESC) AS position
                         FROM customer_churn_snapshot snapshot
                         JOIN customer_churn_run run ON run.id = snapshot.run_id
                        WHERE run.company_id = %s AND snapshot.partner_id = ANY(%s)
                   ) ranked
                    WHERE position <= %s
                 ORDER BY partner_id, position""",
                company.id,
                list(partner_ids),
                limit,
            )
        )
        history = {}
        for partner_id, snapshot_id in rows:
            history.setdefault(partner_id, []).append(snapshot_id)
        return {partner_id: self.browse(ids) for partner_id, ids in history.items()}

    @api.model
    def _get_state_moves(self, latest, previous, partner_ids_query):
        """``[(state at previous, state at latest, count)]`` of the partners ``partner_ids_query`` selects.

        A full join, so customers that only one of the runs recorded (new, or gone) count too, with
        an empty state for the other run.
        """
        self.flush_model(["run_id", "partner_id", "churn_state"])
        return self.env.execute_query(
            SQL(
                """WITH latest AS (
                        SELECT partner_id, churn_state FROM customer_churn_snapshot WHERE run_id = %(latest)s
                   ), previous AS (
                        SELECT partner_id, churn_state FROM customer_churn_snapshot WHERE run_id = %(previous)s
                   )
                   SELECT previous.churn_state, latest.churn_state, COUNT(*)
                     FROM latest FULL JOIN previous USING (partner_id)
                    WHERE partner_id IN (%(partners)s)
                 GROUP BY 1, 2""",
                latest=latest.id,
                previous=previous.id,
                partners=partner_ids_query,
            )
        )
