"""How long the SPEC §9 fits take on a distributor's book (not part of the test run).

    .cockpit/venv/bin/python bench/fit_speed.py [--customers 100000] [--repeat 3]

Simulates shops that reorder every ten days on average, first seen up to two years ago, in whole
days as the engine passes them, and prints the best of ``--repeat`` timings of each fit and of
``predict_customers`` (both fits and the three figures).
"""

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "lib"))

from clv_simulation import simulate_mbgnbd, simulate_spend  # noqa: E402 (after the sys.path line above)


def load_predict():
    """lib/predict.py by its path: the add-on's package would import Odoo, the module itself does not."""
    spec = importlib.util.spec_from_file_location("predict", ROOT / "customer_churn_cockpit" / "lib" / "predict.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def simulate(customers, seed=1):
    rng = np.random.default_rng(seed)
    T = rng.integers(0, 731, customers).astype(float)
    book = simulate_mbgnbd(rng, r=2.0, alpha=20.0, a=0.5, b=8.0, T=T)
    x = book["x"].astype(float)
    return x, np.floor(book["t_x"]), T, simulate_spend(rng, book["x"], p=6.0, q=4.0, v=300.0)


def best_of(repeat, function, *args, **kwargs):
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        timings.append(time.perf_counter() - start)
    return min(timings), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    predict = load_predict()
    x, t_x, T, m_x = simulate(args.customers)
    histories = len(np.unique(np.column_stack([x, t_x, T]), axis=0))
    print(f"{args.customers:,} customers, {histories:,} distinct (x, t_x, T), x up to {int(x.max())}")
    for label, modified in (("MBG/NBD", True), ("BG/NBD", False)):
        seconds, fit = best_of(args.repeat, predict.fit_bgnbd, x, t_x, T, modified=modified)
        figures = ", ".join(f"{name} {value:.4g}" for name, value in fit.items())
        print(f"fit_bgnbd {label:8} {seconds:6.3f} s   {figures}")
    seconds, fit = best_of(args.repeat, predict.fit_gamma_gamma, x, m_x)
    print(f"fit_gamma_gamma   {seconds:6.3f} s   " + ", ".join(f"{name} {value:.4g}" for name, value in fit.items()))
    seconds, _ = best_of(args.repeat, predict.predict_customers, x, t_x, T, m_x, period_days=30)
    print(f"predict_customers {seconds:6.3f} s   (MBG/NBD and Gamma-Gamma fits, p_alive, 30-day orders, order value)")


if __name__ == "__main__":
    main()
