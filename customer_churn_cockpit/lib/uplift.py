"""Did a visit or coupon action win customers back? Its treated group against its control group (SPEC §12).

A wizard draws the control group with ``draw_control_group`` and records the seed; the action's
report compares the groups' win-back rates with ``uplift``.
"""

import math
import secrets
from fractions import Fraction
from statistics import NormalDist

import numpy as np

# Seeds are stored in an Odoo Integer field: a PostgreSQL int4.
SEED_LIMIT = 2**31


def wilson_interval(hits, count, confidence=0.95):
    """Wilson score interval of the proportion ``hits / count`` (Newcombe 1998, method 3).

    Returns (low, high), or None when ``count`` is 0.
    """
    _check_counts(hits, count)
    if not count:
        return None
    z = _normal_quantile(confidence)
    share = hits / count
    centre = 2 * count * share + z * z
    spread = z * math.sqrt(z * z + 4 * count * share * (1 - share))
    scale = 2 * (count + z * z)
    # At 0 / n the lower limit is 0 exactly, at n / n the upper one is 1: floating point would
    # leave them a hair off.
    low = (centre - spread) / scale if hits else 0.0
    high = (centre + spread) / scale if hits < count else 1.0
    return low, high


def newcombe_interval(hits_treated, n_treated, hits_control, n_control, confidence=0.95):
    """Interval of ``p1 - p2`` (treated minus control) by Newcombe's hybrid score method.

    Newcombe (1998), "Interval estimation for the difference between independent proportions:
    comparison of eleven methods", method 10: the Wilson score limits of each proportion,
    combined. Returns (low, high) as proportions, or None when a group is empty.
    """
    treated = wilson_interval(hits_treated, n_treated, confidence)
    control = wilson_interval(hits_control, n_control, confidence)
    if treated is None or control is None:
        return None
    p1, p2 = hits_treated / n_treated, hits_control / n_control
    (low1, high1), (low2, high2) = treated, control
    difference = p1 - p2
    low = difference - math.hypot(p1 - low1, high2 - p2)
    high = difference + math.hypot(high1 - p1, p2 - low2)
    return low, high


def uplift(won_treated, n_treated, won_control, n_control, confidence=0.95):
    """The win-back rates of both groups and the uplift of the action, as the action shows them.

    Rates are percentages of the group's customers won back; ``uplift`` = treated rate - control
    rate and ``uplift_low`` / ``uplift_high`` its interval (Newcombe's hybrid score), in percentage
    points. A figure that needs an empty group is None.
    """
    treated_rate = _percent(won_treated, n_treated)
    control_rate = _percent(won_control, n_control)
    interval = newcombe_interval(won_treated, n_treated, won_control, n_control, confidence)
    both = interval is not None
    return {
        "treated_rate": treated_rate,
        "control_rate": control_rate,
        "uplift": 100 * (won_treated / n_treated - won_control / n_control) if both else None,
        "uplift_low": 100 * interval[0] if both else None,
        "uplift_high": 100 * interval[1] if both else None,
    }


def control_size(count, control_percent):
    """How many of ``count`` customers are held back: ``control_percent`` % of them, rounded down.

    Exact in rational arithmetic, the percentage read as the decimal it is written as:
    10 % of 19 customers is 1, 12.5 % of 8 is 1.
    """
    share = Fraction(str(control_percent))
    if not 0 <= share <= 100:
        raise ValueError(f"control_percent must be between 0 and 100, not {control_percent}")
    return math.floor(share * count / 100)


def draw_control_group(partner_ids, control_percent, seed):
    """The customers held back as the control group of an action: ``control_size`` of them.

    The draw depends on the set of ids, the percentage and the seed alone, so that the action can
    record the seed and anyone can redraw the group:

    1. the distinct ids are sorted ascending;
    2. ``numpy.random.Generator(numpy.random.PCG64(seed)).random(n)`` gives each, in that order,
       a key in [0, 1) (the top 53 bits of each 64-bit PCG64 output, times 2**-53);
    3. the ids of the ``control_size`` smallest keys form the group (ties, which PCG64 makes
       vanishingly rare, go to the earlier id).

    PCG64's stream for a seed is fixed by numpy's compatibility policy (NEP 19), and step 2 is
    the plain transform above, so the draw does not depend on how numpy implements sampling
    without replacement, which it may change. Returns the control ids, sorted.
    """
    ids = np.array(sorted(set(partner_ids)), dtype=np.int64)
    size = control_size(len(ids), control_percent)
    keys = np.random.Generator(np.random.PCG64(seed)).random(len(ids))
    chosen = ids[np.argsort(keys, kind="stable")[:size]]
    return sorted(chosen.tolist())


def new_seed():
    """A fresh seed for ``draw_control_group``, small enough for an Odoo Integer field."""
    return secrets.randbelow(SEED_LIMIT)


def _percent(hits, count):
    _check_counts(hits, count)
    return 100 * hits / count if count else None


def _check_counts(hits, count):
    if not 0 <= hits <= count:
        raise ValueError(f"a group of {count} customers cannot have {hits} won back")


def _normal_quantile(confidence):
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (both excluded), not {confidence}")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)
