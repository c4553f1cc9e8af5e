"""Win-back uplift of an action against its control group (SPEC §12): the interval and the draw."""

import numpy as np
import pytest

from odoo.addons.customer_churn_cockpit.lib.uplift import (
    SEED_LIMIT,
    control_size,
    draw_control_group,
    new_seed,
    newcombe_interval,
    uplift,
    wilson_interval,
)

# Newcombe (1998), "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Statistics in Medicine 17, Table II, method 10 (the hybrid
# score interval), 95%: (a, m, b, n, lower, upper) for a/m - b/n.
NEWCOMBE_TABLE_II_METHOD_10 = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


@pytest.mark.parametrize(("a", "m", "b", "n", "lower", "upper"), NEWCOMBE_TABLE_II_METHOD_10)
def test_newcombe_reproduces_the_published_table(a, m, b, n, lower, upper):
    low, high = newcombe_interval(a, m, b, n)
    assert low == pytest.approx(lower, abs=5e-5)
    assert high == pytest.approx(upper, abs=5e-5)


def test_swapping_the_groups_mirrors_the_interval():
    low, high = newcombe_interval(5, 56, 0, 29)
    assert newcombe_interval(0, 29, 5, 56) == pytest.approx((-high, -low))


def test_all_won_back_against_none_reaches_one_exactly():
    """10/10 against 0/20: the upper limit is 1, not a hair above or below it."""
    assert newcombe_interval(10, 10, 0, 20)[1] == 1.0
    assert wilson_interval(0, 20)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0


def test_a_higher_confidence_gives_a_wider_interval():
    low95, high95 = newcombe_interval(56, 70, 48, 80)
    low99, high99 = newcombe_interval(56, 70, 48, 80, confidence=0.99)
    assert low99 < low95 and high99 > high95


def test_an_empty_group_has_no_interval():
    assert newcombe_interval(0, 0, 3, 10) is None
    assert newcombe_interval(3, 10, 0, 0) is None


@pytest.mark.parametrize(("hits", "count"), [(-1, 10), (11, 10), (1, 0)])
def test_impossible_counts_are_refused(hits, count):
    with pytest.raises(ValueError):
        newcombe_interval(hits, count, 1, 10)


def test_uplift_in_percentage_points():
    """56 of 70 visited customers ordered again, 48 of 80 held back: 20 points, 5.24 to 33.39."""
    result = uplift(56, 70, 48, 80)
    assert result["treated_rate"] == pytest.approx(80.0)
    assert result["control_rate"] == pytest.approx(60.0)
    assert result["uplift"] == pytest.approx(20.0)
    assert result["uplift_low"] == pytest.approx(5.24, abs=0.005)
    assert result["uplift_high"] == pytest.approx(33.39, abs=0.005)


def test_uplift_without_a_control_group_has_only_the_treated_rate():
    assert uplift(3, 12, 0, 0) == {
        "treated_rate": 25.0,
        "control_rate": None,
        "uplift": None,
        "uplift_low": None,
        "uplift_high": None,
    }


@pytest.mark.parametrize(
    ("count", "percent", "size"),
    [
        (19, 10, 1),
        (20, 10, 2),
        (9, 10, 0),
        (7, 50, 3),
        (8, 12.5, 1),
        (3, 33.3, 0),
        (3, 33.4, 1),
        # 4.6 % of 1500 is 69 exactly; 1500 * 4.6 / 100 in floating point is 68.99999999999999.
        (1500, 4.6, 69),
        (100, 0, 0),
        (0, 20, 0),
    ],
)
def test_control_size_rounds_down(count, percent, size):
    assert control_size(count, percent) == size


@pytest.mark.parametrize("percent", [-1, 100.5])
def test_control_share_outside_0_to_100_is_refused(percent):
    with pytest.raises(ValueError):
        control_size(10, percent)


def test_ten_percent_of_nineteen_customers_holds_one_back():
    control = draw_control_group(range(101, 120), 10, seed=7)
    assert len(control) == 1
    assert set(control) <= set(range(101, 120))


def test_the_draw_is_reproducible_from_ids_percent_and_seed():
    """The order the customers were selected in, and repeats, do not change the group."""
    ids = list(range(1, 201))
    shuffled = [*reversed(ids), *ids[:50]]
    first = draw_control_group(ids, 20, seed=123456)
    assert len(first) == 40
    assert first == sorted(first)
    assert draw_control_group(shuffled, 20, seed=123456) == first
    assert draw_control_group(ids, 20, seed=123457) != first


def test_the_draw_is_the_documented_one():
    """Redrawn from PCG64's raw 64-bit outputs alone: the ids of the smallest top-53-bit keys."""
    ids = [5, 17, 23, 42, 57, 64, 88, 91, 99, 120]
    raw = np.random.PCG64(2024).random_raw(len(ids))
    keys = raw >> np.uint64(11)
    expected = sorted(ids[i] for i in np.argsort(keys, kind="stable")[:3])
    assert draw_control_group(ids, 30, seed=2024) == expected


def test_no_control_share_holds_nobody_back():
    assert draw_control_group(range(50), 0, seed=1) == []


def test_a_new_seed_fits_an_odoo_integer_field():
    seed = new_seed()
    assert 0 <= seed < SEED_LIMIT == 2**31
    assert len(draw_control_group(range(10), 50, seed)) == 5
