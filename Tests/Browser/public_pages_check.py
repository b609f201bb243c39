"""The public pages of the portal and a component site in headless Chromium, checked by axe-core.

The browser resolves longan.gov.vn and its sites to the publishing service on this machine, so the
pages are loaded by their own names, as visitors load them. Fails on any serious or critical
accessibility violation, on console errors, on a page without a language or without the six
mandatory Dublin Core elements (R-2.1). Environment: PORT (publishing), ARTICLE (a published
article's path), UNIT_DOMAIN (the unit's site that also shows it); optionally CATEGORY (a category
page's path), SEARCH (words without diacritics that find ARTICLE), UNIT_ARTICLE (the article on
the unit's site, ARTICLE unless set; empty for none), LEGAL_ARTICLE and LEGAL_NUMBER (a published legal document and its number, R-3.5).
"""
import os

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_audit import audit_widths, chromium, finish

PORT = os.environ["PORT"]
ARTICLE = os.environ["ARTICLE"]
UNIT_DOMAIN = os.environ["UNIT_DOMAIN"]
CATEGORY = os.environ.get("CATEGORY")
SEARCH = os.environ.get("SEARCH", "pho bien phap luat")
UNIT_ARTICLE = os.environ.get("UNIT_ARTICLE", ARTICLE)
LEGAL_ARTICLE = os.environ.get("LEGAL_ARTICLE")
LEGAL_NUMBER = os.environ.get("LEGAL_NUMBER")

driver = chromium()
failures = []
checked = []

DUBLIN_CORE = ["title", "creator", "date", "description", "publisher", "identifier"]


def check(url, name):
    driver.get(url)
    audit_widths(driver, name, failures)
    for element in DUBLIN_CORE:
        metas = driver.find_elements(By.CSS_SELECTOR, f'meta[name="DC.{element}"]')
        if not metas or not metas[0].get_attribute("content"):
            failures.append(f"{name}: DC.{element} missing or empty")
    checked.append(name)


try:
    portal = f"http://longan.gov.vn:{PORT}"
    unit = f"http://{UNIT_DOMAIN}:{PORT}"
    check(portal + "/", "portal home")
    check(portal + ARTICLE, "article")
    images = driver.find_elements(By.CSS_SELECTOR, "article img")
    if any(not image.get_attribute("alt") for image in images):
        failures.append("article: an image without alt text")
    if any(image.get_attribute("naturalWidth") == "0" for image in images):
        failures.append("article: an image did not load")
    driver.find_element(By.LINK_TEXT, "In bài viết").click()
    try:
        WebDriverWait(driver, 10).until(lambda d: ".in.html" in d.current_url)
    except Exception:
        failures.append(f"the print link did not open the print version: {driver.current_url}")
    check(portal + ARTICLE.replace(".html", ".in.html"), "print version")
    check(portal + "/so-do-trang.html", "sitemap page")
    # The archive by month: the months, then the newest month's items.
    check(portal + "/luu-tru/", "archive by month")
    months = driver.find_elements(By.CSS_SELECTOR, "main a[href^='/luu-tru/2']")
    if not months:
        failures.append("the archive lists no month")
    else:
        check(months[0].get_attribute("href"), "archive month")
        if not driver.find_elements(By.CSS_SELECTOR, "ul.news a[href^='/bai-viet/']"):
            failures.append("the archive's month lists no item")
    # Development's address of the portal, /sites/<domain>/: every menu link leads to a page of the site.
    base = f"http://127.0.0.1:{PORT}/sites/longan.gov.vn/"
    driver.get(base)
    menu = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "nav.main a")]
    if len(menu) < 6:
        failures.append(f"path mode: the menu has {len(menu)} links")
    for href in menu:
        if not href.startswith(f"http://127.0.0.1:{PORT}/sites/longan.gov.vn/"):
            failures.append(f"path mode: a menu link leaves the site's address: {href}")
            continue
        driver.get(href)
        if driver.find_elements(By.CSS_SELECTOR, "html[lang]") == [] or "Không tìm thấy" in driver.title or driver.page_source.startswith("{"):
            failures.append(f"path mode: {href} is not a page of the site ({driver.title!r})")
    checked.append("path-mode menu")
    # The footer names the site's own unit, not the province's office on every site.
    driver.get(unit + "/")
    footer = driver.find_element(By.CSS_SELECTOR, "footer.site").text
    if "Giám đốc Sở Tư pháp" not in footer or "Cơ quan chủ quản: Sở Tư pháp" not in footer:
        failures.append(f"the unit site's footer does not name its own unit: {footer[:300]}")
    check(portal + "/tim-kiem", "search form")
    driver.find_element(By.ID, "q").send_keys(SEARCH)
    driver.find_element(By.CSS_SELECTOR, "form[role=search] button").click()
    try:
        # The form's GET returns before the results page has loaded: wait as a visitor does.
        WebDriverWait(driver, 10).until(lambda d: "q=" in d.current_url and ARTICLE in d.page_source)
    except Exception:
        failures.append("searching without diacritics did not find the article")
    check(driver.current_url, "search results")
    check(portal + "/chinh-sach-bao-ve-du-lieu-ca-nhan.html", "privacy notice")
    check(portal + "/chuyen-muc/", "categories")
    if CATEGORY:
        check(portal + CATEGORY, "category page")
        if ARTICLE not in driver.page_source:
            failures.append("the category page does not list the article")
    check(portal + "/van-ban/", "legal documents")
    if LEGAL_ARTICLE:
        check(portal + LEGAL_ARTICLE, "legal document page")
        check(portal + "/van-ban/", "legal documents list")
        driver.find_element(By.ID, "so").send_keys(LEGAL_NUMBER)
        driver.find_element(By.ID, "tu-ngay").send_keys("01112026")  # typed into the date field as a visitor types
        driver.find_element(By.CSS_SELECTOR, "form[role=search] button").click()
        try:
            WebDriverWait(driver, 10).until(lambda d: "tra-cuu" in d.current_url and LEGAL_ARTICLE in d.page_source)
        except Exception:
            failures.append(f"the legal-document search did not find {LEGAL_NUMBER} ({driver.current_url})")
        check(driver.current_url, "legal-document search results")
    check(portal + "/lien-ket.html", "links to other agencies")
    check(portal + "/en/", "English page")
    check(unit + "/", "unit site home")
    if UNIT_ARTICLE:
        check(unit + UNIT_ARTICLE, "article on the unit site")
    check(unit + "/en/", "unit site in English")
except Exception as error:
    failures.append(f"{type(error).__name__}: {error} (at {driver.current_url})")
finally:
    driver.quit()

finish("public pages check", failures, checked)
