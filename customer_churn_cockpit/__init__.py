# ruff: noqa: I001
from . import models
from . import wizards


def uninstall_hook(env):
    """Drop the tables of the scheduled run in steps, which the figure model keeps beside its own."""
    env["customer.churn.figure"]._drop_step_tables()
