#!/usr/bin/env python3
"""A citizen asks the province a question in Chromium, and the Center and a unit answer it.

PHASE=ask, against the feedback service at BASE (opened as http://longan.gov.vn:<port>, the
portal's name mapped to this machine): the form is audited at 1366 and 390 px; consent is its own
step and not ticked; a form sent without consent and with a wrong email comes back with what was
typed and both fields marked; the right form gives a tracking code; the lookup by that code shows
the question received and none of the personal data. Prints "CODE <code>".

PHASE=staff, with CODE and TITLE: the Center's officer (hoidap.hcc) finds the question in the
inbox with a suggested field and the reason, and routes it; Sở Tư pháp's officer
(phananh.tuphap) answers from the field's template; the Center's officer approves without the
confirmation (refused), then with it, publishing the answer. Every staff page is audited.

PHASE=pages, with DRAFT (an open draft's id) or DIALOGUE (a live dialogue's id): the drafts'
pages, a comment on one article sent from the browser, the lead unit's pages of the draft; the
dialogue's page and the staff's dialogues page. Every page is audited.

PHASE=published, with PORTAL (publishing, opened as http://longan.gov.vn:<port>), ID and the
person's NAME, EMAIL, PHONE: the answer's page and the Q&A list show the answer with the notice
of Art. 13.4 and none of the personal data; the citizen's lookup shows it published.
"""
import os
import sys
from urllib.parse import urlparse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_audit import audit_widths, chromium, finish

BASE = os.environ["BASE"].rstrip("/")
PHASE = os.environ.get("PHASE", "ask")
PASSWORD = os.environ.get("PASSWORD", "longan-demo-2026")
TITLE = os.environ.get("TITLE", "Hỏi về đăng ký khai sinh cho con")
NAME = os.environ.get("NAME", "Trần Thị Bé Ba")
EMAIL = os.environ.get("EMAIL", "beba.tran@example.vn")
PHONE = os.environ.get("PHONE", "0912345678")
failures, checked = [], []


def expect(condition, message):
    if not condition:
        failures.append(message)


def public(base):
    """The service's address under the portal's name, so that the page is the portal's."""
    return f"http://longan.gov.vn:{urlparse(base).port}"


def fill(driver, field, text):
    element = driver.find_element(By.ID, field)
    element.clear()
    element.send_keys(text)


def ask(driver):
    site = public(BASE)
    driver.get(site + "/hoi-dap/gui-cau-hoi")
    audit_widths(driver, "question form", failures, language="vi")
    checked.append("/hoi-dap/gui-cau-hoi")
    consent = driver.find_element(By.ID, "consent")
    expect(not consent.is_selected(), "R-5.1: consent is not ticked beforehand")
    expect("Thông báo về bảo vệ dữ liệu cá nhân" in driver.page_source, "R-5.1: the privacy notice is shown before sending")
    fill(driver, "title", TITLE)
    fill(driver, "body", "Toi muon dang ky khai sinh cho con sinh o tinh khac thi nop ho so o dau? Can giay to gi?")
    fill(driver, "name", NAME)
    fill(driver, "email", "beba.tran@")
    fill(driver, "phone", PHONE)
    fill(driver, "address", "Ấp 3, xã Mỹ Yên, huyện Bến Lức")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: "chưa gửi được" in d.page_source)
    expect(driver.find_element(By.ID, "title").get_attribute("value") == TITLE, "a refused form keeps the title")
    expect(driver.find_element(By.ID, "email").get_attribute("aria-invalid") == "true", "the wrong email is marked")
    expect(driver.find_element(By.ID, "consent").get_attribute("aria-invalid") == "true", "the missing consent is marked")
    expect("đồng ý" in driver.find_element(By.ID, "consent-error").text, "the consent's message says why")
    audit_widths(driver, "question form refused", failures, language="vi")
    checked.append("/hoi-dap/gui-cau-hoi (refused)")
    fill(driver, "email", EMAIL)
    driver.find_element(By.ID, "consent").click()
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "tracking-code"))
    code = driver.find_element(By.ID, "tracking-code").text.replace("-", "")
    expect(len(code) == 20, f"a tracking code of 20 characters ({code!r})")
    audit_widths(driver, "question sent", failures, language="vi")
    checked.append("question sent")
    driver.find_element(By.CSS_SELECTOR, "form[action='/hoi-dap/tra-cuu'] button").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "status"))
    expect(driver.find_element(By.ID, "status").text == "Đã tiếp nhận", "the lookup shows the question received")
    for secret in (NAME, EMAIL, PHONE):
        expect(secret not in driver.page_source, f"R-5.4: the lookup never shows {secret}")
    audit_widths(driver, "question lookup", failures, language="vi")
    checked.append("/hoi-dap/tra-cuu")
    return code


def sign_in(driver, login):
    driver.delete_all_cookies()
    driver.get(BASE + "/feedback")
    expect(driver.current_url.endswith("/feedback/login"), f"signed out, /feedback leads to the sign-in form ({driver.current_url})")
    fill(driver, "login", login)
    fill(driver, "password", PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/feedback/login'] button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/feedback"))


def open_question(driver, title):
    links = [a for a in driver.find_elements(By.CSS_SELECTOR, "table.list a") if a.text == title]
    expect(links, f"the list shows “{title}”")
    if links:
        links[0].click()
        WebDriverWait(driver, 10).until(lambda d: "/feedback/questions/" in d.current_url)


def staff(driver):
    sign_in(driver, "hoidap.hcc")
    audit_widths(driver, "center inbox", failures, language="vi")
    checked.append("/feedback (Center)")
    open_question(driver, TITLE)
    suggestion = driver.find_element(By.ID, "suggestion").text
    expect("Tư pháp, hộ tịch" in suggestion and "khai sinh" in suggestion,
           f"the Center is offered the field from keywords written without diacritics, with the reason ({suggestion!r})")
    audit_widths(driver, "question to classify", failures, language="vi")
    checked.append("question (classify)")
    driver.find_element(By.CSS_SELECTOR, "form[action$='/classify'] button").click()
    WebDriverWait(driver, 10).until(lambda d: "Đã chuyển câu hỏi" in d.page_source)
    expect("Sở Tư pháp" in driver.find_element(By.ID, "unit").text, "routed to Sở Tư pháp")
    expect("12/03/2026" in driver.find_element(By.ID, "due").text,
           "R-6.1, R-6.3: received 12/02/2026, due 15 working days later across Tết: 12/03/2026")

    sign_in(driver, "phananh.tuphap")
    audit_widths(driver, "unit's questions", failures, language="vi")
    checked.append("/feedback (unit)")
    open_question(driver, TITLE)
    answer = driver.find_element(By.ID, "answer")
    expect("Sở Tư pháp trả lời" in answer.get_attribute("value"), "the answer starts from the field's template")
    expect("Trần Thị Bé Ba" not in driver.page_source, "R-5.4: the contact is not shown until asked for")
    audit_widths(driver, "question to answer", failures, language="vi")
    checked.append("question (answer)")
    answer.clear()
    answer.send_keys("Sở Tư pháp trả lời như sau: ông/bà nộp hồ sơ đăng ký khai sinh tại UBND cấp xã nơi cư trú của cha hoặc mẹ, "
                     "kèm giấy chứng sinh và giấy tờ tùy thân.")
    driver.find_element(By.CSS_SELECTOR, "form[action$='/answer'] button").click()
    WebDriverWait(driver, 10).until(lambda d: "Đã gửi trả lời để Trung tâm duyệt" in d.page_source)

    sign_in(driver, "hoidap.hcc")
    open_question(driver, TITLE)
    expect("giấy chứng sinh" in driver.find_element(By.ID, "drafted-answer").text, "the Center reviews the unit's answer")
    audit_widths(driver, "answer to review", failures, language="vi")
    checked.append("question (review)")
    confirm = driver.find_element(By.ID, "confirm")
    expect(confirm.get_attribute("required") is not None, "the browser asks for the confirmation before sending")
    # The Center takes the personal details out of the public version, then sends without the
    # confirmation (the browser's own check set aside, as an old browser would): the server refuses,
    # and what the Center typed is still there, not the citizen's original words.
    public_question = driver.find_element(By.ID, "public-question")
    public_question.clear()
    public_question.send_keys("Hỏi về thủ tục đăng ký khai sinh cho con.")
    public_title = driver.find_element(By.ID, "public-title")
    public_title.clear()
    public_title.send_keys(TITLE + " (đã biên tập)")
    driver.find_element(By.ID, "publish-no").click()
    driver.execute_script("document.getElementById('confirm').removeAttribute('required')")
    driver.find_element(By.CSS_SELECTOR, "form[action$='/approve'] button").click()
    WebDriverWait(driver, 10).until(lambda d: "xác nhận" in d.page_source and d.find_elements(By.CSS_SELECTOR, ".alert"))
    expect(driver.find_elements(By.ID, "drafted-answer"), "without the confirmation nothing is sent")
    expect(driver.find_element(By.ID, "public-question").get_attribute("value") == "Hỏi về thủ tục đăng ký khai sinh cho con.",
           "the refused form keeps the public question as the Center typed it")
    expect(driver.find_element(By.ID, "public-title").get_attribute("value") == TITLE + " (đã biên tập)",
           "the refused form keeps the public title as the Center typed it")
    expect(NAME not in driver.find_element(By.ID, "public-question").get_attribute("value"),
           "R-5.4: the citizen's name does not come back into the public version")
    expect(driver.find_element(By.ID, "publish-no").is_selected(), "the refused form keeps the choice of how to answer")
    driver.find_element(By.ID, "publish-yes").click()
    driver.find_element(By.ID, "confirm").click()
    driver.find_element(By.CSS_SELECTOR, "form[action$='/approve'] button").click()
    WebDriverWait(driver, 10).until(lambda d: "Đã gửi trả lời cho người hỏi" in d.page_source)
    expect(driver.find_element(By.ID, "state").text == "Đã công khai", "the answer is published")
    history = driver.find_element(By.ID, "history").text
    for step in ("Tiếp nhận câu hỏi", "Chuyển đến Sở Tư pháp", "Đơn vị gửi trả lời chờ duyệt", "Duyệt, trả lời và công khai"):
        expect(step in history, f"the history shows “{step}”")
    expect("?done=approve" in driver.current_url, "after a step the page is fetched again (post, then redirect)")
    driver.get(driver.current_url.split("?")[0] + "?lien-he=1")
    expect(NAME in driver.find_element(By.ID, "person").text, "the Center, handling the case, sees the contact when it asks")
    checked.append("question (contact, logged)")


def published(driver):
    site = public(os.environ["PORTAL"])
    driver.get(f"{site}/hoi-dap/{os.environ['ID']}.html")
    page = driver.page_source
    expect("giấy chứng sinh" in page, "the answer is on the portal")
    expect("không phải là cơ sở pháp lý trực tiếp" in page, "Art. 13.4: the notice that an answer is no legal basis")
    for secret in (NAME, EMAIL, PHONE, "Mỹ Yên"):
        expect(secret not in page, f"R-5.4: the published answer never shows {secret}")
    audit_widths(driver, "published answer", failures, language="vi")
    checked.append("/hoi-dap/<id>.html")
    driver.get(site + "/hoi-dap/")
    expect(TITLE in driver.page_source and "Tư pháp, hộ tịch" in driver.page_source, "the Q&A list shows the answer under its field")
    audit_widths(driver, "questions and answers", failures, language="vi")
    checked.append("/hoi-dap/")
    driver.get(public(BASE) + "/hoi-dap/tra-cuu?ma=" + os.environ["CODE"])
    expect(driver.find_element(By.ID, "status").text == "Đã công khai", "the citizen's lookup shows it published")
    expect("giấy chứng sinh" in driver.find_element(By.ID, "answer").text, "the citizen's lookup shows the answer")
    audit_widths(driver, "lookup answered", failures, language="vi")
    checked.append("/hoi-dap/tra-cuu (answered)")


def pages(driver):
    site = public(BASE)
    draft, dialogue = os.environ.get("DRAFT"), os.environ.get("DIALOGUE")
    if draft:
        driver.get(site + "/hoi-dap/y-kien/")
        expect(f"/hoi-dap/y-kien/{draft}" in driver.page_source, "the open draft is listed")
        audit_widths(driver, "drafts for comment", failures, language="vi")
        checked.append("/hoi-dap/y-kien/")
        driver.get(f"{site}/hoi-dap/y-kien/{draft}")
        audit_widths(driver, "draft for comment", failures, language="vi")
        checked.append("/hoi-dap/y-kien/<id>")
        from selenium.webdriver.support.ui import Select
        Select(driver.find_element(By.ID, "article")).select_by_value("1")
        fill(driver, "body", "Đề nghị bổ sung đối tượng áp dụng là hộ kinh doanh.")
        driver.find_element(By.CSS_SELECTOR, f"form[action='/hoi-dap/y-kien/{draft}'] button").click()
        WebDriverWait(driver, 10).until(lambda d: "Cảm ơn" in d.page_source)
        audit_widths(driver, "comment sent", failures, language="vi", shoot=False)
        sign_in(driver, "phananh.tuphap")
        driver.get(BASE + "/feedback/consultations")
        audit_widths(driver, "lead unit's drafts", failures, language="vi")
        checked.append("/feedback/consultations")
        driver.get(f"{BASE}/feedback/consultations/{draft}")
        expect("hộ kinh doanh" in driver.page_source and "Điều 1" in driver.page_source, "the lead unit reads the comment and its article")
        audit_widths(driver, "lead unit's draft", failures, language="vi")
        checked.append("/feedback/consultations/<id>")
        driver.get(BASE + "/feedback/overdue")
        audit_widths(driver, "unit's overdue questions", failures, language="vi")
        checked.append("/feedback/overdue")
    if dialogue:
        driver.get(site + "/hoi-dap/doi-thoai/")
        audit_widths(driver, "dialogues", failures, language="vi")
        checked.append("/hoi-dap/doi-thoai/")
        driver.get(f"{site}/hoi-dap/doi-thoai/{dialogue}")
        expect(driver.find_elements(By.CSS_SELECTOR, "a[href$='?tu-dong=1']"), "the reader may turn on the page's refresh")
        expect(not driver.find_elements(By.CSS_SELECTOR, "[role=status]"), "no status message the reader did not cause")
        audit_widths(driver, "dialogue", failures, language="vi")
        checked.append("/hoi-dap/doi-thoai/<id>")
        driver.get(f"{site}/hoi-dap/doi-thoai/{dialogue}?tu-dong=1")
        expect("Tắt tự động cập nhật" in driver.page_source, "the refreshing page says how to stop it")
        audit_widths(driver, "dialogue refreshing", failures, language="vi", shoot=False)
        checked.append("/hoi-dap/doi-thoai/<id>?tu-dong=1")
        driver.get(f"{site}/hoi-dap/gui-cau-hoi?doi-thoai={dialogue}")
        expect("Gửi câu hỏi cho buổi đối thoại" in driver.page_source, "the form names the dialogue it asks for")
        checked.append("/hoi-dap/gui-cau-hoi?doi-thoai=<id>")
        sign_in(driver, "hoidap.hcc")
        driver.get(BASE + "/feedback/dialogues")
        audit_widths(driver, "staff dialogues", failures, language="vi")
        checked.append("/feedback/dialogues")


driver = chromium()
try:
    if PHASE == "ask":
        code = ask(driver)
        if not failures:
            print("CODE", code)
    elif PHASE == "staff":
        staff(driver)
    elif PHASE == "pages":
        pages(driver)
    else:
        published(driver)
finally:
    driver.quit()
finish(f"feedback {PHASE} check", failures, checked)
