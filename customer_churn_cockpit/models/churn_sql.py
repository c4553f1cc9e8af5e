"""SQL helpers the engine's steps share: advisory locks per purpose, COPY of a DataFrame, and the
company's confirmed orders dated by its own day."""

import contextlib
import enum
import io
from datetime import timedelta

import pandas as pd

from odoo.tools import SQL

from ..lib.binary_copy import encode_binary_copy
from ..lib.vocabulary import FIGURES_BY_NAME

# Column type of each kind of figure, for the tables the steps write.
SQL_TYPES = {
    "selection": "varchar",
    "date": "date",
    "integer": "int4",
    "float": "float8",
    "boolean": "bool",
}


# The company's confirmed orders of the customers ``customer`` passes (SPEC §1), one row per order
# with its local day and its amount in the company currency (SPEC §2).
CONFIRMED_ORDERS = """
    SELECT buyer.commercial_partner_id AS partner_id,
           (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date AS day,
           so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1) AS amount
      FROM sale_order so
      JOIN res_partner buyer ON buyer.id = so.partner_id
      JOIN res_partner customer ON customer.id = buyer.commercial_partner_id
     WHERE so.state = 'sale'
       AND so.company_id = %(company_id)s
       AND so.date_order >= %(orders_from)s
       AND so.date_order < %(orders_before)s
       AND (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date BETWEEN %(first_day)s AND %(last_day)s
       AND %(customer)s"""
# Whether the customer ``partner_id`` names had a confirmed order of the company before ``day``.
ORDERED_BEFORE = """EXISTS (
    SELECT 1
      FROM res_partner older_buyer
      JOIN sale_order older ON older.partner_id = older_buyer.id
     WHERE older_buyer.commercial_partner_id = %(partner_id)s
       AND older.state = 'sale'
       AND older.company_id = %(company_id)s
       AND older.date_order < %(orders_before)s
       AND (older.date_order AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date < %(day)s
)"""


def confirmed_orders(company, first_day, last_day, customer):
    """SQL of the company's confirmed orders dated ``first_day`` to ``last_day`` in its timezone,
    of the customers the SQL condition ``customer`` (on the commercial partner) passes."""
    return SQL(
        CONFIRMED_ORDERS,
        tz=company._get_churn_timezone(),
        company_id=company.id,
        # Order days are local: UTC bounds a day wider let the date index bound the read.
        orders_from=first_day - timedelta(days=1),
        orders_before=last_day + timedelta(days=2),
        first_day=first_day,
        last_day=last_day,
        customer=customer,
    )


def ordered_before(company, partner_id, day):
    """SQL condition: the customer (the SQL ``partner_id``) had a confirmed order of the company
    dated before ``day`` in its timezone."""
    return SQL(
        ORDERED_BEFORE,
        partner_id=partner_id,
        company_id=company.id,
        orders_before=day + timedelta(days=1),
        tz=company._get_churn_timezone(),
        day=day,
    )


class ChurnLock(enum.IntEnum):
    """One PostgreSQL advisory-lock namespace per purpose; the second key is the company id.

    Keys are distinct 32-bit numbers ("chr" + a letter in ASCII), so a visit plan never waits
    for a recompute of the same company, nor a recompute for a plan.
    """

    RECOMPUTE = 0x63687252  # one recompute of a company at a time
    FIGURES = 0x63687246  # refreshes (shared) against the replacement of a company's figures
    VISITS = 0x63687256  # one visit plan of a company at a time
    HANDOVER = 0x63687248  # one hand-over of a company at a time


def try_lock(cr, purpose, company_id, session=False):
    """Take the lock if free; returns whether it was taken. ``session`` keeps it across commits."""
    function = "pg_try_advisory_lock" if session else "pg_try_advisory_xact_lock"
    cr.execute(SQL("SELECT %s(%s, %s)", SQL(function), int(purpose), company_id))
    return cr.fetchone()[0]


def lock(cr, purpose, company_id, shared=False):
    """Wait for the lock, held until the transaction ends."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    cr.execute(SQL("SELECT %s(%s, %s)", SQL(function), int(purpose), company_id))


def unlock(cr, purpose, company_id):
    cr.execute(SQL("SELECT pg_advisory_unlock(%s, %s)", int(purpose), company_id))


def figure_column_definitions(columns):
    """``name type, …`` of these figures, for CREATE TABLE."""
    return SQL(", ").join(
        SQL("%s %s", SQL.identifier(name), SQL(SQL_TYPES[FIGURES_BY_NAME[name].kind])) for name in columns
    )


def copy_figures(cr, table, frame, columns, company_id=None):
    """COPY the partner ids (the index) and ``columns`` of ``frame`` into ``table``, in one round trip
    of PostgreSQL's binary format (the column types must be those of ``SQL_TYPES``).

    With ``company_id``, the table's ``company_id`` column gets it on every row.
    """
    data = [("partner_id", "int4", frame.index.to_series())]
    data += [(name, SQL_TYPES[FIGURES_BY_NAME[name].kind], frame[name]) for name in columns]
    if company_id is not None:
        data.insert(0, ("company_id", "int4", pd.Series(company_id, index=frame.index)))
    stream = io.BytesIO(encode_binary_copy([(sql_type, values) for _name, sql_type, values in data]))
    target = SQL("%s (%s)", SQL.identifier(table), SQL(", ").join(SQL.identifier(name) for name, *_ in data))
    cr._obj.copy_expert(SQL("COPY %s FROM STDIN WITH (FORMAT binary)", target).code, stream)


@contextlib.contextmanager
def loaded_figures(cr, table, frame, columns):
    """A temporary ``table`` (partner_id, ``columns``) holding ``frame``, for the statements of the
    ``with`` block; dropped after it, and at commit if the block fails."""
    cr.execute(
        SQL(
            "CREATE TEMP TABLE %s (partner_id int4 PRIMARY KEY, %s) ON COMMIT DROP",
            SQL.identifier(table),
            figure_column_definitions(columns),
        )
    )
    copy_figures(cr, table, frame, columns)
    yield SQL.identifier(table)
    cr.execute(SQL("DROP TABLE %s", SQL.identifier(table)))
