import os
import threading

import pytest

from odoo_harness import (
    CONF,
    clone_database,
    drop_abandoned_test_databases,
    drop_database,
    ensure_template,
    require_configuration,
)

require_configuration()

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api  # noqa: E402
from odoo.tools import config  # noqa: E402

from common import Scenario  # noqa: E402

config.parse_config(["-c", CONF, "--log-level=warn"])
# As Odoo's own test framework does: no mail really sent, and no module installed on the fly
# (a company's country would install its l10n module, which commits mid-test).
threading.current_thread().testing = True

TEST_DB = f"cct_test_{os.getpid()}"


@pytest.fixture(scope="session")
def template_db():
    return ensure_template()


@pytest.fixture(scope="session")
def registry(template_db):
    drop_abandoned_test_databases()
    clone_database(template_db, TEST_DB)
    registry = odoo.modules.registry.Registry.new(TEST_DB)
    yield registry
    odoo.modules.registry.Registry.delete(TEST_DB)
    odoo.sql_db.close_db(TEST_DB)
    drop_database(TEST_DB)


@pytest.fixture
def env(registry):
    """An environment as superuser in a transaction rolled back after the test."""
    cr = registry.cursor()
    try:
        yield api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    finally:
        cr.rollback()
        cr.close()
        # ormcaches may hold values the rollback undid.
        registry.clear_all_caches()
        registry.reset_changes()


@pytest.fixture
def shop(env):
    """The story-telling fixture of tests/common.py on the main company."""
    return Scenario(env)


@pytest.fixture
def today(shop):
    """Today in the company's timezone: what the scheduled run and incremental refreshes use."""
    return shop.env["customer.churn.engine"]._today(shop.company)
