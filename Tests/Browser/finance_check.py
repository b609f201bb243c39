"""The finance page in headless Chromium, driven by Selenium, checked by axe-core.

Finance staff sign in, open a month's report generated at month end, see its totals and the
twelve-month chart, download the XLSX, and submit it; the Head of the Board approves it; finance
staff record the payment. Fails on any serious or critical accessibility violation and on errors
in the browser console. Environment: BASE (finance's URL), PASSWORD (the demo users' password),
MONTH (a month whose report is a draft), PORTAL_TOTAL (its portal total as the page writes it).
"""
import os
import urllib.request

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_audit import audit_widths, chromium, finish

BASE = os.environ["BASE"]
PASSWORD = os.environ["PASSWORD"]
MONTH = os.environ["MONTH"]
PORTAL_TOTAL = os.environ["PORTAL_TOTAL"]

driver = chromium()
failures = []
checked = []


def check(name):
    audit_widths(driver, name, failures, language="vi")
    checked.append(name)


def wait_for(condition, message):
    try:
        WebDriverWait(driver, 10, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(condition)
    except Exception:
        failures.append(message)
        raise SystemExit


def login(user):
    driver.get(BASE + "/finance/login")
    check("sign-in")
    driver.find_element(By.ID, "login").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(lambda d: d.current_url.rstrip("/").endswith("/finance"), f"{user} could not sign in")


def logout():
    driver.find_element(By.CSS_SELECTOR, "header form button").click()
    wait_for(lambda d: "/finance/login" in d.current_url, "signing out did not return to the sign-in page")


def act(label, state):
    """Presses the step's button and waits for the page the step leads to (its address says
    which step was done), then reads the report's state there."""
    action = {"Trình Ban Biên tập": "submit", "Phê duyệt": "approve", "Ghi nhận đã chi trả": "pay"}[label]
    driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']").click()
    wait_for(lambda d: f"done={action}" in d.current_url and d.execute_script("return document.readyState") == "complete",
             f"'{label}' did not lead to the report's page")
    shown = driver.find_element(By.ID, "state").text
    if shown != state:
        alerts = [element.text for element in driver.find_elements(By.CSS_SELECTOR, "[role=alert]")]
        failures.append(f"'{label}' did not move the report to '{state}': the page shows {shown} {alerts}")
        raise SystemExit


try:
    login("ketoan.mai")
    driver.get(f"{BASE}/finance?month={MONTH}")
    check("month report (draft)")
    if driver.find_element(By.ID, "state").text != "Dự thảo":
        failures.append("the month-end report is not there as a draft")
    if PORTAL_TOTAL not in driver.find_element(By.ID, "total-portal").text:
        failures.append(f"the portal total is not {PORTAL_TOTAL}: {driver.find_element(By.ID, 'total-portal').text}")
    if not driver.find_elements(By.CSS_SELECTOR, "svg[role=img] rect.bar"):
        failures.append("the twelve-month chart is missing")
    chart_text = " ".join(t.text for t in driver.find_elements(By.CSS_SELECTOR, "svg[role=img] text"))
    if " tr" not in chart_text and " N" not in chart_text:
        failures.append(f"the chart shows no values: {chart_text[:200]}")
    if "Lập Phạm Thị Mai" not in driver.page_source and "tự động cuối tháng" not in driver.page_source:
        failures.append("the report's author is not named")
    # The download, with the session the browser holds.
    link = driver.find_element(By.PARTIAL_LINK_TEXT, "Excel").get_attribute("href")
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(link, headers={"Cookie": cookie})) as response:
        body = response.read()
        if not body.startswith(b"PK") or "spreadsheetml" not in response.headers.get("Content-Type", ""):
            failures.append("the Excel link did not give an XLSX workbook")
    act("Trình Ban Biên tập", "Đã trình Ban Biên tập")
    check("month report (submitted)")
    logout()

    login("truongban")
    driver.get(f"{BASE}/finance?month={MONTH}")
    act("Phê duyệt", "Đã phê duyệt")
    logout()

    login("ketoan.mai")
    driver.get(f"{BASE}/finance?month={MONTH}")
    driver.find_element(By.ID, "paymentReference").send_keys("UNC-0825")
    driver.execute_script("document.getElementById('paymentDate').value = arguments[0]", "2026-11-25")
    act("Ghi nhận đã chi trả", "Đã chi trả")
    if "UNC-0825" not in driver.page_source:
        failures.append("the payment reference is not shown")
    check("month report (paid)")
    driver.find_element(By.LINK_TEXT, "Hoạt động của các đơn vị").click()
    wait_for(lambda d: "/finance/activity" in d.current_url, "the activity page did not open")
    check("units' activity")
    # The activity workbook, with the session (no API token).
    link = driver.find_element(By.PARTIAL_LINK_TEXT, "Báo cáo hoạt động").get_attribute("href")
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(link, headers={"Cookie": cookie})) as response:
        if not response.read().startswith(b"PK"):
            failures.append("the activity Excel link did not give an XLSX workbook with the session")
    driver.get(f"{BASE}/finance?month=2026-13")
    check("a month that does not exist")
    if "không hợp lệ" not in driver.page_source:
        failures.append("a malformed month is not explained")
except SystemExit:
    pass
except Exception as error:
    failures.append(f"{type(error).__name__}: {error} (at {driver.current_url})")
finally:
    driver.quit()

finish("finance check", failures, checked)
