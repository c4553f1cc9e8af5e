"""Customers drawn from the MBG/NBD and Gamma-Gamma processes, written apart from lib/predict.py.

Shared by tests/lib/test_predict.py and bench/fit_speed.py.
"""

import numpy as np


def simulate_mbgnbd(rng, r, alpha, a, b, T, horizon=0.0):
    """Order histories of customers whose first order day was ``T`` before the reference day.

    Each customer orders at the Poisson rate ``lambda ~ Gamma(r, rate alpha)`` and leaves with the
    probability ``p ~ Beta(a, b)`` right after each order day, the first one (at time 0) included.
    Returns ``x``, ``t_x`` (repeat order days in ``(0, T]`` and the time of the last one),
    ``alive`` (not yet left at ``T``) and ``future`` (order days in ``(T, T + horizon]``).
    """
    T = np.asarray(T, dtype=float)
    rate = rng.gamma(r, 1.0 / alpha, T.size)
    leave = rng.beta(a, b, T.size)
    x = np.zeros(T.size, dtype=int)
    future = np.zeros(T.size, dtype=int)
    t_x = np.zeros(T.size)
    left_at = np.full(T.size, np.inf)
    clock = np.zeros(T.size)
    active = rng.random(T.size) >= leave
    left_at[~active] = 0.0
    # All customers advance one order day per round, so the loop runs as many times as the busiest orders.
    while active.any():
        who = np.flatnonzero(active)
        clock[who] += rng.exponential(1.0 / rate[who])
        beyond = clock[who] > T[who] + horizon
        active[who[beyond]] = False
        who = who[~beyond]
        observed = who[clock[who] <= T[who]]
        x[observed] += 1
        t_x[observed] = clock[observed]
        future[who[clock[who] > T[who]]] += 1
        leaving = who[rng.random(who.size) < leave[who]]
        left_at[leaving] = clock[leaving]
        active[leaving] = False
    return {"x": x, "t_x": t_x, "alive": left_at > T, "future": future}


def simulate_spend(rng, x, p, q, v):
    """Mean value ``m_x`` of each customer's ``x`` repeat order days (NaN where ``x == 0``).

    Each order day is worth ``z ~ Gamma(p, rate nu)`` with ``nu ~ Gamma(q, rate v)`` per customer,
    so the sum of ``x`` of them is ``Gamma(p x, rate nu)``.
    """
    x = np.asarray(x)
    nu = rng.gamma(q, 1.0 / v, x.size)
    total = rng.gamma(p * x, 1.0 / nu)
    return np.where(x >= 1, total / np.maximum(x, 1), np.nan)
