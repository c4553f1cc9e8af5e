"""A slow, independent implementation of the SPEC, written from its text for the tests.

It shares no code with the engine: plain Python loops over orders, exact Fractions for money.
"""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

TIER_ORDER = "DCBA"


@dataclass
class Order:
    customer: int
    day: date
    amount: Fraction
    state: str


def month_bounds(day, months_back):
    index = day.year * 12 + day.month - 1 - months_back
    first = date(index // 12, index % 12 + 1, 1)
    nxt = index + 1
    return first, date(nxt // 12, nxt % 12 + 1, 1) - timedelta(days=1)


def reference_figures(customers, orders, as_of, s):
    """Expected SPEC §3–§6 figures of each customer id in ``customers``; ``s`` holds the settings."""
    tx = defaultdict(list)
    for order in orders:
        if order.state == "sale" and order.day <= as_of:
            tx[order.customer].append(order)
    figures = {c: per_customer(tx[c], as_of, s) for c in customers}
    for months_back, key in ((1, "abc_tier"), (2, "abc_tier_prev")):
        tiers = month_tiers(customers, tx, as_of, months_back, s)
        for c in customers:
            figures[c][key] = tiers[c]
    for c in customers:
        f = figures[c]
        f["abc_trend"] = trend(f["abc_tier"], f["abc_tier_prev"])
        f["abc_revenue"] = sum(
            (o.amount for o in tx[c] if month_bounds(as_of, 1)[0] <= o.day <= month_bounds(as_of, 1)[1]), Fraction(0)
        )
    segments = value_segments(customers, tx, as_of, s)
    for c in customers:
        figures[c]["value_segment"] = segments[c]
    return figures


def per_customer(orders, as_of, s):
    p = s["period_days"]
    w0 = (as_of - timedelta(days=p - 1), as_of)
    w1 = (as_of - timedelta(days=2 * p - 1), as_of - timedelta(days=p))
    in_w0 = [o for o in orders if w0[0] <= o.day <= w0[1]]
    in_w1 = [o for o in orders if w1[0] <= o.day <= w1[1]]
    rev_cur = sum((o.amount for o in in_w0), Fraction(0))
    rev_prev = sum((o.amount for o in in_w1), Fraction(0))
    f = {
        "rev_cur": rev_cur, "rev_prev": rev_prev, "cnt_cur": len(in_w0), "cnt_prev": len(in_w1),
        "sales_plunge": rev_prev > 0 and rev_cur <= rev_prev * (1 - Fraction(s["sales_plunge_percent"]) / 100),
        "sales_surge": rev_prev > 0 and rev_cur >= rev_prev * (1 + Fraction(s["sales_surge_percent"]) / 100),
        "orders_plunge": len(in_w1) - len(in_w0) > s["orders_plunge_count"],
        "orders_rise": len(in_w0) - len(in_w1) > s["orders_rise_count"],
        "traded_recently": len(in_w0) >= 1,
    }  # fmt: skip
    if not orders:
        # No cycle: the lines are R and C, whatever the basis.
        f.update(state="never", last=None, days_since=None, newly_churned=False, not_traded_recently=False,
                 cycle=None, next_order=None, overdue=False, at_risk_after=s["at_risk_days"],
                 churned_after=s["churned_days"])  # fmt: skip
        return f
    last = max(o.day for o in orders)
    days_since = (as_of - last).days
    start = as_of - timedelta(days=364)
    days = sorted({o.day for o in orders if start <= o.day <= as_of})
    cycle = None
    if len(days) >= 3:
        cycle = statistics.median((b - a).days for a, b in zip(days, days[1:], strict=False))
    r, c = lines(cycle, s)
    state = "active" if days_since < r else "at_risk" if days_since < c else "churned"
    f.update(
        state=state,
        last=last,
        days_since=days_since,
        at_risk_after=r,
        churned_after=c,
        newly_churned=c <= days_since < c + p,
        not_traded_recently=len(in_w0) == 0 and any(o.day < w0[0] for o in orders),
    )
    f["cycle"] = cycle
    f["next_order"] = last + timedelta(days=math.floor(cycle + 0.5)) if cycle is not None else None
    f["overdue"] = cycle is not None and days_since > s["cycle_multiplier"] * cycle
    return f


def lines(cycle, s):
    """(at-risk days, churned days) of a customer whose order cycle is ``cycle`` (SPEC §3b).

    In decimal arithmetic: the settings as they are written, the cycle (a median of whole days)
    exactly, so ceil(1.1 x 10) is 11.
    """
    if s["state_basis"] == "fixed" or cycle is None:
        return s["at_risk_days"], s["churned_days"]

    def ceil_times(factor):
        return int((Decimal(str(factor)) * Decimal(str(cycle))).to_integral_value(rounding=ROUND_CEILING))

    r = max(s["cycle_min_days"], ceil_times(s["at_risk_cycles"]))
    return r, max(r + 1, ceil_times(s["churned_cycles"]))


def month_tiers(customers, tx, as_of, months_back, s):
    first, last = month_bounds(as_of, months_back)
    revenue = {c: sum((o.amount for o in tx[c] if first <= o.day <= last), Fraction(0)) for c in customers}
    ranked = sorted((c for c in customers if revenue[c] > 0), key=lambda c: (-revenue[c], c))
    total = sum(revenue[c] for c in ranked)
    tiers = {}
    before = Fraction(0)
    for c in ranked:
        share = before / total
        tiers[c] = "A" if share < Fraction(s["abc_a_percent"], 100) else (
            "B" if share < Fraction(s["abc_a_percent"] + s["abc_b_percent"], 100) else "C")  # fmt: skip
        before += revenue[c]
    for c in customers:
        if c not in tiers:
            first_day = min((o.day for o in tx[c]), default=None)
            tiers[c] = "D" if first_day is not None and first_day <= last else None
    return tiers


def trend(tier, prev):
    if tier is None:
        return None
    if prev is None:
        return "new"
    return "up" if TIER_ORDER.index(tier) > TIER_ORDER.index(prev) else "down" if tier != prev else "same"


def value_segments(customers, tx, as_of, s):
    start = as_of - timedelta(days=364)
    revenue = {c: sum((o.amount for o in tx[c] if start <= o.day <= as_of), Fraction(0)) for c in customers}
    ranked = sorted((c for c in customers if revenue[c] > 0), key=lambda c: (-revenue[c], c))
    n = len(ranked)
    bands = [s["value_very_important_percent"], s["value_important_percent"], s["value_general_percent"]]
    limits = [math.ceil(Fraction(sum(bands[: i + 1]), 100) * n) for i in range(3)]
    segments = {c: ("dormant" if tx[c] else None) for c in customers}
    for rank, c in enumerate(ranked, start=1):
        names = ["very_important", "important", "general"]
        segments[c] = next((names[i] for i in range(3) if rank <= limits[i]), "dormant")
    return segments
