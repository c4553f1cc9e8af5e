"""A real Odoo 18 registry on a real PostgreSQL for pytest: no mocks.

The module is installed once into a template database whose name carries a hash of the
module's source, so repeat runs reuse it and any change to the module rebuilds it. Each
test session clones the template (a file copy in PostgreSQL) and each test runs in a
transaction that is rolled back.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = "customer_churn_cockpit"
CONF = os.environ.get("COCKPIT_ODOO_CONF")
ODOO_SRC = Path(os.environ.get("ODOO_SRC", "/opt/odoo/18.0"))


def require_configuration():
    if not CONF or not Path(CONF).exists():
        raise SystemExit(
            "Run the tests through the project's command, which prepares Odoo and PostgreSQL: ./cockpit test"
        )


def source_hash():
    """Hash of the module's files and of this recipe: a change to either rebuilds the template."""
    digest = hashlib.sha1(Path(__file__).read_bytes())
    for path in sorted((ROOT / MODULE).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def odoo_bin(*args, check=True):
    command = [sys.executable, str(ODOO_SRC / "odoo-bin"), "-c", CONF, *args]
    return subprocess.run(command, check=check, capture_output=True, text=True)


def run_python(code, *args):
    """Run Python code in a fresh interpreter (for what must commit, or start a new registry)."""
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False)
    if result.returncode:
        raise AssertionError(f"subprocess failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def psql(sql, dbname="postgres"):
    import psycopg2

    from odoo.tools import config

    connection = psycopg2.connect(
        dbname=dbname, host=config["db_host"] or None, port=config["db_port"] or None, user=config["db_user"]
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cr:
            cr.execute(sql)
            return cr.fetchall() if cr.description else None
    finally:
        connection.close()


def database_exists(name):
    return bool(psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))


def drop_database(name):
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clone_database(template, name):
    drop_database(name)
    psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def ensure_template():
    """Install the module into a template database, once per version of its source.

    Safe when several test runs start at once: each builds under its own name and the first to
    finish wins the rename.
    """
    digest = source_hash()
    template = f"cct_tmpl_{digest}"
    if database_exists(template):
        return template
    building = f"cct_build_{digest}_{os.getpid()}"
    drop_database(building)
    result = odoo_bin("-d", building, "-i", MODULE, "--stop-after-init", check=False)
    if not result.returncode:
        # Chinese beside English; loaded at creation it would become the only language.
        # Through the language wizard in a loaded registry (tools/load_language.py): odoo-bin's
        # --load-language on an existing database translates only the records of base's models.
        command = [sys.executable, str(ROOT / "tools" / "load_language.py"), "--db", building, "zh_CN"]
        result = subprocess.run(command, check=False, capture_output=True, text=True)
    if result.returncode or "ERROR" in result.stderr:
        drop_database(building)
        raise SystemExit(f"installing {MODULE} failed:\n{result.stderr[-6000:]}")
    if database_exists(template):
        drop_database(building)
        return template
    psql(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
    if os.environ.get("COCKPIT_KEEP_TEMPLATES"):
        # Several checkouts testing side by side each need their own template.
        return template
    for (stale,) in psql(
        f"SELECT datname FROM pg_database WHERE datname LIKE 'cct_tmpl_%' AND datname <> '{template}'"
    ):
        drop_database(stale)
    return template


def drop_abandoned_test_databases():
    """Drop the session databases of test runs that died before cleaning up."""
    for (name,) in psql("SELECT datname FROM pg_database WHERE datname ~ '^cct_test_[0-9]+$'"):
        pid = int(name.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            drop_database(name)
