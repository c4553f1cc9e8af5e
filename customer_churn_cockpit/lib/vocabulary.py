"""The cockpit's words, in one place: states, tiers, segments, flags and every figure (SPEC §3–§8).

The figure model, the partner fields, the engine's SQL and pandas, the board, the run counts and
the export all read this module, so adding a figure or a flag touches it (and the views that show
it) and nothing else. No Odoo import: the labels are plain English, translated by Odoo where the
fields declare them.
"""

from collections import namedtuple

CHURN_STATES = [
    ("never", "Never Traded"),
    ("active", "Active"),
    ("at_risk", "At Risk"),
    ("churned", "Churned"),
]
ABC_TIERS = [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")]
ABC_TRENDS = [("up", "Up"), ("down", "Down"), ("same", "Same"), ("new", "New")]
VALUE_SEGMENTS = [
    ("very_important", "Very Important"),
    ("important", "Important"),
    ("general", "General"),
    ("dormant", "Dormant"),
]
# What a customer's state lines are drawn from (SPEC §3b): its own order cycle, or R and C.
STATE_BASES = [
    ("cycle", "Each Customer's Order Cycle"),
    ("fixed", "Fixed Days"),
]

# One per-customer figure of SPEC §8. ``kind`` is the Odoo field type; ``selection`` the keys and
# labels of a selection; ``rank`` marks figures that compare a customer with all others, which
# only a full run can compute (an order's refresh leaves them as they are).
Figure = namedtuple("Figure", "name kind string selection aggregator rank", defaults=(None, None, False))

FIGURES = (
    Figure("churn_state", "selection", "Churn State", CHURN_STATES),
    Figure("churn_as_of", "date", "Figures As Of"),
    Figure("churn_last_order_date", "date", "Last Order Date"),
    Figure("churn_days_since", "integer", "Days Without Orders", aggregator="avg"),
    Figure("churn_at_risk_after", "integer", "At Risk After (days)", aggregator="avg"),
    Figure("churn_churned_after", "integer", "Churned After (days)", aggregator="avg"),
    Figure("churn_revenue_current", "float", "Sales, Current Period", aggregator="sum"),
    Figure("churn_revenue_previous", "float", "Sales, Previous Period", aggregator="sum"),
    Figure("churn_orders_current", "integer", "Orders, Current Period", aggregator="sum"),
    Figure("churn_orders_previous", "integer", "Orders, Previous Period", aggregator="sum"),
    Figure("churn_newly_churned", "boolean", "Newly Churned"),
    Figure("churn_traded_recently", "boolean", "Traded Recently"),
    Figure("churn_not_traded_recently", "boolean", "Not Traded Recently"),
    Figure("churn_sales_plunge", "boolean", "Sales Plunge"),
    Figure("churn_sales_surge", "boolean", "Sales Surge"),
    Figure("churn_orders_plunge", "boolean", "Order-Count Plunge"),
    Figure("churn_orders_rise", "boolean", "Order-Count Rise"),
    Figure("churn_cycle_days", "float", "Order Cycle (days)", aggregator="avg"),
    Figure("churn_next_order_date", "date", "Next Expected Order"),
    Figure("churn_cycle_overdue", "boolean", "Overdue on Order Cycle"),
    Figure("churn_likely_lost", "boolean", "Likely Lost"),
    # SPEC §13: the salesperson left (archived, out of the company, or none for a recent buyer),
    # and a new salesperson within the period.
    Figure("churn_salesperson_left", "boolean", "Salesperson Left"),
    Figure("churn_salesperson_changed", "boolean", "Salesperson Changed"),
    Figure("abc_tier", "selection", "ABC Tier", ABC_TIERS, rank=True),
    Figure("abc_tier_prev", "selection", "Previous ABC Tier", ABC_TIERS, rank=True),
    Figure("abc_trend", "selection", "ABC Trend", ABC_TRENDS, rank=True),
    Figure("abc_revenue", "float", "ABC Month Sales", aggregator="sum"),
    Figure("value_segment", "selection", "Value Segment", VALUE_SEGMENTS, rank=True),
    Figure("churn_last_visit_date", "date", "Last Visit"),
    Figure("churn_last_coupon_date", "date", "Last Coupon"),
    # The forecast of SPEC §9 (lib/forecast.py): empty where the company's models have no fit.
    Figure("churn_p_alive", "float", "P(Alive)", aggregator="avg"),
    Figure("churn_expected_orders", "float", "Expected Order Days, Next Period", aggregator="sum"),
    Figure("churn_expected_order_value", "float", "Expected Order-Day Value", aggregator="avg"),
    Figure("churn_expected_revenue", "float", "Expected Sales, Next Period", aggregator="sum"),
    Figure("churn_usual_revenue", "float", "Usual Sales per Period", aggregator="sum"),
    Figure("churn_revenue_at_stake", "float", "Sales at Stake", aggregator="sum"),
)
FIGURE_NAMES = tuple(figure.name for figure in FIGURES)
FIGURES_BY_NAME = {figure.name: figure for figure in FIGURES}
# Figures that rank customers against each other (SPEC §5, §6).
RANK_COLUMNS = tuple(figure.name for figure in FIGURES if figure.rank)
# The flags of SPEC §4: independent booleans, each a tile, a filter and a run count.
FLAG_COLUMNS = tuple(figure.name for figure in FIGURES if figure.kind == "boolean")
