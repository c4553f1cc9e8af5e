"""How often each churn signal was right (SPEC §11): past runs replayed, then H days looked ahead.

The input is the company's order days, one row per (partner_id, day) with that day's ``amount``
and number of ``orders``: the engine's ``daily`` CTE. ``_OrderHistory`` sorts them once by
customer and day; every window of a replayed run is then cut by binary search, so a replay date
costs a few passes over the customers, not a scan of the whole history.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .classify import AGGREGATE_COLUMNS, classify_customers, state_lines
from .windows import Windows

SIGNALS = (
    "at_risk_fixed",
    "at_risk_cycle",
    "sales_plunge",
    "orders_plunge",
    "cycle_overdue",
    "low_p_alive",
    "abc_down",
)
# Signals that need a fitted model: not available when no fit could be made.
MODEL_SIGNALS = frozenset({"low_p_alive"})
REPLAY_STEP_DAYS = 7
REPLAY_SPAN_DAYS = 364


def replay_dates(as_of, first_order_day, horizon):
    """The days the backtest replays, newest first: ``as_of - H - 7k`` for k = 0, 1, …

    while the day is on or after ``as_of - H - 364`` and on or after the first order day; so at
    most 53. None as the first order day (a company without orders) gives none.
    """
    if first_order_day is None:
        return []
    newest = _as_date(as_of) - timedelta(days=horizon)
    oldest = max(newest - timedelta(days=REPLAY_SPAN_DAYS), _as_date(first_order_day))
    count = max(0, (newest - oldest).days // REPLAY_STEP_DAYS + 1)
    return [newest - timedelta(days=REPLAY_STEP_DAYS * k) for k in range(count)]


def aggregates_as_of(order_days, day, settings):
    """The per-customer aggregates a run as of ``day`` would extract (AGGREGATES_QUERY's columns).

    One row per partner with an order day on or before ``day``, indexed by partner id, ascending.
    """
    return _OrderHistory(order_days).as_of(_as_date(day)).aggregates(settings)


def backtest(
    order_days,
    as_of,
    settings,
    horizon=60,
    p_alive_threshold=0.3,
    p_alive_for=None,
):
    """One dict per signal of SPEC §11, counts summed over the replay dates.

    Keys: ``signal, replay_dates, population, flagged, lost, hits, precision, recall, lift``;
    ``replay_dates`` is how many days were replayed. A ratio is None when its divisor is 0.

    ``p_alive_for(aggregates)`` gives P(alive) of each customer of a replayed run: it receives
    the run's aggregates with SPEC §9's inputs in days added as columns ``x``, ``t_x`` and ``T``,
    and returns one value per row (an array, or a Series indexed by partner id), or None when no
    fit was possible that day. Such days are not counted for ``low_p_alive``; when no day had a
    fit (or there is no ``p_alive_for``), its counts and ratios are None: not available.

    ``at_risk_fixed`` and ``at_risk_cycle`` draw the lines of §3b from ``settings`` (k_r, k_c
    and R_min for the cycle), whichever basis the settings choose for the state.
    """
    history = _OrderHistory(order_days, until=_as_date(as_of))
    tallies = {signal: _Tally(signal) for signal in SIGNALS}
    replay = _Replay(history, settings, horizon, p_alive_threshold, p_alive_for)
    for day in replay_dates(as_of, history.first_day, horizon):
        population, lost, signals = replay.at(day)
        for signal, flagged in signals.items():
            tallies[signal].add(population, lost, flagged)
    return [tallies[signal].row() for signal in SIGNALS]


@dataclass
class _Replay:
    """The figures of a run as of one replay date, today's settings, and what happened next."""

    history: "_OrderHistory"
    settings: object
    horizon: int
    p_alive_threshold: float
    p_alive_for: object

    def at(self, day):
        """(population, lost, {signal: flagged}) as boolean arrays over the customers of ``day``."""
        cut, horizon = self.history.as_of(day), self.horizon
        aggregates = cut.aggregates(self.settings)
        figures = classify_customers(aggregates, Windows.for_settings(day, self.settings), self.settings)
        figures = figures.reindex(aggregates.index)
        population = cut.order_days_between(day - timedelta(days=horizon - 1), day) > 0
        lost = cut.order_days_between(day + timedelta(days=1), day + timedelta(days=horizon)) == 0
        days_since = figures["churn_days_since"].to_numpy()
        cycle = figures["churn_cycle_days"].to_numpy()
        signals = {
            "at_risk_fixed": _at_risk(days_since, *state_lines(cycle, self.settings, "fixed")),
            "at_risk_cycle": _at_risk(days_since, *state_lines(cycle, self.settings, "cycle")),
            "sales_plunge": figures["churn_sales_plunge"].to_numpy(bool),
            "orders_plunge": figures["churn_orders_plunge"].to_numpy(bool),
            "cycle_overdue": figures["churn_cycle_overdue"].to_numpy(bool),
            "abc_down": (figures["abc_trend"] == "down").to_numpy(bool),
        }
        low_p_alive = self._low_p_alive(cut, aggregates)
        if low_p_alive is not None:
            signals["low_p_alive"] = low_p_alive
        return population, lost, signals

    def _low_p_alive(self, cut, aggregates):
        if self.p_alive_for is None:
            return None
        p_alive = self.p_alive_for(cut.prediction_inputs(aggregates))
        if p_alive is None:
            return None
        if isinstance(p_alive, pd.Series):
            p_alive = p_alive.reindex(aggregates.index)
        p_alive = np.asarray(p_alive, dtype=float)
        if p_alive.shape != (len(aggregates),):
            raise ValueError(f"p_alive_for returned {p_alive.shape} values for {len(aggregates)} customers")
        # NaN (no P(alive) for the customer) compares False: not flagged.
        return p_alive < self.p_alive_threshold


def _at_risk(days_since, at_risk_after, churned_after):
    return (days_since >= at_risk_after) & (days_since < churned_after)


@dataclass
class _Tally:
    """One signal's counts, summed over the replay dates."""

    signal: str
    replay_dates: int = 0
    population: int = 0
    flagged: int = 0
    lost: int = 0
    hits: int = 0

    def add(self, population, lost, flagged):
        flagged = flagged & population
        self.replay_dates += 1
        self.population += int(np.count_nonzero(population))
        self.flagged += int(np.count_nonzero(flagged))
        self.lost += int(np.count_nonzero(lost & population))
        self.hits += int(np.count_nonzero(flagged & lost))

    def row(self):
        row = {"signal": self.signal, "replay_dates": self.replay_dates}
        if self.signal in MODEL_SIGNALS and not self.replay_dates:
            return row | dict.fromkeys(("population", "flagged", "lost", "hits", "precision", "recall", "lift"))
        return row | {
            "population": self.population,
            "flagged": self.flagged,
            "lost": self.lost,
            "hits": self.hits,
            "precision": _ratio(self.hits, self.flagged),
            "recall": _ratio(self.hits, self.lost),
            # precision / (lost / population), in one division.
            "lift": _ratio(self.hits * self.population, self.flagged * self.lost),
        }


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else None


class _OrderHistory:
    """A company's order days sorted by customer, then day, with what cuts windows out of them.

    Rows of customer ``i`` (its position in ``partner_ids``) are ``starts[i]:ends[i]``; ``keys``
    (customer * stride + day) is ascending, so the rows of every customer up to a day are found
    by one ``searchsorted``. Days are whole numbers (days since 1970-01-01).
    """

    def __init__(self, order_days, until=None):
        frame = pd.DataFrame(
            {
                "partner_id": order_days["partner_id"].to_numpy(np.int64),
                "day": _day_numbers(order_days["day"]),
                "amount": order_days["amount"].to_numpy(float),
                "orders": order_days["orders"].to_numpy(np.int64),
            }
        )
        if until is not None:
            frame = frame[frame["day"] <= _day_number(until)]
        # One row per customer and day, as the daily CTE has it.
        frame = frame.groupby(["partner_id", "day"], sort=True).sum().reset_index()
        partners = frame["partner_id"].to_numpy()
        self.days = frame["day"].to_numpy()
        self.amounts = frame["amount"].to_numpy()
        self.order_totals = np.concatenate(([0], np.cumsum(frame["orders"].to_numpy())))
        self.partner_ids, self.starts = np.unique(partners, return_index=True)
        # The gap from the previous order day of the same customer (meaningless on a first row).
        self.gaps = np.diff(self.days, prepend=self.days[:1])
        self.base = int(self.days.min()) if len(self.days) else 0
        self.span = int(self.days.max()) - self.base if len(self.days) else 0
        self.stride = self.span + 2
        counts = np.diff(np.append(self.starts, len(partners)))
        self.keys = np.repeat(np.arange(len(self.partner_ids)), counts) * self.stride + (self.days - self.base)
        self.customer_keys = np.arange(len(self.partner_ids)) * self.stride

    @property
    def first_day(self):
        return _from_day_number(self.days.min()) if len(self.days) else None

    def as_of(self, day):
        return _Cut(self, day)

    def ends(self, day):
        """For every customer, the position after its last row on or before ``day``."""
        offset = np.clip(_day_number(day) - self.base, -1, self.span)
        return np.searchsorted(self.keys, self.customer_keys + offset, side="right")

    def orders(self, lows, highs):
        return self.order_totals[highs] - self.order_totals[lows]

    def amount(self, lows, highs):
        """Sum of the amounts of rows lows[i]:highs[i]; NaN where there is none, as SQL's SUM.

        Summed row by row rather than as differences of a running total, which would carry the
        rounding of a customer's whole history into a plunge compared at 1e-9.
        """
        if not len(lows):
            return np.array([], dtype=float)
        # reduceat sums between consecutive bounds: the (low, high) pairs, and the rows between
        # them, whose sums are dropped. A trailing 0 keeps every bound a valid position.
        values = np.append(self.amounts, 0.0)
        bounds = np.column_stack((lows, highs)).ravel()
        sums = np.add.reduceat(values, bounds)[::2]
        return np.where(highs > lows, sums, np.nan)

    def median_gap(self, lows, highs, min_order_days):
        """Median gap between consecutive order days of rows lows[i]:highs[i] (percentile_cont).

        Set when the rows hold at least ``min_order_days`` days, i.e. at least ``min - 1`` gaps
        (and at least one); NaN otherwise.
        """
        counts = highs - lows - 1
        medians = np.full(len(lows), np.nan)
        eligible = np.flatnonzero(counts >= max(min_order_days - 1, 1))
        if not len(eligible):
            return medians
        counts = counts[eligible]
        offsets = np.cumsum(counts) - counts
        # The gaps of each eligible customer's window, one block per customer.
        rows = np.arange(counts.sum()) - np.repeat(offsets, counts) + np.repeat(lows[eligible] + 1, counts)
        gaps = self.gaps[rows]
        blocks = np.repeat(np.arange(len(counts)), counts) * (int(gaps.max()) + 1)
        ordered = np.sort(blocks + gaps) - blocks
        lower, upper = ordered[offsets + (counts - 1) // 2], ordered[offsets + counts // 2]
        medians[eligible] = (lower + upper) / 2
        return medians


class _Cut:
    """The history as a run as of ``day`` sees it: its customers, and the rows of any window.

    Each boundary is searched once per replay date (windows share them: the previous window
    ends where the current one starts, the population's window ends on the day).
    """

    def __init__(self, history, day):
        self.history = history
        self.day = day
        self._ends = {}
        self.customers = np.flatnonzero(self._end(day) > history.starts)

    def _end(self, day):
        if day not in self._ends:
            self._ends[day] = self.history.ends(day)
        return self._ends[day]

    def rows_between(self, first, last):
        """(lows, highs): the rows in [first, last] of each customer, as positions lows[i]:highs[i]."""
        return self._end(first - timedelta(days=1))[self.customers], self._end(last)[self.customers]

    def order_days_between(self, first, last):
        """Number of order days of each customer in [first, last]."""
        lows, highs = self.rows_between(first, last)
        return highs - lows

    def aggregates(self, settings):
        """The aggregates of AGGREGATES_QUERY as of the day, for the customers who had ordered by then."""
        history, day = self.history, self.day
        windows = Windows.for_settings(day, settings)
        starts, ends = history.starts[self.customers], self._end(day)[self.customers]
        frame = pd.DataFrame(index=pd.Index(history.partner_ids[self.customers], name="partner_id"))
        frame["first_day"] = _timestamps(history.days[starts])
        frame["last_day"] = _timestamps(history.days[ends - 1])
        current = self.rows_between(windows.current_start, day)
        previous = self.rows_between(windows.previous_start, windows.previous_end)
        frame["rev_cur"] = history.amount(*current)
        frame["rev_prev"] = history.amount(*previous)
        frame["cnt_cur"] = history.orders(*current)
        frame["cnt_prev"] = history.orders(*previous)
        frame["rev_month"] = history.amount(*self.rows_between(windows.abc_month_start, windows.abc_month_end))
        frame["rev_month_prev"] = history.amount(
            *self.rows_between(windows.abc_prev_month_start, windows.abc_prev_month_end)
        )
        frame["rev_value"] = history.amount(*self.rows_between(windows.value_start, day))
        cycle_rows = self.rows_between(windows.cycle_start, day)
        frame["cycle_days"] = history.median_gap(*cycle_rows, settings.cycle_min_order_days)
        return frame[list(AGGREGATE_COLUMNS)]

    def prediction_inputs(self, aggregates):
        """``aggregates`` with SPEC §9's x, t_x and T (in days) of each customer as of the day."""
        order_days = self._end(self.day)[self.customers] - self.history.starts[self.customers]
        return aggregates.assign(
            x=order_days - 1,
            t_x=(aggregates["last_day"] - aggregates["first_day"]).dt.days.to_numpy(),
            T=(pd.Timestamp(self.day) - aggregates["first_day"]).dt.days.to_numpy(),
        )


def _as_date(day):
    return day if type(day) is date else pd.Timestamp(day).date()


def _day_number(day):
    return int(np.datetime64(_as_date(day), "D").astype(np.int64))


def _from_day_number(number):
    return date(1970, 1, 1) + timedelta(days=int(number))


def _day_numbers(days):
    return pd.to_datetime(days).to_numpy().astype("datetime64[D]").astype(np.int64)


def _timestamps(numbers):
    return numbers.astype("datetime64[D]").astype("datetime64[ns]")
