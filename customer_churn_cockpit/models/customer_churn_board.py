from collections import defaultdict, namedtuple

from odoo import api, models
from odoo.osv import expression
from odoo.tools import SQL, format_date

from ..lib.vocabulary import ABC_TIERS, VALUE_SEGMENTS

# One tile of the board: the partners with ``field = value``. ``run_key`` names the tile's count in
# customer.churn.run (a ``<key>_count`` field, or a key of ``segment_counts`` after "segment_counts:").
# ``better`` tells which way of moving is good news, so the change is coloured: "up", "down" or None.
# ``accent`` is the Bootstrap colour of the tile.
Tile = namedtuple("Tile", "key section field value run_key better accent")

SECTIONS = ("state", "activity", "changes", "salesperson", "abc_tier", "value_segment")

STATE_TILES = (
    Tile("never", "state", "churn_state", "never", "never_count", None, "secondary"),
    Tile("active", "state", "churn_state", "active", "active_count", "up", "success"),
    Tile("at_risk", "state", "churn_state", "at_risk", "at_risk_count", "down", "warning"),
    Tile("churned", "state", "churn_state", "churned", "churned_count", "down", "danger"),
    Tile("newly_churned", "state", "churn_newly_churned", True, "segment_counts:churn_newly_churned", "down", "danger"),
    Tile("likely_lost", "state", "churn_likely_lost", True, "segment_counts:churn_likely_lost", "down", "danger"),
)
FLAG_TILES = tuple(
    Tile(field.removeprefix("churn_"), section, field, True, f"segment_counts:{field}", better, accent)
    for section, field, better, accent in (
        ("activity", "churn_traded_recently", "up", "success"),
        ("activity", "churn_not_traded_recently", "down", "warning"),
        ("activity", "churn_cycle_overdue", "down", "danger"),
        ("changes", "churn_sales_surge", "up", "success"),
        ("changes", "churn_sales_plunge", "down", "danger"),
        ("changes", "churn_orders_rise", "up", "success"),
        ("changes", "churn_orders_plunge", "down", "danger"),
        ("salesperson", "churn_salesperson_left", "down", "danger"),
        ("salesperson", "churn_salesperson_changed", None, "warning"),
    )
)
TIER_TILES = tuple(
    Tile(f"tier_{tier.lower()}", "abc_tier", "abc_tier", tier, f"segment_counts:abc_tier:{tier}", better, accent)
    for (tier, _label), better, accent in zip(
        ABC_TIERS, ("up", None, None, "down"), ("primary", "info", "secondary", "dark"), strict=True
    )
)
VALUE_TILES = tuple(
    Tile(segment, "value_segment", "value_segment", segment, f"segment_counts:value_segment:{segment}", better, accent)
    for (segment, _label), better, accent in zip(
        VALUE_SEGMENTS, ("up", "up", None, "down"), ("primary", "info", "secondary", "dark"), strict=True
    )
)
TILES = STATE_TILES + FLAG_TILES + TIER_TILES + VALUE_TILES

# Rank of each tier and state, best first, for telling an upgrade from a downgrade.
TIER_RANKS = {tier: rank for rank, (tier, _label) in enumerate(ABC_TIERS)}
STATE_RANKS = {"active": 0, "at_risk": 1, "churned": 2, "never": 3}

VIEWS = {
    "list": "customer_churn_cockpit.customer_churn_figure_view_list",
    "kanban": "customer_churn_cockpit.customer_churn_figure_view_kanban",
    "pivot": "customer_churn_cockpit.customer_churn_figure_view_pivot",
    "search": "customer_churn_cockpit.customer_churn_figure_view_search",
}


class CustomerChurnBoard(models.AbstractModel):
    """The cockpit's first screen (客户分析): one tile per segment of the current company."""

    _name = "customer.churn.board"
    _description = "Customer Churn Board"

    @api.model
    def get_board_data(self):
        """Everything the board shows, for ``self.env.company`` and the partners the user may read."""
        company = self.env.company
        latest, previous = self.env["customer.churn.run"]._get_latest_runs(company)
        groups = self._partner_groups()
        figures = self._segment_figures(groups)
        labels = self._tile_labels(company)
        # The changes come from the company-wide counts of the runs: only for those who see every customer.
        compared = previous if self._sees_every_customer() else previous.browse()
        tiles = [self._tile_data(tile, labels[tile.key], figures, latest, compared) for tile in TILES]
        precisions = self.env["customer.churn.backtest"]._get_latest_precisions(company)
        for tile in tiles:
            tile["precision"] = self._tile_precision(tile["key"], company, precisions)
        sections = self._sections(company)
        return {
            "company": {"id": company.id, "name": company.name},
            "currency_id": company.currency_id.id,
            "as_of": latest.as_of or False,
            "previous_as_of": previous.as_of or False,
            "customers": figures["customers"],
            "is_manager": self.env.user.has_group("customer_churn_cockpit.group_churn_manager"),
            "failures": self._failure_banners(company, latest),
            "views": {view_type: self.env.ref(xmlid).id for view_type, xmlid in VIEWS.items()},
            "sections": [
                {
                    "key": key,
                    "label": sections[key][0],
                    "hint": sections[key][1],
                    "tiles": [tile for tile in tiles if tile["section"] == key],
                }
                for key in SECTIONS
            ],
            "matrices": [self._abc_matrix(groups)] + ([self._state_matrix(latest, previous)] if previous else []),
            "handovers": self.env["customer.churn.handover"]._get_board_aftermath(company),
            "no_change_note": self._no_change_note(latest, previous),
            "can_open_settings": self.env.user.has_group("customer_churn_cockpit.group_churn_manager"),
        }

    @api.model
    def _failure_banners(self, company, latest):
        """Why the figures may be stale, for the managers: the scheduled runs that failed since the
        latest run, and the refreshes that failed today."""
        if not (self.env.su or self.env.user.has_group("customer_churn_cockpit.group_churn_manager")):
            return []
        runs, refreshes = self.env["customer.churn.failure"]._get_company_failures(company, latest)
        banners = []
        if runs:
            banners.append(
                self.env._(
                    "The scheduled run as of %(day)s failed (%(count)s since the last run that worked); the board "
                    "shows the figures of that run. Error: %(error)s",
                    day=format_date(self.env, runs[0].as_of),
                    count=len(runs),
                    error=runs[0].message,
                )
            )
        if refreshes:
            banners.append(
                self.env._(
                    "%(count)s refreshes of customers' figures failed today; tonight's run brings these customers "
                    "up to date. Latest error: %(error)s",
                    count=len(refreshes),
                    error=refreshes[0].message,
                )
            )
        return banners

    @api.model
    def _no_change_note(self, latest, previous):
        """Why the board shows no change badges and no churn-state movement, or False when it does."""
        if not latest or previous:
            return False
        return self.env._(
            "The change badges and the churn-state movement appear from the second day of figures: they compare "
            "the latest run with the last run of an earlier day, and there is none yet."
        )

    @api.model
    def _sees_every_customer(self):
        user = self.env.user
        return self.env.su or any(
            user.has_group(group)
            for group in ("customer_churn_cockpit.group_churn_manager", "sales_team.group_sale_salesman_all_leads")
        )

    def _tile_data(self, tile, label, figures, latest, previous):
        # The change is what the last run moved, from the company-wide counts each run keeps: the
        # snapshots hold no flags, and the counts between runs also move with incremental refreshes.
        return {
            "key": tile.key,
            "section": tile.section,
            "label": label,
            "count": figures[f"{tile.key}_count"],
            "change": self._run_count(latest, tile) - self._run_count(previous, tile) if previous else False,
            "revenue_at_stake": figures[f"{tile.key}_at_stake"],
            "revenue_previous": figures[f"{tile.key}_revenue"],
            "better": tile.better,
            "accent": tile.accent,
            "domain": [*self._company_domain(), (tile.field, "=", tile.value)],
        }

    @api.model
    def _tile_precision(self, key, company, precisions):
        """What the latest backtest measured for the tile's signal (SPEC §11), or False when none did."""
        if key == "at_risk":
            key = f"at_risk_{company.churn_state_basis}"
        if key not in precisions:
            return False
        precision, too_few, horizon = precisions[key]
        title = self.env._("Signal accuracy: measured by replaying the past runs of the last year.")
        if too_few:
            return {"text": self.env._("Too few flagged in the backtest to tell"), "title": title}
        return {
            "text": self.env._(
                "%(hits)s in 10 shops flagged here stopped buying within %(days)s days",
                hits=round(precision * 10),
                days=horizon,
            ),
            "title": title,
        }

    @api.model
    def _run_count(self, run, tile):
        if tile.run_key.startswith("segment_counts:"):
            return (run.segment_counts or {}).get(tile.run_key.removeprefix("segment_counts:"), 0)
        return run[tile.run_key]

    @api.model
    def _segment_figures(self, groups):
        """Count and sum every tile from the partners grouped by the fields the tiles read.

        A tile's money is its customers' revenue at stake (SPEC §9: what they usually buy in a
        period less what they are expected to buy), with the previous period's sales beside it.
        """
        figures = {"customers": sum(count for _values, count, _revenue, _stake in groups)}
        for tile in TILES:
            members = [
                (count, revenue, stake) for values, count, revenue, stake in groups if values[tile.field] == tile.value
            ]
            figures[f"{tile.key}_count"] = sum(count for count, _revenue, _stake in members)
            figures[f"{tile.key}_revenue"] = sum(revenue for _count, revenue, _stake in members)
            figures[f"{tile.key}_at_stake"] = sum(stake for _count, _revenue, stake in members)
        return figures

    @api.model
    def _partner_groups(self):
        """The company's customers grouped by every field a tile or the ABC matrix reads, in one
        SQL pass over the figure rows the user may read: a few hundred rows of (values, count, revenue).

        The rows come from ``_search``, so record rules apply as in the lists behind the tiles: a
        tile's count is always the number of rows its list shows (every tile is one equality on
        one field). One grouped pass serves the tiles and the ABC matrix.
        """
        Figure = self.env["customer.churn.figure"]
        Figure.flush_model()
        query = Figure._search(self._company_domain())
        names = sorted({tile.field for tile in TILES} | {"abc_tier", "abc_tier_prev"})
        values = [Figure._field_to_sql(query.table, name, query) for name in names]
        revenue = Figure._field_to_sql(query.table, "churn_revenue_previous", query)
        stake = Figure._field_to_sql(query.table, "churn_revenue_at_stake", query)
        query.groupby = SQL(", ").join(values)
        rows = self.env.execute_query(
            query.select(
                *values,
                SQL("COUNT(*)"),
                SQL("COALESCE(SUM(%s), 0)::float8", revenue),
                SQL("COALESCE(SUM(%s), 0)::float8", stake),
            )
        )
        return [(dict(zip(names, row[:-3], strict=True)), *row[-3:]) for row in rows]

    @api.model
    def _company_domain(self):
        """The current company's rows: every list the board opens starts from it."""
        return [("company_id", "=", self.env.company.id)]

    @api.model
    def _tile_labels(self, company):
        """The tiles' names, as the trade's cockpits name them (活跃客户, 近30天销售额暴涨, …), with
        the company's own period and order-cycle multiplier."""
        _ = self.env._
        period = company.churn_period_days
        return {
            "never": _("Never-Traded Customers"),
            "active": _("Active Customers"),
            "at_risk": _("At-Risk Customers"),
            "churned": _("Churned Customers"),
            "newly_churned": _("Newly Churned Customers"),
            "likely_lost": _("Likely Lost Customers"),
            "traded_recently": _("Customers Traded Recently"),
            "not_traded_recently": _("Customers Not Traded Recently"),
            "cycle_overdue": self._cycle_overdue_label(company),
            "sales_surge": _("Sales Surge, Last %s Days", period),
            "sales_plunge": _("Sales Plunge, Last %s Days", period),
            "orders_rise": _("Order-Count Rise, Last %s Days", period),
            "orders_plunge": _("Order-Count Plunge, Last %s Days", period),
            "salesperson_left": _("Customers Whose Salesperson Left"),
            "salesperson_changed": _("Customers Whose Salesperson Changed"),
            **{f"tier_{tier.lower()}": _("Tier %s", tier) for tier, _label in ABC_TIERS},
            "very_important": _("Very Important Customers"),
            "important": _("Important Customers"),
            "general": _("General Customers"),
            "dormant": _("Dormant Customers"),
        }

    @api.model
    def _cycle_overdue_label(self, company):
        """超过两个订货周期未下单, with the multiplier of the company's settings (SPEC §4)."""
        return self.env._("No Order for Over %s Order Cycles", format(company.churn_cycle_multiplier, "g"))

    @api.model
    def _sections(self, company):
        """Title and one line of explanation per section, with the company's own settings."""
        partner_fields = self.env["customer.churn.figure"]._fields
        period = company.churn_period_days
        _ = self.env._
        return {
            "state": (partner_fields["churn_state"]._description_string(self.env), self._state_lines_text(company)),
            "activity": (
                _("Order Activity"),
                _("Orders in the last %s days, and each customer's own order cycle.", period),
            ),
            "changes": (_("Changes"), _("The last %(days)s days against the %(days)s days before.", days=period)),
            "salesperson": (
                _("Salesperson"),
                _("Customers whose salesperson left, or changed in the last %s days.", period),
            ),
            "abc_tier": (
                partner_fields["abc_tier"]._description_string(self.env),
                _("Share of last month's sales."),
            ),
            "value_segment": (
                partner_fields["value_segment"]._description_string(self.env),
                _("Rank by sales over the last %s days.", company.churn_value_window_days),
            ),
        }

    @api.model
    def _state_lines_text(self, company):
        """The lines the state is judged by (SPEC §3b), in the company's words."""
        fixed = self.env._(
            "At risk after %(at_risk)s days without orders, churned after %(churned)s.",
            at_risk=company.churn_at_risk_days,
            churned=company.churn_churned_days,
        )
        if company.churn_state_basis == "fixed":
            return fixed
        on_cycle = self.env._(
            "At risk after %(at_risk)s of the customer's own order cycles without orders (at least %(days)s days), "
            "churned after %(churned)s.",
            at_risk=format(company.churn_at_risk_cycles, "g"),
            churned=format(company.churn_churned_cycles, "g"),
            days=company.churn_cycle_min_days,
        )
        return self.env._("%(on_cycle)s Without an order cycle: %(fixed)s", on_cycle=on_cycle, fixed=fixed)

    @api.model
    def _abc_matrix(self, groups):
        """Previous ABC tier (rows) by ABC tier (columns): counts of the current figures."""
        Figure = self.env["customer.churn.figure"]
        counts = defaultdict(int)
        for values, count, *_money in groups:
            counts[values["abc_tier_prev"], values["abc_tier"]] += count
        _ = self.env._
        return self._matrix(
            key="abc",
            title=_("ABC Tier Movement"),
            hint=_("Last month's tier against the month before; click a cell to list its customers."),
            row_title=Figure._fields["abc_tier_prev"]._description_string(self.env),
            column_title=Figure._fields["abc_tier"]._description_string(self.env),
            keys=ABC_TIERS,
            counts=counts,
            ranks=TIER_RANKS,
            cell_domain=lambda row, column: [
                *self._company_domain(),
                ("abc_tier_prev", "=", row),
                ("abc_tier", "=", column),
            ],
            move_labels={"up": _("Upgraded"), "down": _("Downgraded")},
        )

    @api.model
    def _state_matrix(self, latest, previous):
        """State at the previous run (rows) by state at the latest run (columns), from the snapshots."""
        Figure = self.env["customer.churn.figure"]
        visible = Figure._partner_ids_query(self._company_domain())
        moves = self.env["customer.churn.snapshot"]._get_state_moves(latest, previous, visible)
        states = dict(Figure._fields["churn_state"]._description_selection(self.env))
        _ = self.env._
        return self._matrix(
            key="state",
            title=_("Churn State Movement"),
            hint=_("Each customer's state at the previous run against the latest run."),
            row_title=Figure._fields["churn_state_previous_run"]._description_string(self.env),
            column_title=Figure._fields["churn_state_latest_run"]._description_string(self.env),
            keys=[(key, states[key]) for key in sorted(STATE_RANKS, key=STATE_RANKS.get)],
            counts={(row, column): count for row, column, count in moves},
            ranks=STATE_RANKS,
            cell_domain=self._state_cell_domain,
            move_labels={"up": _("Recovered"), "down": _("Slipped")},
        )

    @api.model
    def _state_cell_domain(self, previous_state, latest_state):
        if not previous_state and not latest_state:
            # Every partner that neither run recorded would match: the cell is empty by definition.
            return expression.FALSE_DOMAIN
        return [
            *self._company_domain(),
            ("churn_state_previous_run", "=", previous_state),
            ("churn_state_latest_run", "=", latest_state),
        ]

    @api.model
    def _matrix(self, key, title, hint, row_title, column_title, keys, counts, ranks, cell_domain, move_labels):
        """A movement matrix ready to draw: rows are the earlier value, columns the later one.

        ``keys`` lists the values, best first; an extra "none" row and column (False) holds the
        customers without a value. Each cell carries the domain listing exactly its customers, and
        the totals the customers who moved up or down (both values set, different ranks).
        """
        keys = [*keys, (False, self.env._("None"))]
        counts = {(row or False, column or False): count for (row, column), count in counts.items()}
        rows = []
        for row, row_label in keys:
            cells = []
            for column, column_label in keys:
                move = self._move(ranks, row, column)
                cells.append(
                    {
                        "key": f"{row or 'none'}-{column or 'none'}",
                        "count": counts.get((row, column), 0),
                        "move": move,
                        "name": f"{row_label} → {column_label}",
                        "domain": cell_domain(row, column),
                    }
                )
            rows.append({"key": row or "none", "label": row_label, "cells": cells})
        totals = [
            {
                "key": move,
                "label": label,
                "count": sum(cell["count"] for row in rows for cell in row["cells"] if cell["move"] == move),
                "domain": expression.OR(
                    [cell["domain"] for row in rows for cell in row["cells"] if cell["move"] == move]
                ),
            }
            for move, label in move_labels.items()
        ]
        return {
            "key": key,
            "title": title,
            "hint": hint,
            "row_title": row_title,
            "column_title": column_title,
            "columns": [{"key": column or "none", "label": label} for column, label in keys],
            "rows": rows,
            "totals": totals,
        }

    @staticmethod
    def _move(ranks, before, after):
        if not before or not after:
            return "none"
        if ranks[after] == ranks[before]:
            return "same"
        return "up" if ranks[after] < ranks[before] else "down"
