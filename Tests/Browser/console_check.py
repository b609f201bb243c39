"""The editorial console in headless Chromium, driven by Selenium, checked by axe-core.

Walks the flow an editor and an approver follow and, on every page, fails on any serious or
critical accessibility violation, on errors in the browser console, and on a page without a
language. Run by Tests/IntegrationTests/ConsoleBrowserTests.swift against the running service.
Environment: BASE (approval's URL), PASSWORD (the demo users' password), MAIL_ITEM (an item that
arrived by mail, in state received, with title MAIL_TITLE), OTHER_ITEM (an item pending approval
that no Deputy may approve without a delegation), PUBLISHING_PORT (the publishing service: the
approved item must then be on the portal and on the unit's site within a second).
"""
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from browser_audit import audit_widths, chromium, screenshot

BASE = os.environ["BASE"]
PASSWORD = os.environ["PASSWORD"]
MAIL_ITEM = os.environ["MAIL_ITEM"]
MAIL_TITLE = os.environ["MAIL_TITLE"]
OTHER_ITEM = os.environ["OTHER_ITEM"]
PUBLISHING_PORT = os.environ.get("PUBLISHING_PORT")

driver = chromium()
driver.implicitly_wait(2)
failures = []
checked = []


def check(page):
    """axe-core on the page as it stands, the console log, the page's language."""
    audit_widths(driver, page, failures)
    checked.append(page)


def wait_for(condition, message, seconds=10):
    """Form posts return before the next page has loaded: wait for what the user waits for."""
    try:
        WebDriverWait(driver, seconds).until(lambda d: condition(d))
    except Exception:
        alerts = [a.text for a in driver.find_elements(By.CSS_SELECTOR, ".alert, .field-error")]
        screenshot(driver, "failed " + message)
        expect(False, f"{message} (at {driver.current_url}; the page says {alerts})")


def expect(condition, message):
    if not condition:
        failures.append(message)
        raise SystemExit(report())


def login(user):
    driver.delete_all_cookies()
    driver.get(BASE + "/console/login")
    check("login")
    driver.find_element(By.ID, "login").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(lambda d: "/console/login" not in d.current_url, f"{user} did not reach the queue after signing in")


def logout():
    driver.find_element(By.CSS_SELECTOR, "header form button[type=submit]").click()
    wait_for(lambda d: "/console/login" in d.current_url, "signing out did not return to the login page")


def report():
    if failures:
        print("console check FAILED")
        for failure in failures:
            print(" -", failure)
        return 1
    print(f"console check passed: {len(checked)} pages checked: {', '.join(checked)}")
    return 0


try:
    # An editor finds the mailed item, edits and classifies it, and sends it for approval.
    login("btv.lan")
    check("queue (editor)")
    expect("cũ nhất trước" in driver.find_element(By.TAG_NAME, "caption").text, "the caption says oldest first")
    driver.find_element(By.LINK_TEXT, "Xem mới nhất trước").click()
    wait_for(lambda d: "order=newest" in d.current_url, "the queue did not switch to newest first")
    expect("mới nhất trước" in driver.find_element(By.TAG_NAME, "caption").text, "the caption follows the order")
    expect(MAIL_TITLE in driver.page_source, "the mailed item is not in the editor's queue")
    # The tabs count what waits in each working state.
    received_tab = driver.find_element(By.CSS_SELECTOR, "nav.tabs a[aria-current=page]").text
    expect("(" in received_tab, f"the current tab shows its count: {received_tab!r}")
    # Search by title without diacritics, with a unit filter.
    search = driver.find_element(By.ID, "q")
    search.send_keys("to chuc hoi nghi tong ket cong tac")
    Select(driver.find_element(By.ID, "unit")).select_by_visible_text("Sở Tư pháp")
    driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait_for(lambda d: "q=to+chuc" in d.current_url or "q=to%20chuc" in d.current_url, "the search was not sent")
    expect(driver.find_elements(By.CSS_SELECTOR, f'a[href="/console/articles/{MAIL_ITEM}"]'), "the search without diacritics finds the mailed item")
    expect(not driver.find_elements(By.CSS_SELECTOR, f'a[href="/console/articles/{OTHER_ITEM}"]'), "the unit filter leaves out another unit's item")
    check("queue (search)")
    # Earlier runs may have left items with the same title: follow this item's own link.
    link = driver.find_element(By.CSS_SELECTOR, f'a[href="/console/articles/{MAIL_ITEM}"]')
    expect(link.text == MAIL_TITLE, f"the queue shows the item as {link.text!r}")
    link.click()
    check("item (received)")
    expect("Ảnh hội nghị.png" in driver.page_source, "the photo is not listed on the item page")
    driver.find_element(By.PARTIAL_LINK_TEXT, "Biên tập, phân loại").click()
    check("edit form")
    Select(driver.find_element(By.ID, "genre")).select_by_value("news")
    coefficient = driver.find_element(By.ID, "coefficient")
    coefficient.clear()
    coefficient.send_keys("99,5")
    authors = driver.find_element(By.ID, "authors")
    authors.clear()
    authors.send_keys("Nguyễn Văn An; 100")
    sites = driver.find_element(By.ID, "targetSites")
    sites.clear()
    sites.send_keys("longan.gov.vn")
    own_site = driver.find_element(By.ID, "alsoOnOwnSite")
    if not own_site.is_selected():
        own_site.click()
    driver.find_element(By.ID, "changeNote").send_keys("Phân loại tin")
    typed_title = driver.find_element(By.ID, "title").get_attribute("value")
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    # A coefficient over the genre's maximum: refused, everything typed still there, the field marked.
    wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "#coefficient[aria-invalid=true]"), "a coefficient over the maximum was not refused")
    expect(driver.find_element(By.ID, "coefficient").get_attribute("value") == "99,5", "the refused coefficient is shown as typed")
    expect(driver.find_element(By.ID, "changeNote").get_attribute("value") == "Phân loại tin", "the change note is kept")
    expect(driver.find_element(By.ID, "authors").get_attribute("value") == "Nguyễn Văn An; 100", "the authors are kept")
    expect(driver.find_element(By.ID, "title").get_attribute("value") == typed_title, "the title is kept")
    expect(driver.find_element(By.ID, "alsoOnOwnSite").is_selected(), "the box stays ticked")
    check("edit form (refused)")
    coefficient = driver.find_element(By.ID, "coefficient")
    coefficient.clear()
    coefficient.send_keys("8,5")
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(lambda d: "Đã thực hiện." in d.page_source, "saving the edit did not confirm")
    check("item (edited)")
    # An editor who takes the item for editing holds its lock, and can let it go.
    driver.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'Nhận biên tập')]").click()
    wait_for(lambda d: d.find_elements(By.XPATH, "//button[normalize-space()='Thôi giữ quyền biên tập']"), "taking the lock offered no release")
    expect("Nguyễn Thị Lan" in driver.find_element(By.TAG_NAME, "dl").text and "btv.lan" not in driver.find_element(By.TAG_NAME, "dl").text,
           "the lock holder is named, not shown by login")
    release = driver.find_elements(By.XPATH, "//button[normalize-space()='Thôi giữ quyền biên tập']")
    expect(release, "the editor who holds the lock is offered to release it")
    release[0].click()
    wait_for(lambda d: "Đã thôi giữ quyền biên tập" in d.page_source, "releasing the lock did not confirm")
    driver.find_element(By.PARTIAL_LINK_TEXT, "Xem thay đổi").click()
    check("diff")
    driver.back()
    driver.find_element(By.XPATH, "//button[normalize-space()='Trình duyệt']").click()
    wait_for(lambda d: "Chờ duyệt" in d.page_source, "the item is not pending approval after sending it")
    logout()

    # The Board member leading the department approves; the signature is shown.
    login("gd.tuphap")
    check("queue (approver)")
    driver.get(f"{BASE}/console/articles/{MAIL_ITEM}")
    expect("Thành viên Ban Biên tập phụ trách đơn vị" in driver.page_source, "the approver is not told why the item came to them")
    approve = driver.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'Duyệt đăng')]")
    approve.click()
    time.sleep(0.3)
    expect("Chờ duyệt" in driver.page_source and "Hợp lệ" not in driver.page_source, "approval happened without the confirmation box")
    approve.find_element(By.XPATH, "./ancestor::form//input[@name='confirm']").click()
    approve.click()
    wait_for(lambda d: "Đã duyệt" in d.page_source and "Hợp lệ: nội dung đúng như khi duyệt" in d.page_source,
             "approval did not show the approved state and a signature that verifies")
    check("item (approved)")
    if PUBLISHING_PORT:
        # On the portal and on the department's own site within a second of the approval.
        approved_at = time.monotonic()
        for domain in ("longan.gov.vn", "sotuphap.longan.gov.vn"):
            url = f"http://{domain}:{PUBLISHING_PORT}/bai-viet/{MAIL_ITEM}.html"
            while True:
                driver.get(url)
                if MAIL_TITLE in driver.title:
                    break
                expect(time.monotonic() - approved_at < 1.0, f"{url} did not show the item within a second of the approval")
                time.sleep(0.05)
        elapsed = time.monotonic() - approved_at
        print(f"approved item on both sites after {elapsed * 1000:.0f} ms")
        check("published article")
        expect(len(driver.find_elements(By.CSS_SELECTOR, 'meta[name="DC.identifier"]')) == 1, "the published page has no DC.identifier")
        driver.get(BASE + "/console")
    logout()

    # A Deputy Head without a delegation is offered no approval.
    login("photruongban.hcc")
    driver.get(f"{BASE}/console/articles/{OTHER_ITEM}")
    expect("Duyệt đăng" not in driver.page_source, "a Deputy Head without delegation is offered the approve button")
    expect("chưa được Trưởng Ban ủy quyền" in driver.page_source, "the Deputy Head is told why there is no approve button")
    # The body's picture, named by its file's name, is drawn from the file the console serves.
    pictures = driver.find_elements(By.CSS_SELECTOR, ".article-body img")
    expect(len(pictures) == 1 and "/attachments/" in pictures[0].get_attribute("src"), "the body's picture is not the item's file")
    expect(pictures and driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", pictures[0]),
           "the body's picture is not drawn")
    check("item (deputy without delegation)")
    logout()

    # The Head's pages, and English.
    login("truongban")
    driver.get(BASE + "/console/delegations")
    expect("Ủy quyền mới" in driver.page_source, "the Head is not offered the delegation form")
    check("delegations (head)")
    driver.get(BASE + "/console/quarantine")
    check("quarantine")
    driver.get(BASE + "/console?lang=en")
    expect(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", "?lang=en did not give an English page")
    expect("Editing and approval queue" in driver.page_source, "the English queue heading is missing")
    check("queue (English)")
except SystemExit:
    raise
except Exception as error:  # a missing element is a failure with its message, not a crash
    failures.append(f"{type(error).__name__}: {error} (at {driver.current_url}, after {checked[-1] if checked else 'nothing'})")
finally:
    driver.quit()

sys.exit(report())
