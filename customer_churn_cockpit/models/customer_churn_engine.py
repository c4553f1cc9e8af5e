"""The churn engine's orchestration: the full run, the scheduled run in steps, the refresh at commit.

Each calls the same three steps, each in its own place:
extract (``customer.churn.extract``, SQL) → classify (``lib/classify.py``, pandas) → forecast
(``lib/forecast.py``: the SPEC §9 fits of a full run, or the last run's parameters for a refresh)
→ store (``customer.churn.figure``, one COPY and one replacement of the company's rows). The data
passes between them as a DataFrame and the fits, by argument.
"""

import logging
import threading
import time
from datetime import date, datetime, timedelta

import pytz
from psycopg2 import errors

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError

from ..lib import Windows, classify_customers
from ..lib.forecast import FORECAST_COLUMNS, Fits, forecast_customers
from .churn_sql import ChurnLock, try_lock, unlock
from .customer_churn_backtest import RESULT_KEYS as BACKTEST_KEYS

_logger = logging.getLogger(__name__)

# What PostgreSQL raises when a concurrent transaction wrote the same row: retry, as Odoo does.
CONCURRENCY_ERRORS = (errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable)
STATE_KEYS = ("never", "active", "at_risk", "churned")


class CustomerChurnEngine(models.AbstractModel):
    _name = "customer.churn.engine"
    _description = "Customer Churn Engine"

    @api.model
    def recompute(self, companies=None, as_of=None):
        """Recompute every customer of ``companies`` (all when None) as of ``as_of``.

        ``as_of`` defaults to today in each company's timezone. Each company is computed and
        written inside its own savepoint: a failure leaves that company's previous figures
        intact. Returns a summary: customers, seconds, the count of each state, per company.
        """
        companies = self._get_recompute_companies(companies)
        as_of = self._parse_as_of(as_of)
        if not self.env.su:
            self._check_recompute_access(companies)
        started = time.perf_counter()
        summary = {"customers": 0, **dict.fromkeys(STATE_KEYS, 0), "companies": {}}
        for company in companies:
            company_summary = self._recompute_company(company, as_of or self._today(company))
            summary["companies"][company.id] = company_summary
            for key in ("customers", *STATE_KEYS):
                summary[key] += company_summary[key]
        summary["seconds"] = round(time.perf_counter() - started, 3)
        return summary

    def _get_recompute_companies(self, companies):
        """The companies to recompute, given as records, ids or None (over RPC, ids come as a list)."""
        if companies is None:
            return self.env["res.company"].sudo().search([]) if self.env.su else self.env.user.company_ids
        if isinstance(companies, models.BaseModel) and companies._name == "res.company":
            return companies
        ids = [companies] if isinstance(companies, int) else companies
        if not isinstance(ids, (list, tuple)) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise UserError(_("Give the companies to recompute as company ids, not “%s”.", companies))
        found = self.env["res.company"].sudo().browse(ids).exists()
        if len(found) != len(set(ids)):
            raise UserError(_("There is no company with the id(s) %s.", sorted(set(ids) - set(found.ids))))
        return found.with_env(self.env)

    @api.model
    def _parse_as_of(self, as_of):
        """``as_of`` as a day: a date, or an ISO day ("2026-11-30") as JSON-RPC carries it."""
        if as_of is None or as_of is False:
            return None
        if isinstance(as_of, datetime):
            raise UserError(_("The figures are computed as of a day, not a moment (%s).", as_of))
        if isinstance(as_of, date):
            return as_of
        try:
            return date.fromisoformat(as_of)
        except (TypeError, ValueError):
            raise UserError(_("“%s” is not a day: give it as YYYY-MM-DD.", as_of)) from None

    def _check_recompute_access(self, companies):
        """Managers recompute the companies they are allowed in; refused before anything is written."""
        if not self.env.user.has_group("customer_churn_cockpit.group_churn_manager"):
            raise AccessError(_("Only churn cockpit managers can recompute the figures."))
        if companies - self.env.user.company_ids:
            raise AccessError(_("You can only recompute the figures of the companies you are allowed in."))

    @api.model
    def backtest(self, companies=None, as_of=None):
        """Replay each signal on the history of ``companies`` (all when None) up to ``as_of`` (SPEC §11).

        ``as_of`` defaults to today in each company's timezone. Stores one line per company and
        signal, replacing the lines of that company and day, and returns them as dicts with the
        keys ``company_id, as_of, signal, replay_dates, population, flagged, lost, hits,
        precision, recall, lift``.
        """
        if companies is None:
            companies = self.env["res.company"].sudo().search([]) if self.env.su else self.env.user.company_ids
        if not self.env.su:
            self._check_backtest_access(companies)
        Backtest = self.env["customer.churn.backtest"]
        rows = []
        for company in companies:
            lines = Backtest._backtest_company(company, as_of or self._today(company))
            rows.extend({key: line[key] for key in BACKTEST_KEYS} for line in lines)
        return rows

    def _check_backtest_access(self, companies):
        if not self.env.user.has_group("customer_churn_cockpit.group_churn_manager"):
            raise AccessError(_("Only churn cockpit managers can run the backtest."))
        if companies - self.env.user.company_ids:
            raise AccessError(_("You can only run the backtest of the companies you are allowed in."))

    @api.model
    def _cron_backtest(self):
        """The weekly backtest: every company as of its today, each in its own savepoint."""
        engine = self.sudo()
        for company in engine.env["res.company"].search([]):
            try:
                with engine.env.cr.savepoint():
                    engine.backtest(company)
            except Exception:
                _logger.exception("churn backtest failed for company %s", company.display_name)

    @api.model
    def _cron_recompute(self):
        """The scheduled run: every company, in short committed steps that never block the users.

        Where committing is not ours to do (tests), each company is recomputed in the caller's
        transaction instead, as ``recompute`` does.
        """
        companies = self.env["res.company"].sudo().search([])
        in_steps = not getattr(threading.current_thread(), "testing", False)
        progress = _CronProgress(self.env, self._expected_customers(companies))
        for company in companies:
            try:
                if in_steps:
                    self._recompute_in_steps(company)
                else:
                    self.recompute(company)
            except Exception:
                # One company's failure must not stop the others; its old figures stay in place.
                _logger.exception("churn recompute failed for company %s", company.display_name)
            progress.company_done(company)

    def _expected_customers(self, companies):
        """Customers of each company at its last run: the cron's progress counts customers."""
        Run = self.env["customer.churn.run"]
        return {company.id: Run.search([("company_id", "=", company.id)], limit=1).customers for company in companies}

    # The full run -----------------------------------------------------------------------------------

    def _recompute_company(self, company, as_of):
        started = time.perf_counter()
        if as_of > self._today(company):
            raise UserError(_("The figures cannot be computed for a day in the future (%s).", as_of))
        with self.env.cr.savepoint():
            self._lock_company(company)
            result, fits = self._compute_figures(company, as_of)
            backdated = self._is_backdated(company, as_of)
            if not backdated:
                self._store_company(company, result)
                self.env["customer.churn.baseline"]._keep_complete_months(company, as_of)
            run = self.env["customer.churn.run"]._record(
                company, as_of, result, time.perf_counter() - started, backdated=backdated, fits=fits
            )
        _logger.info(
            "churn figures of %s as of %s: %s customers in %.1fs", company.name, as_of, len(result), run.duration
        )
        return run._get_summary()

    def _compute_figures(self, company, as_of, partner_ids=None):
        """Extract, classify and forecast: the figures of the company's customers as of ``as_of``,
        and the fits of the forecast (``lib.forecast.Fits``).

        With ``partner_ids`` (a refresh), only those customers, without the ranks, which compare a
        customer with all the others, and with the models of the company's last run: a few
        customers cannot refit them.
        """
        settings = company._get_churn_settings()
        windows = Windows.for_settings(as_of, settings)
        aggregates = self.env["customer.churn.extract"]._extract_aggregates(company, windows, settings, partner_ids)
        result = classify_customers(aggregates, windows, settings, ranks=partner_ids is None)
        fits = None if partner_ids is None else self.env["customer.churn.run"]._get_live_fits(company)
        forecast, fits = forecast_customers(aggregates, as_of, settings.period_days, fits)
        result[list(FORECAST_COLUMNS)] = forecast.reindex(result.index)
        # Likely lost: P(alive) under the company's threshold; no forecast, no verdict.
        result["churn_likely_lost"] = (result["churn_p_alive"] < company.churn_p_alive_threshold).fillna(False)
        return result, fits

    def _is_backdated(self, company, as_of):
        """Is this a look back behind the board's current figures (as of today or yesterday)?

        Such a run is kept as its own run and the board's figures stay; figures that are not
        current any more (a company computed for an analysis of the past) are simply replaced.
        """
        live_as_of = self.env["customer.churn.run"]._get_live_as_of(company)
        current = live_as_of and live_as_of >= self._today(company) - timedelta(days=1)
        return bool(current and as_of < live_as_of)

    def _store_company(self, company, result):
        Figure = self.env["customer.churn.figure"]
        Figure._replace_company_figures(company, result)
        Figure._forget_refreshes(company)
        # A scheduled run killed part-way must not resume over these fresher figures.
        Figure._drop_staged_run(company)

    def _today(self, company):
        tz = pytz.timezone(company._get_churn_timezone())
        return datetime.now(tz).date()

    def _lock_company(self, company):
        """Serialise recomputes of one company across workers; a second one is refused at once."""
        if not try_lock(self.env.cr, ChurnLock.RECOMPUTE, company.id):
            _logger.warning("churn recompute of %s skipped: another one is running", company.name)
            raise UserError(_("The figures of %s are being recomputed already; try again in a moment.", company.name))

    # The scheduled run in steps ---------------------------------------------------------------------
    #
    # Extract and classify only read; the figures are staged with the snapshot they were computed
    # in, and committed. Then one short transaction replaces the company's rows, and the next one
    # records the run. Killed before the stage was committed, nothing changed; killed after, the
    # next scheduled call goes on with the same staged figures (same as_of).

    def _recompute_in_steps(self, company):
        if not try_lock(self.env.cr, ChurnLock.RECOMPUTE, company.id, session=True):
            _logger.warning("churn recompute of %s skipped: another one is running", company.name)
            return
        try:
            staged = self._get_staged_run(company) or self._stage(company, self._today(company))
            if not staged["applied"]:
                self._retry_on_conflict(lambda: self._apply_stage(company, staged))
            self._finish_staged_run(company, staged)
        except Exception:
            self.env.cr.rollback()
            raise
        finally:
            unlock(self.env.cr, ChurnLock.RECOMPUTE, company.id)

    def _get_staged_run(self, company):
        """The company's staged run still to finish, or None; one staged for an earlier day is dropped."""
        Figure = self.env["customer.churn.figure"]
        staged = Figure._get_staged_run(company)
        if staged and staged["as_of"] != self._today(company):
            Figure._drop_staged_run(company)
            self.env.cr.commit()
            return None
        return staged

    def _stage(self, company, as_of):
        """Extract and classify in one snapshot, stage the figures with that snapshot, commit."""
        self.env.cr.commit()  # a fresh snapshot, taken by the extraction below
        started = time.perf_counter()
        result, fits = self._compute_figures(company, as_of)
        Figure = self.env["customer.churn.figure"]
        Figure._stage_company_figures(company, as_of, result, time.perf_counter() - started, fits)
        self.env.cr.commit()
        _logger.info("churn figures of %s as of %s staged: %s customers", company.name, as_of, len(result))
        return Figure._get_staged_run(company)

    def _apply_stage(self, company, staged):
        # A transaction of its own, in read committed, not Odoo's repeatable read: the replacement
        # waits for the refreshes under way (the figures lock) and then sees their log lines, so
        # their fresher figures are kept.
        self.env.cr.commit()
        self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        self.env["customer.churn.figure"]._apply_staged_figures(company, staged)
        self.env.cr.commit()

    def _retry_on_conflict(self, step, tries=5):
        """Run ``step``; when a user's concurrent write makes PostgreSQL refuse it, run it again in
        a new transaction, as Odoo retries a user's request."""
        for attempt in range(tries):
            try:
                return step()
            except CONCURRENCY_ERRORS as error:
                self.env.cr.rollback()
                if attempt == tries - 1:
                    raise
                _logger.info("churn figures: a user's write got in the way (%s), trying again", error.pgcode)
        return None

    def _finish_staged_run(self, company, staged):
        """Record the run from the staged figures, forget the refreshes it saw, drop the stage."""
        Figure = self.env["customer.churn.figure"]
        result = Figure._load_staged_figures(company)
        duration = self._seconds_since(staged["started"])
        fits = Fits.from_dict(staged["fits"])
        run = self.env["customer.churn.run"]._record(company, staged["as_of"], result, duration, fits=fits)
        Figure._forget_refreshes(company, staged["snapshot"])
        Figure._drop_staged_run(company)
        self.env.cr.commit()
        self.env["customer.churn.baseline"]._keep_complete_months(company, staged["as_of"])
        self.env.cr.commit()
        _logger.info(
            "churn figures of %s as of %s: %s customers in %.1fs (in steps)",
            company.name,
            staged["as_of"],
            len(result),
            run.duration,
        )

    def _seconds_since(self, started):
        self.env.cr.execute("SELECT extract(epoch FROM clock_timestamp() - %s)::float8", [started])
        return self.env.cr.fetchone()[0]

    # The refresh at commit --------------------------------------------------------------------------

    @api.model
    def _refresh_customers(self, company, partner_ids):
        """Bring these customers' own figures (SPEC §2–§4, §7, §9) up to date, as of today.

        Rank-based figures (ABC tier, value segment) depend on every other customer: they stay
        as the last full run left them. The forecast uses the models that run fitted.
        """
        result, _fits = self._compute_figures(company, self._today(company), partner_ids)
        self.env["customer.churn.figure"]._refresh_figures(company, result, partner_ids)

    @api.model
    def _mark_for_refresh(self, company_ids, partner_ids):
        """Refresh these customers in these companies when the transaction commits.

        Batching at commit costs one scoped SQL pass per company however many orders a
        transaction touches, and sees the amounts after Odoo's own recomputations.
        """
        # Bulk imports may opt out and recompute once at the end.
        if not partner_ids or not company_ids or self.env.context.get("churn_no_refresh"):
            return
        pending = self.env.cr.precommit.data.setdefault("customer_churn_cockpit.refresh", {})
        if not pending:
            self.env.cr.precommit.add(self._refresh_pending)
        for company_id in company_ids:
            pending.setdefault(company_id, set()).update(partner_ids)

    def _refresh_pending(self):
        pending = self.env.cr.precommit.data.pop("customer_churn_cockpit.refresh", {})
        engine = self.sudo()
        companies = engine.env["res.company"].browse(list(pending)).exists()
        # Companies never computed have no figures to keep current.
        computed = set(engine.env["customer.churn.run"].search([("company_id", "in", companies.ids)]).company_id.ids)
        for company in companies.filtered(lambda c: c.id in computed):
            partners = engine.env["res.partner"].browse(list(pending[company.id])).exists()
            try:
                with engine.env.cr.savepoint():
                    engine._refresh_customers(company, set(partners.commercial_partner_id.ids))
            except CONCURRENCY_ERRORS:
                # Another transaction (a run, another order) wrote these customers since ours
                # began: Odoo retries the whole request, which then refreshes on top of it.
                raise
            except Exception:
                # The user's order must be saved whatever happens here; the nightly run catches up.
                _logger.exception("churn refresh of %s customers of %s failed", len(partners), company.name)


class _CronProgress:
    """Odoo's cron progress for a scheduled run, counted in customers, across companies."""

    def __init__(self, env, expected):
        self.env = env
        self.remaining = dict(expected)
        self.done = 0

    def company_done(self, company):
        self.done += self.remaining.pop(company.id, 0)
        self.env["ir.cron"]._notify_progress(done=self.done, remaining=sum(self.remaining.values()))
