"""18.0.2.0.0: the figures move from company-dependent jsonb columns of res_partner to customer.churn.figure.

Odoo leaves the columns of fields that stopped being stored in place: each one's per-company values
become the rows of the figure model, then the columns are dropped.
"""

import logging

from odoo.tools import SQL

from odoo.addons.customer_churn_cockpit.lib.vocabulary import FIGURE_NAMES, FIGURES
from odoo.addons.customer_churn_cockpit.models.churn_sql import SQL_TYPES

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    cr.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_name = 'res_partner' AND data_type = 'jsonb' AND column_name = ANY(%s)""",
        [list(FIGURE_NAMES)],
    )
    old_columns = {name for (name,) in cr.fetchall()}
    if "churn_state" not in old_columns:
        return
    figures = [figure for figure in FIGURES if figure.name in old_columns]
    values = SQL(", ").join(
        SQL("(partner.%s ->> company.key)::%s", SQL.identifier(figure.name), SQL(SQL_TYPES[figure.kind]))
        for figure in figures
    )
    cr.execute(
        SQL(
            """INSERT INTO customer_churn_figure (partner_id, company_id, user_id, %s)
               SELECT partner.id, company.key::int, partner.user_id, %s
                 FROM res_partner partner
                CROSS JOIN LATERAL jsonb_object_keys(partner.churn_state) AS company (key)
                WHERE EXISTS (SELECT 1 FROM res_company WHERE res_company.id = company.key::int)
                  AND partner.churn_state ->> company.key IS NOT NULL
                   ON CONFLICT (partner_id, company_id) DO NOTHING""",
            SQL(", ").join(SQL.identifier(figure.name) for figure in figures),
            values,
        )
    )
    _logger.info("customer_churn_cockpit: %s rows of figures moved out of res_partner", cr.rowcount)
    for name in sorted(old_columns):
        cr.execute(SQL("ALTER TABLE res_partner DROP COLUMN %s", SQL.identifier(name)))
    cr.execute("DROP TABLE IF EXISTS customer_churn_stage, customer_churn_stage_run, customer_churn_refresh_log")
