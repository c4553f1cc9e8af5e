"""The backtest of SPEC §11: each signal replayed on the company's own history, one line per signal.

Extract (one SQL pass: the company's order days) → ``lib/backtest.py`` (every replay date in one
pass over the sorted history, P(alive) fitted at each by ``lib/predict.py``) → store (the lines of
the company and day replaced).
"""

import logging
import time

from odoo import api, fields, models

from ..lib import backtest as backtest_lib
from ..lib import predict

_logger = logging.getLogger(__name__)

# Below this many flagged customers (summed over the replay dates) a precision is too uncertain
# to act on: its 95% interval is wider than ±18 points (Wilson, at a precision of one half).
TOO_FEW_FLAGGED = 30
SIGNAL_LABELS = [
    ("at_risk_fixed", "At risk (fixed days)"),
    ("at_risk_cycle", "At risk (own order cycle)"),
    ("sales_plunge", "Sales plunge"),
    ("orders_plunge", "Order-count plunge"),
    ("cycle_overdue", "Overdue on its order cycle"),
    ("low_p_alive", "Low P(alive)"),
    ("abc_down", "ABC tier down"),
]
# The keys of SPEC §11's dicts, as ``backtest`` returns them.
RESULT_KEYS = (
    "company_id",
    "as_of",
    "signal",
    "replay_dates",
    "population",
    "flagged",
    "lost",
    "hits",
    "precision",
    "recall",
    "lift",
)


class CustomerChurnBacktest(models.Model):
    """How often a signal was right: of the customers it flagged, how many stopped buying."""

    _name = "customer.churn.backtest"
    _description = "Customer Churn Signal Accuracy"
    _order = "as_of desc, company_id, sequence"
    _rec_name = "signal"

    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade", readonly=True)
    as_of = fields.Date(string="Backtest As Of", required=True, readonly=True)
    signal = fields.Selection(SIGNAL_LABELS, required=True, readonly=True)
    sequence = fields.Integer(readonly=True)
    is_latest = fields.Boolean(string="Latest", readonly=True, index=True, help="The company's most recent backtest.")
    horizon_days = fields.Integer(
        string="Horizon (days)", readonly=True, help="A flagged customer counts as lost without an order within this."
    )
    replay_dates = fields.Integer(string="Replayed Weeks", readonly=True, aggregator="max")
    population = fields.Integer(
        readonly=True, help="Customers still buying at each replayed day (an order in the horizon before it), summed."
    )
    flagged = fields.Integer(readonly=True, help="Customers of the population the signal flagged, summed.")
    lost = fields.Integer(readonly=True, help="Customers of the population with no order in the horizon after.")
    hits = fields.Integer(readonly=True, help="Flagged customers that were lost.")
    precision = fields.Float(
        readonly=True, aggregator="avg", help="Hits / flagged: of the flagged customers, how many were lost."
    )
    recall = fields.Float(
        readonly=True, aggregator="avg", help="Hits / lost: of the lost customers, how many were flagged."
    )
    lift = fields.Float(
        readonly=True,
        aggregator="avg",
        help="Precision / share of the population lost: how many times better than picking customers at random.",
    )
    flagged_per_week = fields.Float(
        string="Flagged a Week", readonly=True, aggregator="avg", help="Flagged / replayed weeks."
    )
    too_few = fields.Boolean(
        string="Too Few to Tell",
        readonly=True,
        help="Fewer than 30 flagged customers over all replayed weeks: the precision is too uncertain.",
    )

    def action_run_backtest(self):
        """The page's button: backtest the current company as of today, then show the new lines."""
        self.env["customer.churn.engine"].backtest(self.env.company)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.model
    def _backtest_company(self, company, as_of):
        """Replay the company's signals up to ``as_of``, store the lines, return SPEC §11's dicts."""
        started = time.perf_counter()
        order_days = self.env["customer.churn.extract"]._extract_order_days(company, as_of)
        rows = backtest_lib.backtest(
            order_days,
            as_of,
            company._get_churn_settings(),
            horizon=company.churn_backtest_horizon_days,
            p_alive_threshold=company.churn_p_alive_threshold,
            p_alive_for=_p_alive_for,
        )
        self._store(company, as_of, rows)
        _logger.info(
            "churn backtest of %s as of %s: %s replayed weeks in %.1fs",
            company.name,
            as_of,
            rows[0]["replay_dates"],
            time.perf_counter() - started,
        )
        return [{"company_id": company.id, "as_of": as_of, **row} for row in rows]

    @api.model
    def _store(self, company, as_of, rows):
        """Replace the company's lines of that day, and mark the newest backtest of the company."""
        Line = self.sudo()
        Line.search([("company_id", "=", company.id), ("as_of", "=", as_of)]).unlink()
        Line.create([self._prepare_line_vals(company, as_of, index, row) for index, row in enumerate(rows)])
        company_lines = Line.search([("company_id", "=", company.id)])
        newest = max(company_lines.mapped("as_of"))
        company_lines.filtered(lambda line: line.is_latest and line.as_of != newest).write({"is_latest": False})
        company_lines.filtered(lambda line: line.as_of == newest).write({"is_latest": True})

    @api.model
    def _prepare_line_vals(self, company, as_of, index, row):
        flagged = row["flagged"]
        return {
            "company_id": company.id,
            "as_of": as_of,
            "signal": row["signal"],
            "sequence": index,
            "horizon_days": company.churn_backtest_horizon_days,
            **{key: row[key] or 0 for key in ("replay_dates", "population", "flagged", "lost", "hits")},
            # A ratio without a divisor reads 0 here; "too few to tell" marks the lines where that matters.
            **{key: row[key] or 0.0 for key in ("precision", "recall", "lift")},
            "flagged_per_week": flagged / row["replay_dates"] if flagged is not None and row["replay_dates"] else 0,
            "too_few": flagged is None or flagged < TOO_FEW_FLAGGED,
        }

    @api.model
    def _get_latest_precisions(self, company):
        """{signal: (precision, too_few, horizon_days)} of the company's latest backtest, for the board's tiles."""
        lines = self.search([("company_id", "=", company.id), ("is_latest", "=", True)])
        return {line.signal: (line.precision, line.too_few, line.horizon_days) for line in lines}


def _p_alive_for(inputs):
    """P(alive) of each customer of a replayed run (SPEC §9's MBG/NBD fitted that day); None without a fit."""
    x, t_x, big_t = inputs["x"].to_numpy(), inputs["t_x"].to_numpy(), inputs["T"].to_numpy()
    try:
        params = predict.fit_bgnbd(x, t_x, big_t, modified=True)
    except predict.FitError:
        return None
    return predict.p_alive(params, x, t_x, big_t, modified=True)
