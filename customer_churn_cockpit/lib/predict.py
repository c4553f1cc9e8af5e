"""Buy-till-you-die forecasts of SPEC §9: how many order days a customer will still place, and their value.

Numpy and scipy only, array in, array out. Time is in whatever unit the caller uses (days for the
engine, weeks for the published CDNOW figures); ``alpha`` is in that unit.

- Order days: MBG/NBD (Batislam, Denizel and Filiztekin 2007), ``modified=True``, which the
  figures use; BG/NBD (Fader, Hardie and Lee 2005), ``modified=False``. Per customer: ``x`` repeat
  order days, ``t_x`` from the first to the last order day, ``T`` from the first order day to the
  reference day.
- Value of an order day: Gamma-Gamma (Fader, Hardie and Lee 2005 note), on ``x`` and ``m_x``, the
  mean value of the repeat order days.

The fits are maximum likelihood in log-parameter space (L-BFGS-B with the analytic gradient) over
the distinct histories, each weighted by how many customers share it. Every ratio that can overflow
is taken as the exponential of a difference of logarithms.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

MIN_REPEAT_CUSTOMERS = 30
ORDER_PARAMETERS = ("r", "alpha", "a", "b")
SPEND_PARAMETERS = ("p", "q", "v")
# The bounds of each parameter, as logarithms. A shape (r, a, b, p, q) beyond 1e4 makes its gamma or
# beta a spike: customers who do not differ at all, a limit the likelihood approaches without a
# maximum (and where 2F1 needs millions of terms). A scale (alpha, v) follows the unit of time or
# money, so its bounds are far beyond any of them. A fit that reaches a bound has no maximum of its own.
SHAPE_BOUNDS = (math.log(1e-6), math.log(1e4))
# The one such limit that is still a model: when shops drop out at much the same rate after an order
# day (a distributor's regular shops), the Beta of the dropout probability narrows, ``a`` and ``b``
# grow together and the likelihood rises towards that of one probability for all. The dropout enters
# every forecast as ``a / (b + x)``; at the bound ``b = 1e4`` it is within ``x / 1e4`` of the limit's
# ``a / b``: under 1% for shops with fewer than 100 order days, so the fit there is taken.
COLLAPSIBLE_ORDER_PARAMETERS = ("a", "b")
SCALE_BOUNDS = (-25.0, 25.0)
ORDER_BOUNDS = (SHAPE_BOUNDS, SCALE_BOUNDS, SHAPE_BOUNDS, SHAPE_BOUNDS)
SPEND_BOUNDS = (SHAPE_BOUNDS, SHAPE_BOUNDS, SCALE_BOUNDS)
# Largest gradient of the mean log-likelihood accepted when the line search stops on rounding.
GRADIENT_TOLERANCE = 1e-5


class FitError(ValueError):
    """A model cannot be fitted to these customers; ``str(error)`` says why, for the run to show."""


def fit_bgnbd(x, t_x, T, modified=False):
    """Maximum-likelihood ``r, alpha, a, b`` and the ``log_likelihood`` at them, as a dict of floats.

    Raises ``FitError`` with fewer than ``MIN_REPEAT_CUSTOMERS`` customers with ``x >= 1``, or when
    the likelihood has no maximum inside the parameter space.
    """
    x, t_x, T = _order_histories(x, t_x, T)
    _require_repeat_customers(int((x >= 1).sum()))
    histories = _OrderHistories.group(x, t_x, T)
    start = np.log([1.0, 1.0 / max(histories.purchase_rate, 1e-12), 1.0, 1.0])
    fitted, log_likelihood = _maximise(
        histories.log_likelihood,
        start,
        histories.weight.sum(),
        ORDER_PARAMETERS,
        ORDER_BOUNDS,
        modified,
        collapsible=COLLAPSIBLE_ORDER_PARAMETERS,
    )
    return {**fitted, "log_likelihood": log_likelihood}


def p_alive(params, x, t_x, T, modified=False):
    """Probability that each customer is still alive at ``T``; BG/NBD reads ``x == 0`` as alive."""
    return special.expit(-_log_odds_dead(params, *_as_floats(x, t_x, T), modified))


def expected_orders(params, t, x, t_x, T, modified=False):
    """Expected number of order days in the ``t`` time units after ``T`` (FHL 2005 eq. 10 and its MBG form).

    ``(a + b + x - 1 + s) / (a - 1) * (1 - G) * p_alive`` with ``s = 1`` for MBG, 0 for BG/NBD, and
    ``G = ((alpha + T) / (alpha + T + t)) ** (r + x) * 2F1(r + x, b + x + s; a + b + x - 1 + s; z)``,
    ``z = t / (alpha + T + t)``: see ``_discounted_hyp2f1``.
    """
    r, alpha, a, b = (params[name] for name in ORDER_PARAMETERS)
    t, x, t_x, T = np.broadcast_arrays(*_as_floats(t, x, t_x, T))
    # At a = 1 the bracket and 1 / (a - 1) are 0 and infinite; a millionth away, their product is exact to 1e-6.
    if abs(a - 1.0) < 1e-6:
        a = 1.0 + 1e-6
    shift = 1.0 if modified else 0.0
    c = a + b + x - 1.0 + shift
    remaining = _discounted_hyp2f1(r + x, b + x + shift, c, t / (alpha + T + t))
    return c / (a - 1.0) * (1.0 - remaining) * p_alive(params, x, t_x, T, modified)


def fit_gamma_gamma(x, m_x):
    """Maximum-likelihood Gamma-Gamma ``p, q, v`` as a dict of floats.

    Only the customers with ``x >= 1`` and a finite ``m_x > 0`` carry information on spend, so the
    others are left out here: the caller may pass every customer. Raises ``FitError`` with fewer
    than ``MIN_REPEAT_CUSTOMERS`` of them, when the likelihood has no maximum, or when ``q <= 1``
    (the mean value of an order day would have no finite expectation).
    """
    x, m_x = _as_floats(x, m_x)
    if x.shape != m_x.shape or x.ndim != 1:
        raise ValueError("x and m_x must be one-dimensional arrays of the same length")
    spenders = (x >= 1) & np.isfinite(m_x) & (m_x > 0)
    _require_repeat_customers(int(spenders.sum()), " and a positive mean value")
    spend = _Spend.of_customers(x[spenders], m_x[spenders])
    start = np.log([1.0, 2.0, m_x[spenders].mean()])
    fitted, _ = _maximise(spend.log_likelihood, start, float(spenders.sum()), SPEND_PARAMETERS, SPEND_BOUNDS)
    if fitted["q"] <= 1.0:
        raise FitError(f"the spend model gives q = {fitted['q']:.3f} <= 1: no finite mean value of an order day")
    return fitted


def expected_order_value(params, x, m_x):
    """Expected value of each customer's next order day: its own mean shrunk to the population's.

    Customers with ``x >= 1`` and ``m_x > 0`` get ``(q - 1) / (p x + q - 1) * p v / (q - 1) +
    p x / (p x + q - 1) * m_x``; the others (no repeat order day, or a mean of zero or less, or
    NaN) the population mean ``p v / (q - 1)``.
    """
    p, q, v = (params[name] for name in SPEND_PARAMETERS)
    x, m_x = np.broadcast_arrays(*_as_floats(x, m_x))
    population_mean = p * v / (q - 1.0)
    own = (x >= 1) & np.isfinite(m_x) & (m_x > 0)
    weight = np.where(own, p * x / (p * x + q - 1.0), 0.0)
    return (1.0 - weight) * population_mean + weight * np.where(own, m_x, 0.0)


def predict_customers(x, t_x, T, m_x, period_days):
    """The SPEC §9 figures of one company's customers, one array element per customer.

    ``x, t_x, T`` in days, ``m_x`` the mean value of the repeat order days (anything, NaN
    included, where ``x == 0``), ``period_days`` the forecast horizon ``P``. Returns a dict:

    - ``mbgnbd``: the fitted ``r, alpha, a, b, log_likelihood``, or None; ``mbgnbd_error``: why not, or None;
    - ``gamma_gamma``: the fitted ``p, q, v``, or None; ``gamma_gamma_error``: why not, or None;
    - ``p_alive``, ``expected_orders`` (order days in the next ``period_days``) and
      ``expected_order_value``: float arrays, all NaN when the model that feeds them has no fit.
    """
    x, t_x, T, m_x = _as_floats(x, t_x, T, m_x)
    missing = np.full(x.shape, np.nan)
    result = dict.fromkeys(("mbgnbd", "mbgnbd_error", "gamma_gamma", "gamma_gamma_error"))
    result.update(p_alive=missing, expected_orders=missing, expected_order_value=missing)
    try:
        orders = fit_bgnbd(x, t_x, T, modified=True)
    except FitError as error:
        result["mbgnbd_error"] = str(error)
    else:
        result["mbgnbd"] = orders
        result["p_alive"] = p_alive(orders, x, t_x, T, modified=True)
        result["expected_orders"] = expected_orders(orders, period_days, x, t_x, T, modified=True)
    try:
        spend = fit_gamma_gamma(x, m_x)
    except FitError as error:
        result["gamma_gamma_error"] = str(error)
    else:
        result["gamma_gamma"] = spend
        result["expected_order_value"] = expected_order_value(spend, x, m_x)
    return result


def _as_floats(*arrays):
    return tuple(np.asarray(array, dtype=float) for array in arrays)


def _order_histories(x, t_x, T):
    """``x, t_x, T`` as float arrays, checked: a bad history is the caller's error, not a failed fit."""
    x, t_x, T = _as_floats(x, t_x, T)
    if not (x.shape == t_x.shape == T.shape and x.ndim == 1):
        raise ValueError("x, t_x and T must be one-dimensional arrays of the same length")
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        raise ValueError("x, t_x and T must be finite")
    if (x < 0).any() or (x != np.round(x)).any() or (t_x < 0).any() or (t_x > T).any():
        raise ValueError("x must be a whole number >= 0 and 0 <= t_x <= T")
    if (t_x[x == 0] != 0).any():
        raise ValueError("t_x must be 0 where x is 0")
    return x, t_x, T


def _require_repeat_customers(count, what=""):
    if count < MIN_REPEAT_CUSTOMERS:
        raise FitError(
            f"a fit needs at least {MIN_REPEAT_CUSTOMERS} customers with a repeat order day{what}; there are {count}"
        )


def _discounted_hyp2f1(n, beta, c, z):
    """``(1 - z) ** n * 2F1(n, beta; c; z)`` for ``0 <= z < 1``, ``n, beta > 0``, without overflow.

    Euler's transformation makes it ``(1 - z) ** (c - beta) * 2F1(c - n, c - beta; c; z)``: for a
    buyer of hundreds of order days ``(1 - z) ** n`` underflows and the first 2F1 overflows, the
    second stays close to 1. Scipy gives NaN for some ``z`` within a few thousandths of 1 with ``c``
    in the hundreds (a customer whose first order day is today, with a small ``alpha``) or with
    ``c - n - beta`` a whole number; there the series of the first form, all of whose terms are
    positive, is summed in log space.
    """
    n, beta, c, z = np.broadcast_arrays(*_as_floats(n, beta, c, z))
    with np.errstate(all="ignore"):
        value = np.array(np.exp((c - beta) * np.log1p(-z)) * special.hyp2f1(c - n, c - beta, c, z), dtype=float)
    failed = np.flatnonzero(~np.isfinite(value))
    # A few hundred customers at a time bound the memory of a block of terms.
    for start in range(0, len(failed), 256):
        chunk = failed[start : start + 256]
        log_sum, sign = _log_hyp2f1_series(n.flat[chunk], beta.flat[chunk], c.flat[chunk], z.flat[chunk])
        value.flat[chunk] = sign * np.exp(n.flat[chunk] * np.log1p(-z.flat[chunk]) + log_sum)
    return value


def _log_hyp2f1_series(A, B, C, z, block=2048, max_terms=2_000_000):
    """``log |2F1(A, B; C; z)|`` and its sign, summing a block of terms at a time in log space.

    With ``A, B > 0`` the terms change sign only while ``C + k < 0``; past that they shrink at
    least as ``z ** k`` once ``k`` passes the largest one, and the sum stops where the next term is
    ``e ** -40`` of it.
    """
    log_scale, scaled = np.zeros_like(z), np.ones_like(z)
    log_term, sign = np.zeros_like(z), np.ones_like(z)
    for start in range(0, max_terms, block):
        k = np.arange(start, start + block, dtype=float)[:, None]
        ratio = (A + k) * (B + k) / ((C + k) * (k + 1.0)) * z
        log_terms = log_term + np.cumsum(np.log(np.abs(ratio)), axis=0)
        signs = sign * np.cumprod(np.sign(ratio), axis=0)
        top = np.maximum(log_scale, log_terms.max(axis=0))
        scaled = scaled * np.exp(log_scale - top) + (signs * np.exp(log_terms - top)).sum(axis=0)
        log_scale, log_term, sign = top, log_terms[-1], signs[-1]
        shrinking = ratio[-1] < 1.0
        if (shrinking & (log_term < log_scale + np.log(np.abs(scaled)) - 40.0)).all():
            break
    return log_scale + np.log(np.abs(scaled)), np.sign(scaled)


def _log_odds_dead(params, x, t_x, T, modified):
    """Log of the odds that a customer has left by ``T``; ``log1p`` keeps ``T`` close to ``t_x`` exact."""
    r, alpha, a, b = (params[name] for name in ORDER_PARAMETERS)
    return _log_odds(r, a, b, x, np.log1p((T - t_x) / (alpha + t_x)), modified)


def _log_odds(r, a, b, x, log_ratio, modified):
    """``log(a / (b + x - 1 + modified)) + (r + x) * log((alpha + T) / (alpha + t_x))``; -inf for BG/NBD's x = 0."""
    log_odds = np.log(a) - np.log(_dropout_denominator(b, x, modified)) + (r + x) * log_ratio
    return log_odds if modified else np.where(x > 0, log_odds, -np.inf)


def _dropout_denominator(b, x, modified):
    """``b + x`` (MBG) or ``b + x - 1`` (BG/NBD, where a customer with x = 0 cannot have left: 1 there)."""
    return b + x if modified else np.where(x > 0, b + x - 1.0, 1.0)


def _dot(u, v):
    """Sum of ``u * v`` on one core: OpenBLAS's threaded dot stalls when the other core is busy (PostgreSQL, say)."""
    return np.einsum("i,i->", u, v)


def _maximise(log_likelihood, start, total_weight, names, bounds, *args, collapsible=()):
    """Maximise ``log_likelihood(log_params, *args) -> (value, gradient)``; parameters by name, and the maximum.

    A parameter named in ``collapsible`` may end on its upper bound: there the model is its limit.
    """

    def objective(log_params):
        value, gradient = log_likelihood(log_params, *args)
        # The mean over customers keeps the scale of the objective the same for 100 or 100,000 of them.
        return -value / total_weight, -gradient / total_weight

    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        solution = optimize.minimize(
            objective,
            np.clip(start, *np.transpose(bounds)),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 1000},
        )
        value, gradient = objective(solution.x)
    fitted = dict(zip(names, np.exp(solution.x).tolist(), strict=True))
    reached = ", ".join(f"{name} = {value:.4g}" for name, value in fitted.items())
    stuck = [
        name
        for name, log_value, (low, high) in zip(names, solution.x, bounds, strict=True)
        if log_value - low < 1e-3 or (high - log_value < 1e-3 and name not in collapsible)
    ]
    if stuck:
        raise FitError(f"the likelihood has no maximum: {', '.join(stuck)} ran to a bound ({reached})")
    if not np.isfinite(value) or not (solution.success or np.abs(gradient).max() < GRADIENT_TOLERANCE):
        raise FitError(f"the fit did not converge ({solution.message.strip(': ') or 'no progress'}) at {reached}")
    return fitted, float(-value * total_weight)


def _distinct_rows(*columns):
    """The distinct rows of equal-length columns (sorted), and how many times each occurs."""
    order = np.lexsort(columns[::-1])
    columns = [column[order] for column in columns]
    first = np.ones(len(order), dtype=bool)
    for column in columns:
        first[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(first)
    return [column[starts] for column in columns], np.diff(starts, append=len(order)).astype(float)


def _distinct(values, weight):
    """Distinct values, the index of each element among them, and the sum of ``weight`` per distinct value."""
    distinct, index = np.unique(values, return_inverse=True)
    return distinct, index, np.bincount(index, weights=weight, minlength=len(distinct))


@dataclass(frozen=True)
class _OrderHistories:
    """The distinct ``(x, t_x, T)`` of the customers, each weighted by how many share it.

    Only the mixture of "alive" and "left" runs once per history; the terms on ``x`` alone (gamma,
    beta and digamma functions) run once per distinct ``x``, those on ``T`` or ``t_x`` alone (logs)
    once per distinct day.
    """

    x: np.ndarray
    weight: np.ndarray
    x_values: np.ndarray
    x_index: np.ndarray
    x_weight: np.ndarray
    T_values: np.ndarray
    T_index: np.ndarray
    T_weight: np.ndarray
    T_weight_x: np.ndarray
    t_x_values: np.ndarray
    t_x_index: np.ndarray

    @classmethod
    def group(cls, x, t_x, T):
        (x, t_x, T), weight = _distinct_rows(x, t_x, T)
        x_values, x_index, x_weight = _distinct(x, weight)
        T_values, T_index, T_weight = _distinct(T, weight)
        t_x_values, t_x_index, _ = _distinct(t_x, weight)
        T_weight_x = np.bincount(T_index, weights=weight * x, minlength=len(T_values))
        return cls(
            x, weight, x_values, x_index, x_weight, T_values, T_index, T_weight, T_weight_x, t_x_values, t_x_index
        )

    @property
    def purchase_rate(self):
        """Repeat order days per unit of time observed: where the optimiser starts ``r / alpha``."""
        return self.T_weight_x.sum() / max(self.T_weight @ self.T_values, 1e-12)

    def log_likelihood(self, log_params, modified):
        """Total log-likelihood and its gradient with respect to the log-parameters.

        Per history, FHL 2005 eq. 6 and BDF 2007 eq. 7 with ``s = 1`` for MBG and 0 for BG/NBD:
        ``Gamma(r + x) alpha^r / Gamma(r) * B(a, b + x + s) / B(a, b) * (alpha + T)^-(r + x)``
        ``* (1 + exp(log_odds))``, the last factor 1 for BG/NBD's ``x = 0``.
        """
        r, alpha, a, b = np.exp(log_params)
        xs, n_x, shifted = self.x_values, self.x_weight, self.x_values + (1.0 if modified else 0.0)
        total = n_x.sum()
        log_T, log_t_x = np.log(alpha + self.T_values), np.log(alpha + self.t_x_values)
        log_ratio = log_T[self.T_index] - log_t_x[self.t_x_index]
        log_odds = _log_odds(r, a, b, self.x, log_ratio, modified)
        decay = np.exp(-np.abs(log_odds))
        # log(1 + e^log_odds) and e^log_odds / (1 + e^log_odds), neither overflowing.
        mixture = np.maximum(log_odds, 0.0) + np.log1p(decay)
        weight_dead = self.weight * np.where(log_odds >= 0, 1.0, decay) / (1.0 + decay)
        weight_r_x = r * self.T_weight + self.T_weight_x
        value = (
            n_x @ (special.gammaln(r + xs) + special.betaln(a, b + shifted))
            - total * (special.gammaln(r) + special.betaln(a, b) - r * np.log(alpha))
            - weight_r_x @ log_T
            + _dot(self.weight, mixture)
        )
        d_r = (
            n_x @ special.digamma(r + xs)
            - total * (special.digamma(r) - np.log(alpha))
            - self.T_weight @ log_T
            + _dot(weight_dead, log_ratio)
        )
        inverse_T, inverse_t_x = 1.0 / (alpha + self.T_values), 1.0 / (alpha + self.t_x_values)
        d_alpha = (
            total * r / alpha
            - weight_r_x @ inverse_T
            + _dot(weight_dead * (r + self.x), inverse_T[self.T_index] - inverse_t_x[self.t_x_index])
        )
        digamma_a_b = special.digamma(a + b)
        d_a = n_x @ -special.digamma(a + b + shifted) + total * digamma_a_b + weight_dead.sum() / a
        dead_per_x = np.bincount(self.x_index, weights=weight_dead, minlength=len(xs))
        d_b = (
            n_x @ (special.digamma(b + shifted) - special.digamma(a + b + shifted))
            + total * (digamma_a_b - special.digamma(b))
            - dead_per_x @ (1.0 / _dropout_denominator(b, xs, modified))
        )
        return value, np.array([d_r, d_alpha, d_a, d_b]) * np.array([r, alpha, a, b])


@dataclass(frozen=True)
class _Spend:
    """The customers with a repeat order day and a positive mean value, one by one.

    Mean values rarely repeat, so they are not grouped: the gamma and digamma functions run once
    per distinct ``x``, and one logarithm per customer remains.
    """

    x: np.ndarray
    repeat_value: np.ndarray
    x_values: np.ndarray
    x_count: np.ndarray
    constant: float
    log_m_per_p: float

    @classmethod
    def of_customers(cls, x, m_x):
        x_values, _, x_count = _distinct(x, np.ones(len(x)))
        log_m = np.log(m_x)
        # (p x - 1) log m_x + p x log x summed: p * log_m_per_p + constant.
        log_m_per_p = _dot(x, log_m) + x_count @ (x_values * np.log(x_values))
        return cls(x, x * m_x, x_values, x_count, -log_m.sum(), log_m_per_p)

    def log_likelihood(self, log_params):
        """Total log-likelihood of the means (FHL note eq. 2) and its gradient with respect to the log-parameters."""
        p, q, v = np.exp(log_params)
        xs, n_x, px = self.x_values, self.x_count, p * self.x_values
        total = n_x.sum()
        log_v_xm = np.log(v + self.repeat_value)
        inverse_v_xm = 1.0 / (v + self.repeat_value)
        x_log_v_xm, sum_log_v_xm = _dot(self.x, log_v_xm), log_v_xm.sum()
        digamma_px_q = special.digamma(px + q)
        value = (
            n_x @ (special.gammaln(px + q) - special.gammaln(px))
            + total * (q * np.log(v) - special.gammaln(q))
            + p * self.log_m_per_p
            + self.constant
            - p * x_log_v_xm
            - q * sum_log_v_xm
        )
        d_p = n_x @ (xs * (digamma_px_q - special.digamma(px))) + self.log_m_per_p - x_log_v_xm
        d_q = n_x @ digamma_px_q + total * (np.log(v) - special.digamma(q)) - sum_log_v_xm
        d_v = total * q / v - p * _dot(self.x, inverse_v_xm) - q * inverse_v_xm.sum()
        return value, np.array([d_p, d_q, d_v]) * np.array([p, q, v])
