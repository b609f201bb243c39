#!/usr/bin/env python3
"""A department submits on the web and follows its item to publication, in Chromium.

PHASE=submit, against intake at BASE: signed out, /submit leads to the sign-in form; the
collaborator of Sở Tư pháp (ctv.tuphap) signs in, writes with the formatting buttons, previews
without losing the chosen file, sends without a title: the form comes back with everything typed,
the file kept and the title marked; sends again with a title and lands on the submission's page.
Every page is audited at 1366 and 390 px. Prints "SUBMITTED <id>".

PHASE=follow, with ID: the submission's page and the unit's list show it published, with the
link to the published page. Prints "follow check passed".
"""
import os
import re
import struct
import sys
import tempfile
import urllib.error
import urllib.request
import zlib

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from browser_audit import audit_widths, chromium, finish

BASE = os.environ["BASE"].rstrip("/")
PHASE = os.environ.get("PHASE", "submit")
PASSWORD = os.environ.get("PASSWORD", "longan-demo-2026")
TITLE = os.environ.get("TITLE", "Sở Tư pháp tập huấn nghiệp vụ hộ tịch")
failures, checked = [], []


def expect(condition, message):
    if not condition:
        failures.append(message)


def png(width=64, height=48):
    """A small real PNG (a red-to-blue gradient), as a camera would not make it but a browser shows it."""
    rows = b"".join(b"\x00" + b"".join(bytes((x * 4 % 256, 40, 255 - x * 4 % 256)) for x in range(width)) for _ in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def sign_in(driver):
    driver.get(BASE + "/submit")
    expect(driver.current_url.endswith("/submit/login"), f"signed out, /submit leads to the sign-in form (at {driver.current_url})")
    driver.find_element(By.ID, "login").send_keys("ctv.tuphap")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/submit/login'] button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/submit"))


class _Unfollowed(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def send_as_is(driver):
    """Posts the submit form with its current fields (the files it keeps included) under the
    browser's session, without following the answer; returns where the answer points."""
    fields = driver.execute_script("""
        const out = [];
        for (const e of document.querySelector("form[action='/submit']").elements) {
            if (!e.name || e.type === 'file' || e.type === 'submit') continue;
            if ((e.type === 'checkbox' || e.type === 'radio') && !e.checked) continue;
            out.push([e.name, e.value]);
        }
        return out;""")
    fields.append(["action", "send"])
    boundary = "portal-twice-%d" % os.getpid()
    body = b"".join(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n' % (boundary, name)).encode() + value.encode() + b"\r\n"
                    for name, value in fields) + ("--%s--\r\n" % boundary).encode()
    cookie = "; ".join("%s=%s" % (c["name"], c["value"]) for c in driver.get_cookies())
    request = urllib.request.Request(BASE + "/submit", data=body, method="POST", headers={
        "Content-Type": "multipart/form-data; boundary=" + boundary, "Cookie": cookie})
    try:
        urllib.request.build_opener(_Unfollowed).open(request, timeout=10)
    except urllib.error.HTTPError as answer:
        return answer.headers.get("Location") if answer.code == 303 else "status %d" % answer.code
    return None


def submit(driver):
    sign_in(driver)
    audit_widths(driver, "submit form", failures, language="vi", shoot=True)
    checked.append("/submit")
    body = driver.find_element(By.ID, "body")
    body.send_keys("Sáng 01/12, Sở Tư pháp tổ chức tập huấn cho ")
    # The formatting buttons write Markdown around the selection.
    bold = [b for b in driver.find_elements(By.CSS_SELECTOR, "#toolbar button") if b.text == "Đậm"]
    expect(bold, "the toolbar has a bold button")
    if bold:
        bold[0].click()
        body.send_keys("công chức tư pháp - hộ tịch")
    folder = tempfile.mkdtemp()
    image = os.path.join(folder, "tap-huan.png")
    with open(image, "wb") as file:
        file.write(png())
    driver.find_element(By.ID, "file1").send_keys(image)
    driver.find_element(By.ID, "altText1").send_keys("Quang cảnh lớp tập huấn")
    # Preview without posting: the chosen file stays chosen.
    driver.find_element(By.ID, "preview-button").click()
    WebDriverWait(driver, 10).until(expected_conditions.visibility_of_element_located((By.ID, "live-preview")))
    preview = driver.find_element(By.ID, "live-preview").get_attribute("innerHTML")
    expect("<strong>công chức tư pháp - hộ tịch</strong>" in preview, f"the preview shows the bold text: {preview[:200]}")
    expect(driver.find_element(By.ID, "file1").get_attribute("value").endswith("tap-huan.png"), "the file is still chosen after the preview")

    # Sent without a title: refused, everything kept, the title marked with its message.
    driver.find_element(By.CSS_SELECTOR, "button[value=send]").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "title-error"))
    expect(driver.find_element(By.ID, "title").get_attribute("aria-invalid") == "true", "the title is marked")
    expect("Nhập tiêu đề" in driver.find_element(By.ID, "title-error").text, "the title's message is next to it")
    expect("**công chức tư pháp - hộ tịch**" in driver.find_element(By.ID, "body").get_attribute("value"), "the body is as typed")
    expect(driver.find_element(By.ID, "altText1").get_attribute("value") == "Quang cảnh lớp tập huấn", "the alt text is as typed")
    expect("tap-huan.png" in driver.page_source and "đã nhận" in driver.page_source, "the file is kept, not asked for again")
    audit_widths(driver, "submit form refused", failures, language="vi")
    checked.append("/submit (refused)")

    driver.find_element(By.ID, "title").send_keys(TITLE)
    # A double click, or a resend after a lost answer: the form as it stands, sent twice by hand,
    # then once more by the browser's button, makes one submission, and every answer names it.
    first, second = send_as_is(driver), send_as_is(driver)
    expect(first is not None and first == second, f"the same form sent twice is one submission: {first} and {second}")
    driver.find_element(By.CSS_SELECTOR, "button[value=send]").click()
    WebDriverWait(driver, 10).until(lambda d: "/submissions/" in d.current_url)
    found = re.search(r"/submissions/([0-9a-f-]{36})", driver.current_url)
    expect(found, f"the submission's page: {driver.current_url}")
    expect(found and first and first.endswith(found.group(1) + "?sent=1"), f"the button's send names the same submission: {driver.current_url}")
    expect("Đã tiếp nhận" in driver.page_source, "the status is shown in Vietnamese")
    expect(TITLE in driver.page_source, "the title is on the page")
    audit_widths(driver, "submission page", failures, language="vi")
    checked.append("/submissions/<id>")
    driver.get(BASE + "/submissions")
    expect(TITLE in driver.page_source, "the unit's list has it")
    audit_widths(driver, "submissions list", failures, language="vi", shoot=True)
    checked.append("/submissions")
    return found.group(1) if found else None


def follow(driver, item):
    sign_in(driver)
    driver.get(BASE + "/submissions/" + item)
    expect("Đã đăng" in driver.page_source, "the submission's page says published")
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "dd a")]
    expect(any(f"/bai-viet/{item}" in (link or "") or "/bai-viet/" in (link or "") for link in links), f"the link to the published page: {links}")
    audit_widths(driver, "published submission", failures, language="vi")
    checked.append("/submissions/<id> (published)")
    console = os.environ.get("CONSOLE")
    if console:
        # One sign-in for every staff page, the roles checked on each: the collaborator's session
        # opens the editors' console only to be told it is not theirs.
        driver.get(console + "/console")
        expect("không thuộc quyền" in driver.page_source and "Gửi tin" in driver.page_source,
               "a collaborator is refused the console, with the areas they may open")
        audit_widths(driver, "console refused to a collaborator", failures, language="vi")
        checked.append("/console (refused)")
        # A finance user signing in to the console is refused with the reason.
        driver.delete_all_cookies()
        driver.get(console + "/console/login")
        driver.find_element(By.ID, "login").send_keys("ketoan.mai")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(driver, 10).until(lambda d: "dành cho biên tập viên" in d.page_source)
        expect("/console/login" in driver.current_url, "the finance user stays at the sign-in form")
        checked.append("/console/login (finance user refused)")


driver = chromium()
try:
    if PHASE == "submit":
        item = submit(driver)
        if item and not failures:
            print("SUBMITTED", item)
    else:
        follow(driver, os.environ["ID"])
finally:
    driver.quit()
finish("follow check" if PHASE == "follow" else "submit check", failures, checked)
