from collections import namedtuple

from odoo import api, models
from odoo.tools import SQL

from .res_partner import ABC_TIERS, CHURN_STATES, VALUE_SEGMENTS

# One tile of the board: the partners with ``field = value``. ``run_key`` names the tile's count in
# customer.churn.run (a ``<key>_count`` field, or a key of ``segment_counts`` after "segment_counts:").
# ``better`` tells which way of moving is good news, so the change is coloured: "up", "down" or None.
# ``accent`` is the Bootstrap colour of the tile.
Tile = namedtuple("Tile", "key section field value run_key better accent")

SECTIONS = ("state", "activity", "changes", "abc_tier", "value_segment")

STATE_TILES = (
    Tile("never", "state", "churn_state", "never", "never_count", None, "secondary"),
    Tile("active", "state", "churn_state", "active", "active_count", "up", "success"),
    Tile("at_risk", "state", "churn_state", "at_risk", "at_risk_count", "down", "warning"),
    Tile("churned", "state", "churn_state", "churned", "churned_count", "down", "danger"),
    Tile("newly_churned", "state", "churn_newly_churned", True, "segment_counts:churn_newly_churned", "down", "danger"),
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

VIEWS = {
    "list": "customer_churn_cockpit.res_partner_view_list_churn",
    "kanban": "customer_churn_cockpit.res_partner_view_kanban_churn",
    "search": "customer_churn_cockpit.res_partner_view_search_churn",
}


class CustomerChurnBoard(models.AbstractModel):
    """The cockpit's first screen (客户分析): one tile per segment of the current company."""

    _name = "customer.churn.board"
    _description = "Customer Churn Board"

    @api.model
    def get_board_data(self):
        """Everything the board shows, for ``self.env.company`` and the partners the user may read."""
        company = self.env.company
        runs = self.env["customer.churn.run"].search([("company_id", "=", company.id)], limit=2)
        latest, previous = runs[:1], runs[1:2]
        figures = self._segment_figures()
        labels = self._tile_labels()
        tiles = [self._tile_data(tile, labels[tile.key], figures, latest, previous) for tile in TILES]
        sections = self._sections(company)
        return {
            "company": {"id": company.id, "name": company.name},
            "currency_id": company.currency_id.id,
            "as_of": latest.as_of or False,
            "previous_as_of": previous.as_of or False,
            "customers": figures["customers"],
            "is_manager": self.env.user.has_group("customer_churn_cockpit.group_churn_manager"),
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
        }

    def _tile_data(self, tile, label, figures, latest, previous):
        # The change is what the last run moved, from the company-wide counts each run keeps: the
        # snapshots hold no flags, and the counts between runs also move with incremental refreshes.
        return {
            "key": tile.key,
            "section": tile.section,
            "label": label,
            "count": figures[f"{tile.key}_count"],
            "change": self._run_count(latest, tile) - self._run_count(previous, tile) if previous else False,
            "revenue_at_stake": figures[f"{tile.key}_revenue"],
            "better": tile.better,
            "accent": tile.accent,
            "domain": [(tile.field, "=", tile.value)],
        }

    @api.model
    def _run_count(self, run, tile):
        if tile.run_key.startswith("segment_counts:"):
            return (run.segment_counts or {}).get(tile.run_key.removeprefix("segment_counts:"), 0)
        return run[tile.run_key]

    @api.model
    def _segment_figures(self):
        """Count and sum every tile in one grouped SQL pass over the stored jsonb columns.

        The partners come from ``_search``, so record rules and archived partners are handled the
        way the lists behind the tiles handle them, and each filter is the SQL of the tile's own
        domain term: a tile's count is always the number of partners its list shows.

        The revenue at stake is the previous period's sales (``churn_revenue_previous``) of the
        segment's customers: what they bought before the current window, the business a
        distributor stands to lose when they slip away (zero for those gone long ago).
        """
        self.env.flush_all()
        Partner = self.env["res.partner"]
        query = Partner._search([("churn_state", "!=", False)])
        revenue = Partner._field_to_sql(query.table, "churn_revenue_previous", query)
        columns = [SQL("COUNT(*) AS customers")]
        for tile in TILES:
            condition = Partner._condition_to_sql(query.table, tile.field, "=", tile.value, query)
            columns += [
                SQL("COUNT(*) FILTER (WHERE %s) AS %s", condition, SQL.identifier(f"{tile.key}_count")),
                SQL(
                    "COALESCE(SUM(%s) FILTER (WHERE %s), 0)::float8 AS %s",
                    revenue,
                    condition,
                    SQL.identifier(f"{tile.key}_revenue"),
                ),
            ]
        return self.env.execute_query_dict(query.select(*columns))[0]

    @api.model
    def _tile_labels(self):
        """Labels of the partner fields and their selection values, so the tiles read like the lists."""
        partner_fields = self.env["res.partner"]._fields
        states = dict(partner_fields["churn_state"]._description_selection(self.env))
        values = dict(partner_fields["value_segment"]._description_selection(self.env))
        labels = {key: states[key] for key, _label in CHURN_STATES}
        labels.update({key: values[key] for key, _label in VALUE_SEGMENTS})
        for tile in (*FLAG_TILES, STATE_TILES[-1]):
            labels[tile.key] = partner_fields[tile.field]._description_string(self.env)
        labels.update({f"tier_{tier.lower()}": self.env._("Tier %s", tier) for tier, _label in ABC_TIERS})
        return labels

    @api.model
    def _sections(self, company):
        """Title and one line of explanation per section, with the company's own settings."""
        partner_fields = self.env["res.partner"]._fields
        period = company.churn_period_days
        _ = self.env._
        return {
            "state": (
                partner_fields["churn_state"]._description_string(self.env),
                _(
                    "At risk after %(at_risk)s days without orders, churned after %(churned)s.",
                    at_risk=company.churn_at_risk_days,
                    churned=company.churn_churned_days,
                ),
            ),
            "activity": (
                _("Order Activity"),
                _("Orders in the last %s days, and each customer's own order cycle.", period),
            ),
            "changes": (_("Changes"), _("The last %(days)s days against the %(days)s days before.", days=period)),
            "abc_tier": (
                partner_fields["abc_tier"]._description_string(self.env),
                _("Share of last month's sales."),
            ),
            "value_segment": (
                partner_fields["value_segment"]._description_string(self.env),
                _("Rank by sales over the last %s days.", company.churn_value_window_days),
            ),
        }
