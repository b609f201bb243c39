"""What every browser check shares: headless Chromium (Debian's, with its chromedriver) in which the
portal's names resolve to this machine, and the audit of one page: axe-core's serious and critical
violations (WCAG 2.1 AA), errors in the browser console, the page's language.
"""
import os
import re
import sys

from selenium_axe_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def chromium():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1024",
                     "--host-resolver-rules=MAP longan.gov.vn 127.0.0.1, MAP *.longan.gov.vn 127.0.0.1"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    # axe-core walks the whole page; long lists take a while on two cores.
    driver.set_script_timeout(120)
    return driver


def audit(driver, name, failures, language=None):
    """Adds to `failures` what is wrong with the page as it stands."""
    axe = Axe(driver)
    axe.inject()
    for violation in axe.run()["violations"]:
        if violation.get("impact") in ("serious", "critical"):
            targets = [node["target"] for node in violation["nodes"]][:3]
            failures.append(f"{name}: axe {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    for entry in driver.get_log("browser"):
        # A page that answers 4xx on purpose (a refused form, a 404 page) is logged as a failed
        # load of the page itself; the tests check those statuses themselves.
        if "Failed to load resource" in entry["message"] and entry["message"].startswith(driver.current_url + " "):
            continue
        if entry["level"] == "SEVERE":
            failures.append(f"{name}: console error: {entry['message']}")
    # A picture the browser fetched but could not draw (a file that only claims to be a picture,
    # data broken after its header) logs no error. Every picture is loaded now, the lazy ones
    # below the fold too, and decoded: one that cannot be is broken.
    broken = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const images = Array.from(document.images).filter(i => i.getAttribute('src'));
        images.forEach(i => { i.loading = 'eager'; });
        Promise.allSettled(images.map(i => i.decode())).then(results => done(
            results.map((r, n) => r.status === 'rejected' ? (images[n].currentSrc || images[n].src) : null).filter(s => s)));
        """)
    for source in broken:
        failures.append(f"{name}: broken picture {source}")
    lang = driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
    if not lang or (language and lang != language):
        failures.append(f"{name}: <html lang> is {lang!r}")


# The widths people use: a laptop and a phone (390 CSS pixels, as most phones sold here).
WIDTHS = (1366, 390)


def artifacts():
    """Where screenshots go: PORTAL_ARTIFACTS (deploy/test sets it), else nowhere."""
    folder = os.environ.get("PORTAL_ARTIFACTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
    return folder


def screenshot(driver, name):
    folder = artifacts()
    if folder:
        driver.save_screenshot(os.path.join(folder, re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") + ".png"))


def audit_widths(driver, name, failures, language=None, shoot=True):
    """The page at each of WIDTHS: axe as `audit` does, no sideways scrolling, touch targets of
    at least 24 px (WCAG 2.2, 2.5.8); a screenshot at each width when `shoot`."""
    for width in WIDTHS:
        driver.set_window_size(width, 900)
        label = f"{name} at {width} px"
        audit(driver, label, failures, language)
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 1:
            failures.append(f"{label}: scrolls sideways by {overflow} px")
        small = driver.execute_script("""
            return Array.from(document.querySelectorAll('a, button, input, select, textarea, summary'))
              .filter(e => e.offsetParent !== null && e.type !== 'hidden')
              .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.height < 24 && r.width < 24; })
              .filter(e => !(e.tagName === 'A' && getComputedStyle(e).display === 'inline'))
              .map(e => e.outerHTML.slice(0, 80));""")
        for element in small[:3]:
            failures.append(f"{label}: touch target under 24 px: {element}")
        if shoot:
            screenshot(driver, f"{name}-{width}")
    driver.set_window_size(1280, 1024)


def finish(label, failures, checked):
    """Prints the outcome as the Swift test reads it, and exits 1 on any failure."""
    if failures:
        print(f"{label} FAILED")
        for failure in failures:
            print(" -", failure)
        sys.exit(1)
    print(f"{label} passed: {len(checked)} pages: {', '.join(checked)}")
