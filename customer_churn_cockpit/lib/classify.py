"""Classify customers from their per-customer aggregates (SPEC §3–§6).

The input is one row per customer, produced by one SQL pass over the sale orders
(``models/customer_churn_engine.py``). Everything here is vectorised pandas: no loop
over customers, no database, so the rules can be read and tested on their own.
"""

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from .vocabulary import FIGURE_NAMES, FIGURES, STATE_BASES

# Guards float comparisons of money sums: a change of exactly 20% is a surge, even when
# binary floating point puts 120 a hair under 100 * 1.2.
EPSILON = 1e-9

TIER_RANK = {"A": 4, "B": 3, "C": 2, "D": 1}
# A customer without a salesperson has lost one when it bought within this many days (SPEC §13).
SALESPERSON_YEAR_DAYS = 365

AGGREGATE_COLUMNS = (
    "first_day",
    "last_day",
    "rev_cur",
    "rev_prev",
    "cnt_cur",
    "cnt_prev",
    "rev_month",
    "rev_month_prev",
    "rev_value",
    "cycle_days",
)


@dataclass(frozen=True)
class ChurnSettings:
    """The thresholds of SPEC §2–§6 (客户分类指标定义); defaults are the SPEC's."""

    period_days: int = 30
    at_risk_days: int = 15
    churned_days: int = 30
    state_basis: str = "cycle"
    at_risk_cycles: float = 1.5
    churned_cycles: float = 2.0
    cycle_min_days: int = 7
    sales_plunge_percent: float = 20.0
    sales_surge_percent: float = 20.0
    orders_plunge_count: int = 2
    orders_rise_count: int = 2
    cycle_multiplier: float = 2.0
    cycle_window_days: int = 365
    cycle_min_order_days: int = 3
    abc_a_percent: int = 30
    abc_b_percent: int = 50
    value_window_days: int = 365
    value_very_important_percent: int = 5
    value_important_percent: int = 20
    value_general_percent: int = 50


def result_columns():
    """Names of the per-customer figures, as SPEC §8 names the partner fields."""
    return list(FIGURE_NAMES)


def classify_customers(aggregates, windows, settings, ranks=True):
    """Return one row of SPEC §8 figures per customer of ``aggregates`` (indexed by partner id).

    Without ``ranks``, the figures that rank customers against each other (RANK_COLUMNS) stay
    empty: a refresh of a few customers cannot rank them and does not write them.
    """
    agg = aggregates.sort_index()
    result = _empty_result(agg.index)
    traded = agg["last_day"].notna()
    as_of = pd.Timestamp(windows.as_of)
    days_since = (as_of - agg["last_day"]).dt.days
    result["churn_as_of"] = as_of
    result["churn_last_order_date"] = agg["last_day"]
    result["churn_days_since"] = days_since.where(traded)
    for column, source in (
        ("churn_revenue_current", "rev_cur"),
        ("churn_revenue_previous", "rev_prev"),
        ("churn_orders_current", "cnt_cur"),
        ("churn_orders_previous", "cnt_prev"),
        ("abc_revenue", "rev_month"),
    ):
        result[column] = agg[source].fillna(0)
    at_risk_after, churned_after = state_lines(agg["cycle_days"], settings)
    result["churn_at_risk_after"] = at_risk_after
    result["churn_churned_after"] = churned_after
    result["churn_state"] = _churn_state(days_since, traded, at_risk_after, churned_after)
    _set_flags(result, agg, days_since, traded, settings, churned_after)
    _set_cycle(result, agg, days_since, settings)
    if "salesperson_status" in agg:
        _set_salesperson(result, agg, windows)
    if ranks:
        _set_abc(result, agg, windows, settings)
        result["value_segment"] = _value_segment(agg, traded, settings)
    # Visit and coupon context (SPEC §7) is passed through as extracted.
    for column, source in (
        ("churn_last_visit_date", "last_visit_date"),
        ("churn_last_coupon_date", "last_coupon_date"),
    ):
        if source in agg:
            result[column] = agg[source]
    return result


# How each kind of figure is empty before the rules fill it in.
EMPTY_VALUES = {
    "selection": lambda index: pd.Series(None, index=index, dtype=object),
    "date": lambda index: pd.Series(pd.NaT, index=index, dtype="datetime64[ns]"),
    "integer": lambda index: pd.Series(0, index=index, dtype="int64"),
    "float": lambda index: pd.Series(0.0, index=index),
    "boolean": lambda index: pd.Series(False, index=index),
}
# Counts of days and cycles are empty (NaN), not zero, for a customer that never ordered.
EMPTY_NUMBERS = ("churn_days_since", "churn_cycle_days")


def _empty_result(index):
    frame = pd.DataFrame({figure.name: EMPTY_VALUES[figure.kind](index) for figure in FIGURES}, index=index)
    for name in EMPTY_NUMBERS:
        frame[name] = np.nan
    return frame


def state_lines(cycle_days, settings, basis=None):
    """The days since the last order from which each customer is at risk, and churned (SPEC §3b).

    ``basis`` (the settings' one when None) ``fixed``: R and C of the settings for everyone.
    ``cycle``: for a customer whose cycle is set (not NaN), ``R_c = max(R_min, ceil(k_r * cycle))``
    and ``C_c = max(R_c + 1, ceil(k_c * cycle))``; the others, a customer that never traded
    among them, keep R and C. The products are exact: k_r and k_c are read as the decimals they
    are written as, the cycle as the float it is, so 1.5 x 7 = 10.5 gives 11 and 1.1 x 50 gives
    55, not the 56 of 55.00000000000001. Returns (at_risk_after, churned_after) as integer arrays.
    """
    basis = basis or settings.state_basis
    if basis not in dict(STATE_BASES):
        raise ValueError(f"churn state basis must be one of {list(dict(STATE_BASES))}, not {basis!r}")
    cycle = np.asarray(cycle_days, dtype=float)
    at_risk = np.full(cycle.shape, settings.at_risk_days, dtype=np.int64)
    churned = np.full(cycle.shape, settings.churned_days, dtype=np.int64)
    if basis == "cycle":
        has_cycle = ~np.isnan(cycle)
        # Cycles are medians of whole days: a few hundred distinct values at most.
        values, inverse = np.unique(cycle[has_cycle], return_inverse=True)
        factors = Fraction(str(settings.at_risk_cycles)), Fraction(str(settings.churned_cycles))
        lines = np.array(
            [_cycle_lines(Fraction(value), *factors, settings.cycle_min_days) for value in values],
            dtype=np.int64,
        ).reshape(-1, 2)
        at_risk[has_cycle] = lines[inverse, 0]
        churned[has_cycle] = lines[inverse, 1]
    return at_risk, churned


def _cycle_lines(cycle, at_risk_factor, churned_factor, cycle_min_days):
    at_risk = max(cycle_min_days, math.ceil(at_risk_factor * cycle))
    return at_risk, max(at_risk + 1, math.ceil(churned_factor * cycle))


def _churn_state(days_since, traded, at_risk_after, churned_after):
    conditions = [
        ~traded,
        days_since < at_risk_after,
        days_since < churned_after,
    ]
    return pd.Series(
        np.select(conditions, ["never", "active", "at_risk"], default="churned"),
        index=days_since.index,
        dtype=object,
    )


def _set_flags(result, agg, days_since, traded, settings, churned):
    rev_cur, rev_prev = agg["rev_cur"].fillna(0), agg["rev_prev"].fillna(0)
    cnt_cur, cnt_prev = agg["cnt_cur"].fillna(0), agg["cnt_prev"].fillna(0)
    period = settings.period_days
    result["churn_newly_churned"] = traded & (days_since >= churned) & (days_since < churned + period)
    result["churn_traded_recently"] = cnt_cur >= 1
    # A customer with orders and none in the current window last ordered before it.
    result["churn_not_traded_recently"] = traded & (cnt_cur == 0)
    # Cross-multiplied so that whole-number percentages compare exactly.
    had_sales = rev_prev > 0
    scale = EPSILON * rev_prev.abs().clip(lower=1)
    plunge_line = rev_prev * (100 - settings.sales_plunge_percent)
    surge_line = rev_prev * (100 + settings.sales_surge_percent)
    result["churn_sales_plunge"] = had_sales & (rev_cur * 100 <= plunge_line + scale)
    result["churn_sales_surge"] = had_sales & (rev_cur * 100 >= surge_line - scale)
    result["churn_orders_plunge"] = (cnt_prev - cnt_cur) > settings.orders_plunge_count
    result["churn_orders_rise"] = (cnt_cur - cnt_prev) > settings.orders_rise_count


def _set_cycle(result, agg, days_since, settings):
    cycle = agg["cycle_days"].astype(float)
    has_cycle = cycle.notna()
    result["churn_cycle_days"] = cycle
    offset = pd.to_timedelta(np.floor(cycle + 0.5), unit="D")
    result["churn_next_order_date"] = (agg["last_day"] + offset).where(has_cycle)
    result["churn_cycle_overdue"] = has_cycle & (days_since > settings.cycle_multiplier * cycle)


def _set_salesperson(result, agg, windows):
    """SPEC §13. ``salesperson_status``: none, archived, outside (not allowed in the company) or
    active; ``last_salesperson_change``: the day of the last change up to as_of (NaT when none)."""
    status = agg["salesperson_status"]
    year_start = pd.Timestamp(windows.as_of) - pd.Timedelta(days=SALESPERSON_YEAR_DAYS - 1)
    traded_this_year = agg["last_day"].notna() & (agg["last_day"] >= year_start)
    result["churn_salesperson_left"] = status.isin(["archived", "outside"]) | (status.eq("none") & traded_this_year)
    result["churn_salesperson_changed"] = agg["last_salesperson_change"] >= pd.Timestamp(windows.current_start)


def _set_abc(result, agg, windows, settings):
    split = (settings.abc_a_percent, settings.abc_b_percent)
    tier = _abc_tier(agg["rev_month"], agg["first_day"], windows.abc_month_end, split)
    prev = _abc_tier(agg["rev_month_prev"], agg["first_day"], windows.abc_prev_month_end, split)
    result["abc_tier"] = tier
    result["abc_tier_prev"] = prev
    result["abc_trend"] = _abc_trend(tier, prev)


def _abc_tier(revenue, first_day, month_end, split):
    """Tier of one calendar month (SPEC §5); ``split`` is (A percent, B percent)."""
    a_percent, b_percent = split
    revenue = revenue.fillna(0)
    tiers = pd.Series(None, index=revenue.index, dtype=object)
    started = first_day.notna() & (first_day <= pd.Timestamp(month_end))
    tiers[started] = "D"
    ranked = _rank_positive(revenue)
    if not ranked.empty:
        total = ranked.sum()
        before = ranked.cumsum() - ranked
        tolerance = EPSILON * total
        in_a = before * 100 < a_percent * total - tolerance
        in_b = before * 100 < (a_percent + b_percent) * total - tolerance
        tiers[ranked.index] = np.select([in_a, in_b], ["A", "B"], default="C")
    return tiers


def _rank_positive(revenue):
    """Positive revenues, largest first, ties broken by the lower partner id."""
    positive = revenue[revenue > 0]
    frame = pd.DataFrame({"revenue": positive.to_numpy(), "partner_id": positive.index})
    frame = frame.sort_values(["revenue", "partner_id"], ascending=[False, True], kind="mergesort")
    return pd.Series(frame["revenue"].to_numpy(), index=frame["partner_id"].to_numpy())


def _abc_trend(tier, prev):
    now_rank = tier.map(TIER_RANK)
    prev_rank = prev.map(TIER_RANK)
    trend = pd.Series(
        np.select(
            [prev_rank.isna(), now_rank > prev_rank, now_rank < prev_rank],
            ["new", "up", "down"],
            default="same",
        ),
        index=tier.index,
        dtype=object,
    )
    return trend.where(tier.notna())


def _value_segment(agg, traded, settings):
    """Value segment by rank over the value window (SPEC §6): bands of customer counts."""
    segments = pd.Series(None, index=agg.index, dtype=object)
    segments[traded] = "dormant"
    ranked = _rank_positive(agg["rev_value"].fillna(0))
    count = len(ranked)
    if count:
        rank = np.arange(1, count + 1)
        very = settings.value_very_important_percent
        important = very + settings.value_important_percent
        general = important + settings.value_general_percent
        segments[ranked.index] = np.select(
            [
                rank <= _ceil_share(very, count),
                rank <= _ceil_share(important, count),
                rank <= _ceil_share(general, count),
            ],
            ["very_important", "important", "general"],
            default="dormant",
        )
    return segments


def _ceil_share(percent, count):
    """ceil(percent% of count), exact in integers."""
    return -(-int(percent) * count // 100)
