"""What every browser check shares: headless Chromium (Debian's, with its chromedriver) in which the
portal's names resolve to this machine, and the audit of one page: axe-core's serious and critical
violations (WCAG 2.1 AA), errors in the browser console, the page's language.
"""
import sys

from axe_selenium_python import Axe
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
        if entry["level"] == "SEVERE":
            failures.append(f"{name}: console error: {entry['message']}")
    lang = driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
    if not lang or (language and lang != language):
        failures.append(f"{name}: <html lang> is {lang!r}")


def finish(label, failures, checked):
    """Prints the outcome as the Swift test reads it, and exits 1 on any failure."""
    if failures:
        print(f"{label} FAILED")
        for failure in failures:
            print(" -", failure)
        sys.exit(1)
    print(f"{label} passed: {len(checked)} pages: {', '.join(checked)}")
