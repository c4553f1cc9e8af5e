"""The backtest of SPEC §11: past runs replayed, and how often each signal named a customer lost.

Stories count population, flagged, lost and hits by hand; a property test compares the library
with a slow loop over plain dates built on ``spec_reference`` (SPEC §3-§6, independently).
"""

import math
from dataclasses import asdict, replace
from datetime import date, timedelta
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.addons.customer_churn_cockpit.lib.backtest import (
    SIGNALS,
    aggregates_as_of,
    backtest,
    replay_dates,
)
from odoo.addons.customer_churn_cockpit.lib.classify import ChurnSettings

from spec_reference import Order, reference_figures

D = date.fromisoformat
# The signals that need no fitted model.
MODEL_FREE_SIGNALS = [signal for signal in SIGNALS if signal != "low_p_alive"]


def order_days(*rows):
    """Rows of (partner_id, day, amount[, orders]) as the engine's daily CTE gives them."""
    rows = [(p, D(day), amount, *(extra or (1,))) for p, day, amount, *extra in rows]
    return pd.DataFrame(rows, columns=["partner_id", "day", "amount", "orders"])


def by_signal(rows):
    return {row["signal"]: row for row in rows}


def counts(row):
    return {key: row[key] for key in ("replay_dates", "population", "flagged", "lost", "hits")}


# Replay dates -------------------------------------------------------------------------------


def test_a_year_of_weekly_replays_ends_h_days_before_as_of():
    dates = replay_dates(D("2025-06-30"), D("2020-01-01"), 60)
    assert len(dates) == 53
    assert dates[0] == D("2025-05-01")
    assert dates[1] == D("2025-04-24")
    assert dates[-1] == D("2024-05-02")  # as_of - H - 364


def test_no_replay_before_the_first_order_day():
    assert replay_dates(D("2025-06-30"), D("2025-04-17"), 60) == [D("2025-05-01"), D("2025-04-24"), D("2025-04-17")]
    assert replay_dates(D("2025-06-30"), D("2025-04-18"), 60) == [D("2025-05-01"), D("2025-04-24")]
    assert replay_dates(D("2025-06-30"), D("2025-05-02"), 60) == []
    assert replay_dates(D("2025-06-30"), None, 60) == []


# Aggregates of a replayed run ---------------------------------------------------------------

HISTORY = order_days(
    # Customer 1: the day before the 365-day windows, then both comparison windows' edges.
    (1, "2024-03-15", 1000.0),
    (1, "2025-01-15", 100.0, 2),  # first day of W1, January
    (1, "2025-01-31", 50.0),
    (1, "2025-02-13", 25.0),  # last day of W1, February
    (1, "2025-02-14", 10.0, 3),  # first day of W0
    (1, "2025-03-15", 5.0),  # as_of
    (1, "2025-03-16", 999.0),  # after as_of: ignored
    (2, "2025-03-16", 7.0),  # only after as_of: not a customer yet
    (3, "2025-03-01", 20.0),
    (3, "2025-03-05", -4.0),
    (4, "2024-04-01", 30.0),
    (4, "2024-04-11", 30.0),
    (4, "2024-04-14", 30.0),
    (4, "2024-05-01", 30.0),
)


def test_aggregates_as_a_run_extracts_them():
    """As of 2025-03-15 (P = 30): W0 = Feb 14 - Mar 15, W1 = Jan 15 - Feb 13, ABC months Feb, Jan."""
    nan = float("nan")
    expected = pd.DataFrame(
        {
            "first_day": pd.to_datetime(["2024-03-15", "2025-03-01", "2024-04-01"]),
            "last_day": pd.to_datetime(["2025-03-15", "2025-03-05", "2024-05-01"]),
            "rev_cur": [15.0, 16.0, nan],
            "rev_prev": [175.0, nan, nan],
            "cnt_cur": [4, 2, 0],
            "cnt_prev": [4, 0, 0],
            "rev_month": [35.0, nan, nan],
            "rev_month_prev": [150.0, nan, nan],
            "rev_value": [190.0, 16.0, 120.0],
            # Customer 1: Jan 15, 31, Feb 13, 14, Mar 15 -> gaps 16, 13, 1, 29 -> 14.5 (the day of
            # 2024-03-15 is outside the window). Customer 3: two days only. Customer 4: 10, 3, 17.
            "cycle_days": [14.5, nan, 10.0],
        },
        index=pd.Index([1, 3, 4], name="partner_id"),
    )
    result = aggregates_as_of(HISTORY, D("2025-03-15"), ChurnSettings())
    pd.testing.assert_frame_equal(result, expected, check_dtype=False)
    assert result["first_day"].dtype == "datetime64[ns]"


def test_a_cycle_needs_the_fewest_order_days_in_the_window():
    five = aggregates_as_of(HISTORY, D("2025-03-15"), ChurnSettings(cycle_min_order_days=5))
    six = aggregates_as_of(HISTORY, D("2025-03-15"), ChurnSettings(cycle_min_order_days=6))
    assert five.loc[1, "cycle_days"] == 14.5
    assert math.isnan(six.loc[1, "cycle_days"])


def test_aggregates_before_a_customer_first_order():
    result = aggregates_as_of(HISTORY, pd.Timestamp("2024-04-11"), ChurnSettings())
    assert result.index.tolist() == [1, 4]
    assert result.loc[4, "cnt_cur"] == 2
    assert result.loc[4, "rev_cur"] == 60.0


# Stories ------------------------------------------------------------------------------------
#
# Story 1: P = 7, R = 4, C = 8, H = 10, as_of 2025-03-31. The company's first order is on
# March 8, so the replays are March 14 (D1) and March 21 (D0); March 7 is before it. Population
# of D1: an order in [Mar 5, Mar 14], lost: none in (Mar 14, Mar 24]; of D0: [Mar 12, Mar 21]
# and (Mar 21, Mar 31]. Amounts are 10 an order day.

STORY = ChurnSettings(period_days=7, at_risk_days=4, churned_days=8)
STORY_AS_OF = D("2025-03-31")


def story_order_days():
    days = {
        # Steady: every day, always there.
        1: [f"2025-03-{d:02d}" for d in range(8, 32)],
        # Fades: every other day until Mar 16, then gone. D1 active; D0 at risk (fixed), on its
        # own 2-day cycle still below R_min = 7 (cycle basis: active), overdue, sales and
        # orders plunging (1 order day in W0 against 4 in W1); lost.
        2: ["2025-03-08", "2025-03-10", "2025-03-12", "2025-03-14", "2025-03-16"],
        # At risk at both replays (5 days since), back on Mar 16 and on Mar 31 = D0 + H: not lost.
        3: ["2025-03-09", "2025-03-16", "2025-03-31"],
        # At risk at D1, back on Mar 25 = D1 + H + 1: lost at D1. No order in D0's population window.
        4: ["2025-03-09", "2025-03-25"],
        # First order after D1: a customer at D0 only, active there, then lost (a miss).
        5: ["2025-03-15", "2025-03-17", "2025-03-19"],
    }
    return order_days(*((partner, day, 10.0) for partner, ds in days.items() for day in ds))


def test_story_counts_every_signal():
    """D1: population 1-4, lost 4. D0: population 1, 2, 3, 5, lost 2 and 5."""
    rows = by_signal(backtest(story_order_days(), STORY_AS_OF, STORY, horizon=10))
    assert list(rows) == list(SIGNALS)
    shared = {"replay_dates": 2, "population": 8, "lost": 3}
    # D1: 3, 4 (4 lost); D0: 2 (lost), 3.
    assert counts(rows["at_risk_fixed"]) == shared | {"flagged": 4, "hits": 2}
    # D1: 3, 4 (no cycle yet: fixed lines); D0: 3 only, 2 is within its own lines.
    assert counts(rows["at_risk_cycle"]) == shared | {"flagged": 3, "hits": 1}
    for signal in ("sales_plunge", "orders_plunge", "cycle_overdue"):
        assert counts(rows[signal]) == shared | {"flagged": 1, "hits": 1}, signal
    # Nobody had ordered in the ABC months (January, February): no tier, no move.
    assert counts(rows["abc_down"]) == shared | {"flagged": 0, "hits": 0}


def test_population_is_who_ordered_in_the_last_h_days():
    """H = 10: at Mar 21 an order on Mar 12 (d - H + 1) counts, one on Mar 11 (d - H) does not.

    Replays Mar 21 and Mar 14 (first order Mar 11): both customers at Mar 14, customer 2 only at
    Mar 21; neither orders again, so every population customer is lost.
    """
    history = order_days((1, "2025-03-11", 10.0), (2, "2025-03-12", 10.0))
    row = by_signal(backtest(history, STORY_AS_OF, ChurnSettings(), horizon=10))["at_risk_fixed"]
    assert counts(row) == {"replay_dates": 2, "population": 3, "flagged": 0, "lost": 3, "hits": 0}


def test_story_ratios():
    rows = by_signal(backtest(story_order_days(), STORY_AS_OF, STORY, horizon=10))
    fixed = rows["at_risk_fixed"]
    assert fixed["precision"] == pytest.approx(1 / 2)
    assert fixed["recall"] == pytest.approx(2 / 3)
    assert fixed["lift"] == pytest.approx((1 / 2) / (3 / 8))
    assert rows["sales_plunge"]["lift"] == pytest.approx(8 / 3)
    abc = rows["abc_down"]
    assert (abc["precision"], abc["recall"], abc["lift"]) == (None, 0.0, None)


def test_story_without_a_model_has_no_p_alive_figures():
    low = by_signal(backtest(story_order_days(), STORY_AS_OF, STORY, horizon=10))["low_p_alive"]
    assert low == {
        "signal": "low_p_alive",
        "replay_dates": 0,
        "population": None,
        "flagged": None,
        "lost": None,
        "hits": None,
        "precision": None,
        "recall": None,
        "lift": None,
    }


def quiet_for_five_days(inputs):
    """A stand-in model: P(alive) 0.2 after five days without an order, 0.8 before."""
    quiet = inputs["T"] - inputs["t_x"]
    # Returned out of order, as a Series by partner id: the backtest aligns it.
    return pd.Series(np.where(quiet >= 5, 0.2, 0.8), index=inputs.index)[::-1]


def test_low_p_alive_from_the_model():
    """Quiet five days: 3 and 4 at D1 (4 lost), 2 (lost) and 3 at D0."""
    seen = []

    def model(inputs):
        seen.append(inputs)
        return quiet_for_five_days(inputs)

    low = by_signal(backtest(story_order_days(), STORY_AS_OF, STORY, horizon=10, p_alive_for=model))["low_p_alive"]
    assert counts(low) == {"replay_dates": 2, "population": 8, "flagged": 4, "lost": 3, "hits": 2}
    # The model reads SPEC §9's inputs as of the replay date: customer 3 at D0 (Mar 21) has
    # ordered on Mar 9 and 16.
    at_d0 = seen[0]
    assert at_d0.loc[3, ["x", "t_x", "T"]].tolist() == [1, 7, 12]


def test_days_without_a_fit_are_not_counted_for_low_p_alive():
    """No fit with fewer than 5 customers: D1 (4 customers) is left out, D0 counted."""

    def model(inputs):
        return quiet_for_five_days(inputs) if len(inputs) >= 5 else None

    low = by_signal(backtest(story_order_days(), STORY_AS_OF, STORY, horizon=10, p_alive_for=model))["low_p_alive"]
    assert counts(low) == {"replay_dates": 1, "population": 4, "flagged": 2, "lost": 2, "hits": 1}


def test_a_customer_on_its_own_rhythm():
    """Every 20 days (Jan 1, 21, Feb 10), back on Apr 20. H = 60, as_of May 13; default lines.

    Replays Jan 3 ... Mar 14. Fixed lines (15, 30): at risk Jan 17 (16 days), Feb 7 (17),
    Feb 28 (18), Mar 7 (25). Its own lines once it has a cycle (from Feb 10: 30, 40): at risk
    Mar 14 only (32 days), where the fixed line calls it churned; before Feb 10 it had no cycle
    and kept the fixed lines (Jan 17, Feb 7). Lost only on Feb 14: nothing until Apr 15.
    """
    history = order_days(
        (1, "2025-01-01", 50.0), (1, "2025-01-21", 50.0), (1, "2025-02-10", 50.0), (1, "2025-04-20", 50.0)
    )
    rows = by_signal(backtest(history, D("2025-05-13"), ChurnSettings(), horizon=60))
    shared = {"replay_dates": 11, "population": 11, "lost": 1}
    assert counts(rows["at_risk_fixed"]) == shared | {"flagged": 4, "hits": 0}
    assert counts(rows["at_risk_cycle"]) == shared | {"flagged": 3, "hits": 0}
    assert counts(rows["cycle_overdue"]) == shared | {"flagged": 0, "hits": 0}
    assert (rows["at_risk_cycle"]["precision"], rows["at_risk_cycle"]["lift"]) == (0.0, 0.0)


def test_a_customer_falling_from_a_to_c():
    """Customer 1 leads January (A), trails February (C); 2 goes from B to A. H = 10.

    Replays Mar 3 back to Jan 6. Population: both on Jan 6 and Jan 13 (both lost: no order for
    ten days), both on Mar 3 (1 lost, 2 orders on Mar 5); nobody in between. Only on Mar 3 are
    the ABC months (February against January) both traded: 1 is down there, and lost.
    """
    history = order_days(
        (1, "2025-01-05", 100.0),
        (1, "2025-02-25", 10.0),
        (2, "2025-01-06", 50.0),
        (2, "2025-02-26", 100.0),
        (2, "2025-03-05", 1.0),
    )
    row = by_signal(backtest(history, D("2025-03-13"), ChurnSettings(), horizon=10))["abc_down"]
    assert counts(row) == {"replay_dates": 9, "population": 6, "flagged": 1, "lost": 5, "hits": 1}
    assert row["lift"] == pytest.approx(1 / (5 / 6))


@pytest.mark.parametrize(
    "history",
    [
        order_days((1, "2025-06-01", 10.0)),  # first order after as_of - H
        order_days(),
    ],
)
def test_nothing_to_replay(history):
    rows = by_signal(backtest(history, D("2025-06-30"), ChurnSettings()))
    for signal in MODEL_FREE_SIGNALS:
        assert counts(rows[signal]) == {"replay_dates": 0, "population": 0, "flagged": 0, "lost": 0, "hits": 0}
        assert rows[signal]["precision"] is None
    assert rows["low_p_alive"]["population"] is None


# Property: the library against a slow loop over plain dates --------------------------------


def reference_backtest(days, as_of, s, horizon):
    """SPEC §11 in plain Python: ``days`` maps customer -> {day: (amount, orders)}."""
    k_r, k_c, r_min = s.at_risk_cycles, s.churned_cycles, s.cycle_min_days
    first = min((day for history in days.values() for day in history), default=None)
    dates = []
    day = as_of - timedelta(days=horizon)
    while first is not None and day >= as_of - timedelta(days=horizon + 364) and day >= first:
        dates.append(day)
        day -= timedelta(days=7)
    tally = {signal: dict.fromkeys(("population", "flagged", "lost", "hits"), 0) for signal in MODEL_FREE_SIGNALS}
    for d in dates:
        customers = [c for c, history in days.items() if min(history) <= d]
        # The state of the fixed table; the cycle's lines are drawn here.
        figures = reference_figures(customers, reference_orders(days, d), d, asdict(replace(s, state_basis="fixed")))
        for c in customers:
            history = days[c]
            if not any(d - timedelta(days=horizon - 1) <= x <= d for x in history):
                continue
            lost = not any(d < x <= d + timedelta(days=horizon) for x in history)
            f = figures[c]
            at_risk_c, churned_c = s.at_risk_days, s.churned_days
            if f["cycle"] is not None:
                at_risk_c = max(r_min, math.ceil(Fraction(str(k_r)) * Fraction(f["cycle"])))
                churned_c = max(at_risk_c + 1, math.ceil(Fraction(str(k_c)) * Fraction(f["cycle"])))
            flags = {
                "at_risk_fixed": f["state"] == "at_risk",
                "at_risk_cycle": at_risk_c <= f["days_since"] < churned_c,
                "sales_plunge": f["sales_plunge"],
                "orders_plunge": f["orders_plunge"],
                "cycle_overdue": f["overdue"],
                "abc_down": f["abc_trend"] == "down",
            }
            for signal, flagged in flags.items():
                t = tally[signal]
                t["population"] += 1
                t["lost"] += lost
                t["flagged"] += flagged
                t["hits"] += flagged and lost
    return len(dates), tally


def frame_of(days):
    """The order days of ``days`` (customer -> {day: (cents, orders)}) as the library reads them."""
    return order_days(
        *((c, d.isoformat(), cents / 100, n) for c, history in days.items() for d, (cents, n) in history.items())
    )


def reference_orders(days, as_of):
    """One Order per order; the day's amount on the first order of the day."""
    orders = []
    for c, history in days.items():
        for day, (cents, count) in history.items():
            if day <= as_of:
                orders.append(Order(c, day, Fraction(cents, 100), "sale"))
                orders.extend(Order(c, day, Fraction(0), "sale") for _ in range(count - 1))
    return orders


AS_OF = D("2025-06-30")

histories = st.dictionaries(
    st.integers(1, 6),
    st.dictionaries(
        st.integers(0, 150).map(lambda back: AS_OF - timedelta(days=back)),
        st.tuples(st.integers(-2000, 20000), st.integers(1, 4)),
        min_size=1,
        max_size=25,
    ),
    min_size=1,
    max_size=6,
)


@st.composite
def scenario(draw):
    at_risk = draw(st.integers(2, 12))
    s = ChurnSettings(
        period_days=draw(st.integers(3, 21)),
        at_risk_days=at_risk,
        churned_days=draw(st.integers(at_risk + 1, at_risk + 20)),
        sales_plunge_percent=draw(st.sampled_from([10, 20, 50])),
        orders_plunge_count=draw(st.integers(0, 2)),
        cycle_multiplier=draw(st.sampled_from([1.5, 2.0])),
        state_basis=draw(st.sampled_from(["cycle", "fixed"])),
    )
    k_r = draw(st.sampled_from([1.0, 1.25, 1.5]))
    k_c = draw(st.sampled_from([k_r + 0.5, 2.0, 2.5]))
    s = replace(s, at_risk_cycles=k_r, churned_cycles=k_c, cycle_min_days=draw(st.integers(1, 10)))
    as_of = AS_OF + timedelta(days=draw(st.integers(0, 40)))
    return draw(histories), as_of, s, draw(st.integers(5, 40))


# Each example replays about twenty runs through classify_customers: 25 keep it near 12 s.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_backtest_agrees_with_a_slow_reference(case):
    days, as_of, s, horizon = case
    rows = by_signal(backtest(frame_of(days), as_of, s, horizon=horizon))
    replayed, expected = reference_backtest(days, as_of, s, horizon)
    for signal, tally in expected.items():
        assert counts(rows[signal]) == {"replay_dates": replayed, **tally}, signal
        flagged, lost, population = tally["flagged"], tally["lost"], tally["population"]
        precision = tally["hits"] / flagged if flagged else None
        assert rows[signal]["precision"] == pytest.approx(precision)
        lift = precision / (lost / population) if precision is not None and lost else None
        assert rows[signal]["lift"] == pytest.approx(lift)


@settings(max_examples=60, deadline=None)
@given(histories, st.integers(0, 160))
def test_aggregates_agree_with_a_slow_reference(days, back):
    day = AS_OF - timedelta(days=back)
    frame = frame_of(days)
    result = aggregates_as_of(frame, day, ChurnSettings())
    customers = sorted(c for c, h in days.items() if min(h) <= day)
    assert result.index.tolist() == customers
    figures = reference_figures(customers, reference_orders(days, day), day, asdict(ChurnSettings()))
    for c in customers:
        f, row = figures[c], result.loc[c]
        assert row["last_day"].date() == f["last"]
        assert row["first_day"].date() == min(days[c])
        assert (row["cnt_cur"], row["cnt_prev"]) == (f["cnt_cur"], f["cnt_prev"])
        assert np.nan_to_num(row["rev_cur"]) == pytest.approx(float(f["rev_cur"]))
        assert np.nan_to_num(row["rev_prev"]) == pytest.approx(float(f["rev_prev"]))
        assert np.nan_to_num(row["rev_month"]) == pytest.approx(float(f["abc_revenue"]))
        assert (None if math.isnan(row["cycle_days"]) else row["cycle_days"]) == f["cycle"]
