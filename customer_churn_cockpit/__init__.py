# ruff: noqa: I001
from . import models
from . import wizards


def uninstall_hook(env):
    """Drop what no ORM model owns: the tables of the scheduled run in steps and the coupon lookup index."""
    env["customer.churn.figure"]._drop_step_tables()
    env.cr.execute("DROP INDEX IF EXISTS sale_order_line_churn_coupon_id_index")
