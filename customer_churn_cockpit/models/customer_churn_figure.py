import json

import pandas as pd

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from ..lib.vocabulary import CHURN_STATES, FIGURE_NAMES, FIGURES, RANK_COLUMNS
from .churn_sql import ChurnLock, copy_figures, figure_column_definitions, loaded_figures, lock

FIELD_CLASSES = {
    "selection": fields.Selection,
    "date": fields.Date,
    "integer": fields.Integer,
    "float": fields.Float,
    "boolean": fields.Boolean,
}
# Figures the lists filter and group on most: a btree each. The flags are booleans, which an
# index does not help, and every index slows the nightly replacement of the company's rows.
INDEXED = {"churn_state", "abc_tier", "abc_tier_prev", "value_segment", "churn_last_order_date"}
# Figures an order's refresh recomputes: all but the ranks (SPEC §5, §6), which need every customer.
REFRESHED = tuple(name for name in FIGURE_NAMES if name not in RANK_COLUMNS)
STAGE_TABLE = "customer_churn_figure_stage"
STAGE_RUN_TABLE = "customer_churn_figure_stage_run"
REFRESH_LOG_TABLE = "customer_churn_figure_refresh"


def figure_field(figure):
    """The read-only column of one figure; only the engine writes it, in bulk."""
    kwargs = {"string": figure.string, "readonly": True, "index": figure.name in INDEXED}
    if figure.aggregator:
        kwargs["aggregator"] = figure.aggregator
    if figure.selection:
        return fields.Selection(figure.selection, **kwargs)
    return FIELD_CLASSES[figure.kind](**kwargs)


class CustomerChurnFigure(models.Model):
    """One customer's figures in one company (SPEC §3–§7): a reporting model, as sale.report is.

    The engine replaces a company's rows in bulk after each run; users only read them, under the
    record rules of the sale orders they come from (multi-company, and own customers for a
    salesperson who sees his own documents only).
    """

    _name = "customer.churn.figure"
    _description = "Customer Churn Figures"
    # The segment lists put first what is most at stake (an empty forecast last), then the longest silence.
    _order = "churn_revenue_at_stake desc nulls last, churn_days_since desc, id"
    _rec_name = "partner_id"
    _log_access = False

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    # Stored, so record rules and group-bys read it without a join; the ORM keeps it in step with
    # the customer's salesperson.
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson", store=True, index=True)
    partner_name = fields.Char(related="partner_id.name", string="Customer Name")
    city = fields.Char(related="partner_id.city")
    phone = fields.Char(related="partner_id.phone")
    category_id = fields.Many2many(related="partner_id.category_id", string="Tags")
    # The figures of SPEC §8, declared from the one vocabulary (lib/vocabulary.py).
    locals().update({figure.name: figure_field(figure) for figure in FIGURES})
    churn_days_since_visit = fields.Integer(
        string="Days Since Visit",
        compute="_compute_churn_days_since_visit",
        help="Days from the last visit to the day the figures are computed for.",
    )
    # What the company's last two runs recorded, apart from the live figures (which refreshes
    # move between runs): the board's state movement lists customers by them.
    churn_state_latest_run = fields.Selection(
        CHURN_STATES,
        string="State at Last Run",
        compute="_compute_churn_run_states",
        search="_search_churn_state_latest_run",
    )
    churn_state_previous_run = fields.Selection(
        CHURN_STATES,
        string="State at Previous Run",
        compute="_compute_churn_run_states",
        search="_search_churn_state_previous_run",
    )
    churn_held_back = fields.Boolean(
        string="In a Control Group",
        compute="_compute_churn_held_back",
        search="_search_churn_held_back",
        help="Held back from visits and coupons as the control group of a recent action, until its win-back "
        "window closes.",
    )

    _sql_constraints = [
        ("partner_company_unique", "unique(partner_id, company_id)", "A customer has one row of figures per company.")
    ]

    def init(self):
        """The tables of the scheduled run in steps: staged figures, the staged run, the refresh log.

        The stage has one column per figure: an upgrade, which may change the figures, re-creates
        it, and a run staged before the upgrade is then computed again.
        """
        cr = self.env.cr
        cr.execute(SQL("DROP TABLE IF EXISTS %s, %s", SQL.identifier(STAGE_TABLE), SQL.identifier(STAGE_RUN_TABLE)))
        cr.execute(
            SQL(
                """CREATE TABLE %s (
                       company_id int4 NOT NULL REFERENCES res_company ON DELETE CASCADE,
                       partner_id int4 NOT NULL,
                       %s,
                       PRIMARY KEY (company_id, partner_id))""",
                SQL.identifier(STAGE_TABLE),
                figure_column_definitions(FIGURE_NAMES),
            )
        )
        cr.execute(
            SQL(
                """CREATE TABLE %s (
                       company_id int4 PRIMARY KEY REFERENCES res_company ON DELETE CASCADE,
                       as_of date NOT NULL,
                       snapshot pg_snapshot NOT NULL,
                       started timestamp with time zone NOT NULL,
                       customers int4 NOT NULL,
                       fits jsonb NOT NULL,
                       applied bool NOT NULL DEFAULT false)""",
                SQL.identifier(STAGE_RUN_TABLE),
            )
        )
        # Which transaction refreshed which customer: a run in steps must not overwrite a refresh
        # its snapshot did not see with its older figures.
        cr.execute(
            SQL(
                """CREATE TABLE IF NOT EXISTS %s (
                       company_id int4 NOT NULL,
                       partner_id int4 NOT NULL,
                       xid xid8 NOT NULL DEFAULT pg_current_xact_id())""",
                SQL.identifier(REFRESH_LOG_TABLE),
            )
        )
        cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS %s ON %s (company_id, partner_id)",
                SQL.identifier(f"{REFRESH_LOG_TABLE}_partner_index"),
                SQL.identifier(REFRESH_LOG_TABLE),
            )
        )
        # Each run rewrites every row, but a customer's state, tiers, segment and last order
        # rarely change from one day to the next: with room left on each page, PostgreSQL writes
        # the new version beside the old one and touches none of the indexes (a HOT update). At
        # 100,000 customers the write takes 5 s instead of 9. Applies to pages written from now on.
        cr.execute(SQL("ALTER TABLE %s SET (fillfactor = 50)", SQL.identifier(self._table)))

    @api.depends("churn_as_of", "churn_last_visit_date")
    def _compute_churn_days_since_visit(self):
        for figure in self:
            visited, as_of = figure.churn_last_visit_date, figure.churn_as_of
            figure.churn_days_since_visit = (as_of - visited).days if visited and as_of else 0

    def _compute_churn_run_states(self):
        Run = self.env["customer.churn.run"]
        runs = {company: Run._get_latest_runs(company) for company in self.company_id}
        all_runs = Run.union(*(latest | previous for latest, previous in runs.values()))
        states = self.env["customer.churn.snapshot"]._get_states(all_runs, self.partner_id.ids)
        for figure in self:
            latest, previous = runs.get(figure.company_id, (Run, Run))
            figure.churn_state_latest_run = states.get((latest.id, figure.partner_id.id), False)
            figure.churn_state_previous_run = states.get((previous.id, figure.partner_id.id), False)

    def _compute_churn_held_back(self):
        held_back = {company: self._held_back_ids(company) for company in self.company_id}
        for figure in self:
            figure.churn_held_back = figure.partner_id.id in held_back.get(figure.company_id, ())

    def _search_churn_held_back(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Cannot search the control groups with the operator %s.", operator))
        held_back = expression.OR(
            [("company_id", "=", company.id), ("partner_id", "in", list(self._held_back_ids(company)))]
            for company in self.env.companies
        )
        return held_back if (operator == "=") == value else ["!", *held_back]

    def _held_back_ids(self, company):
        Action = self.env["customer.churn.action"]
        return Action._held_back_partner_ids(company, self.env["customer.churn.engine"]._today(company))

    def _search_churn_state_latest_run(self, operator, value):
        latest, _previous = self.env["customer.churn.run"]._get_latest_runs(self.env.company)
        return self._search_state_at_run(latest, operator, value)

    def _search_churn_state_previous_run(self, operator, value):
        _latest, previous = self.env["customer.churn.run"]._get_latest_runs(self.env.company)
        return self._search_state_at_run(previous, operator, value)

    def _search_state_at_run(self, run, operator, value):
        """Rows by their customer's state in ``run``, in one subquery over its snapshots.

        Empty (False) matches the customers the run did not record. Negative operators become the
        complement of the states asked for.
        """
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("Cannot search the churn state of a run with the operator %s.", operator))
        values = set(value) if operator in ("in", "not in") else {value}
        if operator in ("!=", "not in"):
            values = ({key for key, _label in CHURN_STATES} | {False}) - values
        states = [state for state in values if state]
        in_states = SQL(
            "(SELECT partner_id FROM customer_churn_snapshot WHERE run_id = %s AND churn_state = ANY(%s::varchar[]))",
            run.id or None,
            states,
        )
        domain = [("partner_id", "in", in_states)]
        if False in values:
            not_in_run = SQL(
                """(SELECT figure.id FROM customer_churn_figure figure
                     WHERE NOT EXISTS (SELECT 1 FROM customer_churn_snapshot snapshot
                                        WHERE snapshot.run_id = %s AND snapshot.partner_id = figure.partner_id))""",
                run.id or None,
            )
            domain = expression.OR([domain, [("id", "in", not_in_run)]])
        return domain

    # Acting on the selected customers ----------------------------------------------------------------

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        """The order-cycle flag is named with the company's multiplier (超过2个订货周期未下单, SPEC §4)."""
        description = super().fields_get(allfields, attributes)
        if "string" in description.get("churn_cycle_overdue", {}):
            board = self.env["customer.churn.board"]
            description["churn_cycle_overdue"]["string"] = board._cycle_overdue_label(self.env.company)
        return description

    def action_plan_visits(self):
        return self._open_segment_action("customer_churn_cockpit.customer_churn_plan_visit_action")

    def action_send_coupons(self):
        return self._open_segment_action("customer_churn_cockpit.customer_churn_send_coupon_action")

    def action_export_excel(self):
        return self.env["customer.churn.export"]._action_export(self._selected_rows().partner_id)

    def action_hand_over(self):
        """The hand-over wizard on the selected customers (e.g. of the "Salesperson Left" tile)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_churn_cockpit.customer_churn_handover_wizard_action"
        )
        action["context"] = {"active_model": self._name, "active_ids": self.ids}
        return action

    @api.model
    def _partner_ids_query(self, domain):
        """The partner ids of the rows matching ``domain`` that the user may read, as a subquery."""
        query = self._search(domain)
        return query.subselect(SQL.identifier(query.table, "partner_id"))

    def _open_segment_action(self, xmlid):
        """The wizard of ``xmlid`` on these rows' customers, as if chosen in a list of partners.

        The list's domain goes along as the partners' domain: the wizard says "N of M" with it.
        """
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["context"] = {"active_model": "res.partner", "active_ids": self._selected_rows().partner_id.ids}
        domain = self.env.context.get("active_domain")
        if domain is not None:
            action["context"]["active_domain"] = [("churn_figure_ids", "any", domain)]
        return action

    def _selected_rows(self):
        """These rows, or every row of the list's domain when "Select all" hit the web client's cap."""
        domain = self.env.context.get("active_domain")
        limit = self.env["customer.churn.segment.action"]._active_ids_limit()
        if domain is not None and len(self) >= limit:
            return self.search(domain)
        return self

    # Writing the figures (the engine's store step) --------------------------------------------------
    #
    # Only the engine calls these, after its own access check: users have read access only. Every
    # write of a company's rows holds the company's FIGURES lock, shared by refreshes (which never
    # wait for each other) and exclusive for a replacement (which waits for the refreshes under way
    # and keeps the refreshes that come later waiting for its one short transaction).

    @api.model
    def _replace_company_figures(self, company, result):
        """Replace the company's rows with ``result`` (a full run): one COPY, then the rows written."""
        cr = self.env.cr
        lock(cr, ChurnLock.FIGURES, company.id)
        with loaded_figures(cr, "churn_figure_load", result, FIGURE_NAMES) as load:
            self._write_company_rows(company, load)
        self._invalidate_figures()

    @api.model
    def _record_visit(self, partner_ids, day):
        """A visit done on ``day`` is these customers' last visit in every figure as of that day or later."""
        self.flush_model(["churn_last_visit_date", "churn_as_of"])
        self.env.cr.execute(
            SQL(
                """UPDATE customer_churn_figure SET churn_last_visit_date = %(day)s
                    WHERE partner_id = ANY(%(ids)s) AND churn_as_of >= %(day)s
                      AND (churn_last_visit_date IS NULL OR churn_last_visit_date < %(day)s)""",
                day=day,
                ids=list(partner_ids),
            )
        )
        self._invalidate_figures()
        self.env["res.partner"].invalidate_model(["churn_days_since_visit"])

    @api.model
    def _refresh_figures(self, company, result, partner_ids):
        """Bring the rows of ``partner_ids`` up to date with ``result`` (an order's refresh).

        The ranks stay as the last full run left them; a partner in scope that ``result`` lacks is
        no longer a customer of the company (archived, merged, orders moved away) and loses its row.
        """
        cr = self.env.cr
        lock(cr, ChurnLock.FIGURES, company.id, shared=True)
        with loaded_figures(cr, "churn_figure_refresh", result, REFRESHED):
            cr.execute(
                SQL(
                    """DELETE FROM customer_churn_figure figure
                        WHERE figure.company_id = %s AND figure.partner_id = ANY(%s)
                          AND NOT EXISTS (SELECT 1 FROM churn_figure_refresh fresh
                                           WHERE fresh.partner_id = figure.partner_id)""",
                    company.id,
                    list(partner_ids),
                )
            )
            columns = SQL(", ").join(SQL.identifier(name) for name in REFRESHED)
            cr.execute(
                SQL(
                    """INSERT INTO customer_churn_figure (company_id, partner_id, user_id, %(columns)s)
                       SELECT %(company)s, fresh.partner_id, partner.user_id, %(fresh_columns)s
                         FROM churn_figure_refresh fresh JOIN res_partner partner ON partner.id = fresh.partner_id
                           ON CONFLICT (partner_id, company_id) DO UPDATE SET %(updates)s""",
                    columns=columns,
                    company=company.id,
                    fresh_columns=SQL(", ").join(SQL.identifier("fresh", name) for name in REFRESHED),
                    updates=SQL(", ").join(
                        SQL("%s = EXCLUDED.%s", SQL.identifier(n), SQL.identifier(n)) for n in REFRESHED
                    ),
                )
            )
            cr.execute(
                SQL(
                    "INSERT INTO %s (company_id, partner_id) SELECT %s, unnest(%s::int4[])",
                    SQL.identifier(REFRESH_LOG_TABLE),
                    company.id,
                    list(partner_ids),
                )
            )
        self._invalidate_figures()

    def _write_company_rows(self, company, source, refreshed=None):
        """Make the company's rows those of table ``source`` (partner_id and every figure).

        Rows are updated in place rather than deleted and inserted: a row keeps its id (a list a
        user has open still finds it), and PostgreSQL checks no foreign key whose value stays. The
        rows where ``refreshed`` holds (a condition on ``figures``) were refreshed since the source
        was computed: they keep their fresher figures and get only the ranks.
        """
        cr = self.env.cr
        refreshed = refreshed or SQL("FALSE")
        values = {"company": company.id, "source": source, "refreshed": refreshed}
        # Customers the source lacks are no customers of the company any more.
        cr.execute(
            SQL(
                """DELETE FROM customer_churn_figure figures
                    WHERE figures.company_id = %(company)s AND NOT %(refreshed)s
                      AND NOT EXISTS (SELECT 1 FROM %(source)s src WHERE src.partner_id = figures.partner_id)""",
                **values,
            )
        )
        for columns, condition in ((FIGURE_NAMES, SQL("NOT %s", refreshed)), (RANK_COLUMNS, refreshed)):
            cr.execute(
                SQL(
                    """UPDATE customer_churn_figure figures SET %(assign)s
                         FROM %(source)s src
                        WHERE figures.company_id = %(company)s AND figures.partner_id = src.partner_id
                          AND %(condition)s""",
                    assign=SQL(", ").join(SQL("%s = src.%s", SQL.identifier(n), SQL.identifier(n)) for n in columns),
                    condition=condition,
                    **values,
                )
            )
        # New customers; a partner deleted since the figures were computed (merged, say) is left
        # out, so a merge or a deletion during a run never makes it fail.
        cr.execute(
            SQL(
                """INSERT INTO customer_churn_figure (company_id, partner_id, user_id, %(columns)s)
                   SELECT %(company)s, src.partner_id, partner.user_id, %(src_columns)s
                     FROM %(source)s src JOIN res_partner partner ON partner.id = src.partner_id
                    WHERE NOT EXISTS (
                          SELECT 1 FROM customer_churn_figure figures
                           WHERE figures.company_id = %(company)s AND figures.partner_id = src.partner_id)""",
                columns=SQL(", ").join(SQL.identifier(name) for name in FIGURE_NAMES),
                src_columns=SQL(", ").join(SQL.identifier("src", name) for name in FIGURE_NAMES),
                **values,
            )
        )

    def _invalidate_figures(self):
        self.invalidate_model()
        self.env["res.partner"].invalidate_model(list(FIGURE_NAMES))

    # The scheduled run in steps --------------------------------------------------------------------

    @api.model
    def _stage_company_figures(self, company, as_of, result, seconds, fits):
        """Keep ``result``, the ``fits`` of its forecast and the snapshot it was computed in, to
        apply in a later transaction."""
        cr = self.env.cr
        copy_figures(cr, STAGE_TABLE, result, FIGURE_NAMES, company_id=company.id)
        cr.execute(
            SQL(
                """INSERT INTO %s (company_id, as_of, snapshot, started, customers, fits)
                   VALUES (%s, %s, pg_current_snapshot(), clock_timestamp() - make_interval(secs => %s), %s, %s)""",
                SQL.identifier(STAGE_RUN_TABLE),
                company.id,
                as_of,
                seconds,
                len(result),
                json.dumps(fits.to_dict()),
            )
        )

    @api.model
    def _get_staged_run(self, company):
        """The company's staged run, as a dict (as_of, snapshot, started, customers, fits, applied), or None."""
        self.env.cr.execute(
            SQL(
                """SELECT as_of, snapshot::text AS snapshot, started, customers, fits, applied
                     FROM %s WHERE company_id = %s""",
                SQL.identifier(STAGE_RUN_TABLE),
                company.id,
            )
        )
        return self.env.cr.dictfetchone()

    @api.model
    def _apply_staged_figures(self, company, staged):
        """Replace the company's rows with the staged ones, in one short transaction.

        A customer refreshed since the run's snapshot (an order confirmed meanwhile) has fresher
        figures than the staged ones: it keeps them, and only its ranks are written.
        """
        cr = self.env.cr
        lock(cr, ChurnLock.FIGURES, company.id)
        refreshed = SQL(
            """EXISTS (SELECT 1 FROM %s refresh
                        WHERE refresh.company_id = %s AND refresh.partner_id = %s
                          AND NOT pg_visible_in_snapshot(refresh.xid, %s::pg_snapshot))""",
            SQL.identifier(REFRESH_LOG_TABLE),
            company.id,
            SQL("figures.partner_id"),
            staged["snapshot"],
        )
        staged_rows = SQL("(SELECT * FROM %s WHERE company_id = %s)", SQL.identifier(STAGE_TABLE), company.id)
        self._write_company_rows(company, staged_rows, refreshed)
        cr.execute(
            SQL("UPDATE %s SET applied = true WHERE company_id = %s", SQL.identifier(STAGE_RUN_TABLE), company.id)
        )
        self._invalidate_figures()

    @api.model
    def _load_staged_figures(self, company):
        """The staged figures, as ``classify_customers`` returned them."""
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, %s FROM %s WHERE company_id = %s",
                SQL(", ").join(SQL.identifier(name) for name in FIGURE_NAMES),
                SQL.identifier(STAGE_TABLE),
                company.id,
            )
        )
        return pd.DataFrame(self.env.cr.fetchall(), columns=["partner_id", *FIGURE_NAMES]).set_index("partner_id")

    @api.model
    def _forget_refreshes(self, company, snapshot=None):
        """Refreshes that the run saw are settled: no later run needs them."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM %s WHERE company_id = %s AND pg_visible_in_snapshot(xid, %s)",
                SQL.identifier(REFRESH_LOG_TABLE),
                company.id,
                SQL("%s::pg_snapshot", snapshot) if snapshot else SQL("pg_current_snapshot()"),
            )
        )

    @api.model
    def _drop_staged_run(self, company):
        for table in (STAGE_TABLE, STAGE_RUN_TABLE):
            self.env.cr.execute(SQL("DELETE FROM %s WHERE company_id = %s", SQL.identifier(table), company.id))

    @api.model
    def _drop_step_tables(self):
        self.env.cr.execute(
            SQL(
                "DROP TABLE IF EXISTS %s",
                SQL(", ").join(SQL.identifier(t) for t in (STAGE_TABLE, STAGE_RUN_TABLE, REFRESH_LOG_TABLE)),
            )
        )
