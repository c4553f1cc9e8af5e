"""SQL helpers the engine's steps share: advisory locks per purpose, and COPY of a DataFrame."""

import contextlib
import enum
import io

from odoo.tools import SQL

from ..lib.vocabulary import FIGURES_BY_NAME

# Column type of each kind of figure, for the tables the steps write.
SQL_TYPES = {
    "selection": "varchar",
    "date": "date",
    "integer": "int4",
    "float": "float8",
    "boolean": "bool",
}


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
    """COPY the partner ids (the index) and ``columns`` of ``frame`` into ``table``, in one round trip.

    With ``company_id``, the table's ``company_id`` column gets it on every row.
    """
    data = frame[list(columns)].reset_index()
    for name in columns:
        if FIGURES_BY_NAME[name].kind == "integer":
            data[name] = data[name].astype("Int64")
    if company_id is not None:
        data.insert(0, "company_id", company_id)
    buffer = io.StringIO()
    data.to_csv(buffer, header=False, index=False, date_format="%Y-%m-%d")
    buffer.seek(0)
    target = SQL("%s (%s)", SQL.identifier(table), SQL(", ").join(SQL.identifier(name) for name in data.columns))
    cr._obj.copy_expert(SQL("COPY %s FROM STDIN WITH (FORMAT csv)", target).code, buffer)


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
