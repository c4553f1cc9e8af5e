"""Package the addon as OCA's odoo-addon-* wheels do: it installs under odoo/addons/.

Odoo 18 makes ``odoo.addons`` a namespace package, so an Odoo that imports from this Python
environment finds the module without touching addons_path. Version and dependencies come from
the manifest, so one place holds them.
"""

import ast
from pathlib import Path

from setuptools import setup

ADDON = "customer_churn_cockpit"
HERE = Path(__file__).resolve().parent
MANIFEST = ast.literal_eval((HERE / ADDON / "__manifest__.py").read_text())
DATA_SUFFIXES = {".xml", ".csv", ".po", ".pot", ".png", ".svg", ".js", ".scss", ".css", ".html", ".rst", ".md"}


def python_packages():
    return sorted(
        f"odoo.addons.{'.'.join(path.parent.relative_to(HERE).parts)}" for path in (HERE / ADDON).rglob("__init__.py")
    )


def data_files():
    """Data files, and the migration scripts, which Odoo loads by path rather than importing."""
    return sorted(
        str(path.relative_to(HERE / ADDON))
        for path in (HERE / ADDON).rglob("*")
        if path.is_file()
        and (path.suffix in DATA_SUFFIXES or "migrations" in path.relative_to(HERE / ADDON).parts)
        and "__pycache__" not in path.parts
    )


setup(
    name=f"odoo-addon-{ADDON.replace('_', '-')}",
    version=MANIFEST["version"],
    description=MANIFEST["summary"],
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license=MANIFEST["license"],
    author=MANIFEST["author"],
    url=MANIFEST["website"],
    python_requires=">=3.10",
    # Core addons (sale_management, sale_loyalty, mail, contacts) ship with Odoo itself.
    install_requires=["odoo>=18.0a,<18.1dev", *MANIFEST["external_dependencies"]["python"]],
    package_dir={f"odoo.addons.{ADDON}": ADDON},
    packages=python_packages(),
    package_data={f"odoo.addons.{ADDON}": data_files()},
    classifiers=[
        "Programming Language :: Python",
        "Framework :: Odoo",
        "Framework :: Odoo :: 18.0",
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
    ],
)
