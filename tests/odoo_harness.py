"""A real Odoo 18 registry on a real PostgreSQL for pytest: no mocks.

The module is installed once into a template database whose name carries a hash of the
module's source, so repeat runs reuse it and any change to the module rebuilds it. Each
test session clones the template (a file copy in PostgreSQL, and of its filestore) and each
test runs in a transaction that is rolled back.
"""

import ast
import fcntl
import hashlib
import os
import shutil
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
    return subprocess.run(odoo_command(*args), check=check, capture_output=True, text=True)


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


def filestore(name):
    from odoo.tools import config

    return Path(config.filestore(name))


def drop_database(name):
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(filestore(name), ignore_errors=True)


def clone_database(template, name):
    """A copy of ``template`` with its attachments' files: the compiled asset bundles among them."""
    drop_database(name)
    psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    if filestore(template).is_dir():
        shutil.copytree(filestore(template), filestore(name))


def rename_database(name, new_name):
    psql(f'ALTER DATABASE "{name}" RENAME TO "{new_name}"')
    if filestore(name).is_dir():
        filestore(name).rename(filestore(new_name))


# Compile the asset bundles the browser tests' pages load (the login page, the backend, Hoot's
# runner) once into the template, as Odoo does before its own browser tests: each server of a
# browser test then serves them at its first page instead of compiling them again.
PREGENERATE_ASSETS = """
import sys
import odoo
from odoo import SUPERUSER_ID, api
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=warn"])
BUNDLES = (  # name, css, js
    ("web.assets_frontend", True, False),
    ("web.assets_frontend_minimal", False, True),
    ("web.assets_frontend_lazy", False, True),
    ("web.assets_web", True, True),
    ("web.assets_unit_tests_setup", True, True),
    ("web.assets_unit_tests", True, True),
)
with odoo.modules.registry.Registry.new(sys.argv[2]).cursor() as cr:
    qweb = api.Environment(cr, SUPERUSER_ID, {})["ir.qweb"]
    for name, css, js in BUNDLES:
        bundle = qweb._get_asset_bundle(name, css=css, js=js)
        if css:
            bundle.css()
        if js:
            bundle.js()
"""


def manifest_depends():
    manifest = ast.literal_eval((ROOT / MODULE / "__manifest__.py").read_text())
    return sorted(manifest["depends"])


def ensure_dependencies():
    """A database with the module's dependencies and Chinese beside English, once per list of
    dependencies: the template and the upgrade test install versions of the module into copies."""
    digest = hashlib.sha1(",".join(manifest_depends()).encode()).hexdigest()[:12]
    # Chinese is loaded through the language wizard in a loaded registry (tools/load_language.py):
    # loaded at creation it would become the only language, and odoo-bin's --load-language on an
    # existing database translates only the records of base's models. A module installed later
    # gets its own translations for the languages already there.
    return build_once(
        f"cct_deps_{digest}",
        drop_database,
        [
            odoo_command("-d", "{db}", "-i", ",".join(manifest_depends()), "--stop-after-init"),
            [sys.executable, str(ROOT / "tools" / "load_language.py"), "--db", "{db}", "zh_CN"],
        ],
    )


def ensure_template():
    """Install the module into a copy of the dependencies' database, once per version of its source."""
    dependencies = ensure_dependencies()
    return build_once(
        f"cct_tmpl_{source_hash()}",
        lambda building: clone_database(dependencies, building),
        [
            odoo_command("-d", "{db}", "-i", MODULE, "--stop-after-init"),
            [sys.executable, "-c", PREGENERATE_ASSETS, CONF, "{db}"],
        ],
    )


def odoo_command(*args):
    return [sys.executable, str(ODOO_SRC / "odoo-bin"), "-c", CONF, *args]


def build_once(name, start, commands):
    """The database ``name``, built if missing: ``start(scratch name)``, then each command with
    ``{db}`` naming the scratch database, then the rename.

    Safe when several test runs start at once: each builds under its own name and the first to
    finish wins the rename. Older builds of the same kind are dropped.
    """
    if database_exists(name):
        return name
    # The test workers of one run wait for the first one's build instead of building it too.
    with Path(CONF).with_name("build.lock").open("w") as build_lock:
        fcntl.flock(build_lock, fcntl.LOCK_EX)
        return name if database_exists(name) else _build(name, start, commands)


def _build(name, start, commands):
    kind = name.rsplit("_", 1)[0]
    building = f"cct_build_{name}_{os.getpid()}"
    start(building)
    for command in commands:
        result = subprocess.run(
            [part.replace("{db}", building) for part in command], check=False, capture_output=True, text=True
        )
        if result.returncode or "ERROR" in result.stderr:
            drop_database(building)
            raise SystemExit(f"building {name} failed at {command[2:5]}:\n{result.stderr[-6000:]}")
    if database_exists(name):
        drop_database(building)
        return name
    rename_database(building, name)
    if os.environ.get("COCKPIT_KEEP_TEMPLATES"):
        # Several checkouts testing side by side each need their own template.
        return name
    for (stale,) in psql(f"SELECT datname FROM pg_database WHERE datname LIKE '{kind}_%' AND datname <> '{name}'"):
        drop_database(stale)
    return name


def drop_abandoned_test_databases():
    """Drop the session databases of test runs that died before cleaning up."""
    for (name,) in psql("SELECT datname FROM pg_database WHERE datname ~ '^cct_test_[0-9]+$'"):
        pid = int(name.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            drop_database(name)
