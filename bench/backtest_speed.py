"""Time the backtest of SPEC §11 on simulated order days (pure library, no Odoo, no database).

    .cockpit/venv/bin/python bench/backtest_speed.py [--customers 100000] [--order-days 2000000]

Each customer orders on its own rhythm (a cycle of 3 to 45 days, jittered) from its first day
on, and some stop part-way: the replay sees active, slipping and churned customers alike.
"""

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

# The library is plain Python: import it without loading the Odoo addon around it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "customer_churn_cockpit"))

from lib.backtest import aggregates_as_of, backtest, replay_dates  # noqa: E402
from lib.classify import ChurnSettings  # noqa: E402

AS_OF = date(2025, 6, 30)
HISTORY_DAYS = 730
# Share of the simulated order days on or before as_of (the rest are cut): measured, about 95%.
KEPT_SHARE = 0.95


def simulate(customers, order_days, seed=0):
    """About ``order_days`` rows of (partner_id, day, amount, orders), one per customer and day."""
    rng = np.random.default_rng(seed)
    cycles = rng.uniform(3, 45, customers)
    counts = np.maximum(1, rng.poisson(order_days / customers / KEPT_SHARE, customers))
    # Ordering over 80% to 160% of its count's cycles: the longer ones run past as_of and are cut.
    spans = counts * cycles * rng.uniform(0.8, 1.6, customers)
    firsts = np.floor(rng.uniform(0, 1, customers) * np.maximum(HISTORY_DAYS - spans, 1)).astype(np.int64)
    gaps = np.maximum(1, np.rint(rng.exponential(np.repeat(cycles, counts)))).astype(np.int64)
    starts = np.cumsum(counts) - counts
    gaps[starts] = 0
    totals = np.cumsum(gaps)
    offsets = totals - np.repeat(totals[starts], counts)
    base = np.datetime64(AS_OF - timedelta(days=HISTORY_DAYS), "D").astype(np.int64)
    days = base + np.repeat(firsts, counts) + offsets
    frame = pd.DataFrame(
        {
            "partner_id": np.repeat(np.arange(1, customers + 1), counts),
            "day": days.astype("datetime64[D]").astype("datetime64[ns]"),
            "amount": np.round(rng.gamma(2.0, 150.0, len(days)), 2),
            "orders": 1 + rng.poisson(0.2, len(days)),
        }
    )
    return frame[frame["day"] <= pd.Timestamp(AS_OF)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--order-days", type=int, default=2_000_000)
    parser.add_argument("--horizon", type=int, default=60)
    args = parser.parse_args()
    settings = ChurnSettings()
    started = time.perf_counter()
    order_days = simulate(args.customers, args.order_days)
    print(
        f"simulated {order_days['partner_id'].nunique():,} customers, {len(order_days):,} order days "
        f"in {time.perf_counter() - started:.1f} s"
    )
    dates = replay_dates(AS_OF, order_days["day"].min(), args.horizon)
    started = time.perf_counter()
    aggregates_as_of(order_days, dates[0], settings)
    print(f"one run's aggregates (sorting included): {time.perf_counter() - started:.2f} s")
    started, cpu_started = time.perf_counter(), time.process_time()
    rows = backtest(order_days, AS_OF, settings, horizon=args.horizon)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    # CPU time as well: on a shared machine the wall clock also counts the other processes.
    print(
        f"backtest over {len(dates)} replay dates: {seconds:.1f} s, {cpu:.1f} s of CPU "
        f"({seconds / len(dates) * 1000:.0f} ms a date)"
    )
    for row in rows:
        ratios = " ".join(
            f"{key} {row[key]:.3f}" if row[key] is not None else f"{key} -" for key in ("precision", "recall", "lift")
        )
        print(f"  {row['signal']:<14} flagged {row['flagged'] or 0:>9,}  hits {row['hits'] or 0:>9,}  {ratios}")


if __name__ == "__main__":
    main()
