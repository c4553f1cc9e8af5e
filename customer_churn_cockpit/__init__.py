# ruff: noqa: I001
from . import models
from . import wizards


def uninstall_hook(env):
    """Drop the tables of the scheduled run in steps, which no ORM model owns."""
    env["customer.churn.engine"]._drop_step_tables()
