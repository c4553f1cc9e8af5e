"""End-to-end harness: a committed database served by a real Odoo server, driven by headless Chromium.

Tests in the rolled-back ``env`` transaction are invisible to another process, so a browser test
works on a database of its own: a clone of the template whose data a subprocess commits, served
by ``odoo-bin`` on a free port. Use it from a test module::

    pytest_plugins = ("browser",)

    @pytest.fixture(scope="module")
    def browser_database(seed_database):
        name, output = seed_database("cct_browser_mine", SEED_CODE, "arg")
        return name

    def test_something(browser):
        browser.open("/odoo/action-...")
        browser.wait("[data-tile-key='at_risk']")

Without its own ``browser_database`` a module gets a plain clone of the template. ``browser`` is a
logged-in :class:`Browser` (admin/admin); ``odoo_server`` gives the base URL.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from odoo_harness import CONF, ODOO_SRC, ROOT, clone_database, drop_database, run_python

CHROMIUM = os.environ.get("COCKPIT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("COCKPIT_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1440,1000",
)
# The docs' screenshots are refreshed on request (COCKPIT_UPDATE_SCREENSHOTS=1 ./cockpit test -m slow);
# an ordinary run keeps its own under tests/artifacts/ and leaves the checkout clean.
UPDATE_DOCS = bool(os.environ.get("COCKPIT_UPDATE_SCREENSHOTS"))
SCREENSHOTS = ROOT / "docs" / "screenshots" if UPDATE_DOCS else ROOT / "tests" / "artifacts" / "screenshots"
# The first page compiles the asset bundles (SCSS, JS) of a fresh database: allow for it.
SERVER_START_TIMEOUT = 60
PAGE_TIMEOUT = 30


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def committed_database(template, name, seed_code=None, *seed_args):
    """Clone ``template`` into ``name``, run ``seed_code`` on it in a subprocess, drop it at the end.

    The seed gets ``sys.argv[1:] == [CONF, name, *seed_args]``, must commit what it creates, and
    may print a result: this yields ``(name, its stdout)``.
    """
    clone_database(template, name)
    try:
        output = run_python(seed_code, CONF, name, *seed_args) if seed_code else ""
        yield name, output
    finally:
        drop_database(name)


class OdooServer:
    """``odoo-bin`` serving one database on a free port, in threaded mode without cron."""

    def __init__(self, database, log_path):
        self.database = database
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path)
        self.process = None

    def start(self):
        command = [
            sys.executable, str(ODOO_SRC / "odoo-bin"), "-c", CONF,
            "-d", self.database, f"--db-filter=^{self.database}$",
            "--http-interface=127.0.0.1", f"--http-port={self.port}",
            "--workers=0", "--max-cron-threads=0",
        ]  # fmt: skip
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_ready()
        return self

    def _wait_until_ready(self):
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"odoo-bin exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/web/login", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"odoo-bin did not answer in {SERVER_START_TIMEOUT}s:\n{self.log_tail()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, chars=4000):
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


class Browser:
    """A Chromium driven by selenium, with waits that fit Odoo's asynchronous client."""

    def __init__(self, base_url, profile_dir):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in CHROMIUM_ARGS:
            options.add_argument(argument)
        options.add_argument(f"--user-data-dir={profile_dir}")
        # Keep the console, so a test can fail on the client's JavaScript errors.
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        # Odoo's bus lives in a SharedWorker that outlives a page load; the next page then finds it
        # connected, cannot tell which notifications it saw, and shows "The page is out of date".
        # Without SharedWorker each page gets its own worker, as in a fresh tab.
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "delete window.SharedWorker;"})
        self.base_url = base_url

    def quit(self):
        self.driver.quit()

    @contextlib.contextmanager
    def timezone(self, name):
        """The browser's own timezone: Odoo gives it to a user at their first login (through a
        ``tz`` cookie that its login page sets once from the browser's clock)."""
        self.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": name})
        self.driver.add_cookie({"name": "tz", "value": name, "path": "/"})
        try:
            yield
        finally:
            self.driver.delete_cookie("tz")
            self.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})

    def open(self, path):
        self.driver.get(f"{self.base_url}{path}")

    def login(self, login="admin", password="admin"):
        self.open("/web/login")
        self.wait("input[name='login']").send_keys(login)
        self.driver.find_element(By.CSS_SELECTOR, "input[name='password']").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "form button[type='submit']").click()
        # The first backend page of a fresh database compiles its asset bundles: slow on a busy machine.
        self.wait(".o_main_navbar", timeout=SERVER_START_TIMEOUT)

    def wait(self, css, timeout=PAGE_TIMEOUT):
        """The first element matching ``css`` once it is visible."""
        return self.wait_until(lambda driver: self._visible(css), f"no visible {css!r}", timeout)

    def wait_until(self, condition, message, timeout=PAGE_TIMEOUT):
        try:
            return WebDriverWait(self.driver, timeout, ignored_exceptions=[StaleElementReferenceException]).until(
                condition
            )
        except TimeoutException:
            raise AssertionError(f"{message} after {timeout}s at {self.driver.current_url}") from None

    def _visible(self, css):
        return next((e for e in self.driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()), None)

    def texts(self, css):
        return [element.text.strip() for element in self.driver.find_elements(By.CSS_SELECTOR, css)]

    def texts_when(self, css, expected, timeout=PAGE_TIMEOUT):
        """The texts of the elements matching ``css``, sorted, once they are ``expected`` or at the timeout.

        The caller asserts on the result, so a failure shows what the page showed.
        """
        expected = sorted(expected)
        with contextlib.suppress(AssertionError):
            self.wait_until(lambda driver: sorted(self.texts(css)) == expected, "", timeout)
        return sorted(self.texts(css))

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.driver.save_screenshot(str(path))
        return path

    def console_errors(self):
        """Severe console messages of the page, except failed loads of resources (favicons, images)."""
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]
        ]


@pytest.fixture(scope="module")
def seed_database(template_db):
    """``seed_database(name, seed_code=None, *seed_args)``: a committed clone, see :func:`committed_database`.

    Returns ``(name, seed output)``; the databases are dropped at the end of the module.
    """
    with contextlib.ExitStack() as stack:
        yield lambda name, *seed: stack.enter_context(committed_database(template_db, name, *seed))


@pytest.fixture(scope="module")
def browser_database(seed_database):
    """The database the browser works on: a plain clone of the template, unless a module overrides this."""
    name, _output = seed_database("cct_browser")
    return name


@pytest.fixture(scope="module")
def odoo_server(browser_database, tmp_path_factory):
    server = OdooServer(browser_database, tmp_path_factory.mktemp("odoo") / "odoo.log").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(odoo_server):
    """A logged-in browser (admin) on the served database, shared by the tests of a module."""
    profile = tempfile.mkdtemp(prefix="cct-chromium-")
    session = Browser(odoo_server.base_url, profile)
    try:
        session.login()
        yield session
    finally:
        session.quit()
        shutil.rmtree(profile, ignore_errors=True)
