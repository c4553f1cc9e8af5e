"""The wheel built from setup.py installs the addon where an existing Odoo finds it (as OCA's do)."""

import subprocess
import sys
import zipfile

import pytest

from odoo_harness import MODULE, ODOO_SRC, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("*.whl")
    return path


def test_wheel_holds_code_data_and_translations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    prefix = f"odoo/addons/{MODULE}/"
    for expected in (
        "__manifest__.py",
        "models/customer_churn_engine.py",
        "lib/classify.py",
        "views/menus.xml",
        "security/ir.model.access.csv",
        "static/description/icon.png",
    ):
        assert prefix + expected in names
    assert not any(name.startswith("odoo/__init__") or name.startswith("odoo/addons/__init__") for name in names)
    assert wheel.name.startswith("odoo_addon_customer_churn_cockpit-18.0.")


@pytest.mark.slow
def test_odoo_finds_the_module_from_a_venv_with_the_wheel(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = venv / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True)
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # Odoo from its source tree, its dependencies from the project venv, the addon from the wheel only:
    # addons_path lists Odoo's own addons, not this repository.
    code = (
        "import odoo, odoo.modules.module as m;"
        f"odoo.tools.config.parse_config(['--addons-path={ODOO_SRC}/odoo/addons']);"
        f"print(m.get_module_path('{MODULE}'));"
        f"print(m.get_manifest('{MODULE}')['version'])"
    )
    project_site = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{ODOO_SRC}:{project_site}", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    path, version = result.stdout.split()
    assert path == f"{site}/odoo/addons/{MODULE}"
    assert version.startswith("18.0.")
