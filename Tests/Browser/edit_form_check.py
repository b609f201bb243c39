#!/usr/bin/env python3
"""An editor's refused save keeps every field, and a coefficient typed the Vietnamese way is read.

Against the running approval service (PORT), as editor btv.lan on item ID: signs in through the
form, opens the edit page, saves with a coefficient over the genre's maximum ("99,5"): the page
comes back (422) with the title, body, authors and change note as typed and the coefficient
field marked with its message; then saves "8,5", which is stored as 8.5 and shown as "8,5".
Prints "edit form check passed" when every check holds.
"""
import html
import http.client
import os
import re
import sys
import urllib.parse

PORT = int(os.environ["PORT"])
ITEM = os.environ["ID"]
PASSWORD = os.environ.get("PORTAL_DEMO_PASSWORD", "longan-demo-2026")
failures = []


def call(method, path, cookie=None, form=None):
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=15)
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    page = response.read().decode("utf-8", "replace")
    cookies = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
    connection.close()
    return response.status, dict((k.lower(), v) for k, v in response.getheaders()), page, cookies


def expect(condition, message):
    if not condition:
        failures.append(message)


status, _, page, cookies = call("GET", "/console/login")
csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
status, _, _, cookies = call("POST", "/console/login", cookie="; ".join(cookies), form={"login": "btv.lan", "password": PASSWORD, "_csrf": csrf})
session = "; ".join(c for c in cookies if c.startswith("portal_session="))
expect(status in (302, 303) and session, "signed in (%d)" % status)

status, _, page, _ = call("GET", "/console/articles/%s/edit" % ITEM, cookie=session)
expect(status == 200, "edit page: %d" % status)
csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
revision = re.search(r'name="revision" value="(\d+)"', page).group(1)
typed = {
    "_csrf": csrf, "revision": revision, "title": "Tiêu đề đã sửa <b>cẩn thận</b>", "summary": "Tóm tắt mới",
    "bodyFormat": "markdown", "body": "Đoạn một đã sửa.\n\nĐoạn hai **đậm**.", "kind": "news", "genre": "news",
    "coefficient": "99,5", "authors": "Nguyễn Văn An; 100", "targetSites": "longan.gov.vn", "categories": "Pháp luật",
    "changeNote": "Sửa tiêu đề và hệ số",
}
status, _, page, _ = call("POST", "/console/articles/%s/edit" % ITEM, cookie=session, form=typed)
expect(status == 422, "a coefficient over the maximum is refused (%d)" % status)
for field in ("title", "summary", "body", "authors", "changeNote"):
    expect(html.escape(typed[field], quote=False) in page or html.escape(typed[field]) in page,
           "the refused form keeps the %s as typed" % field)
expect('value="99,5"' in page, "the refused form keeps the coefficient as typed")
expect(re.search(r'id="coefficient"[^>]*aria-invalid="true"', page) is not None, "the coefficient field is marked")
expect('id="coefficient-error"' in page, "its message is beside it")

typed["coefficient"] = "8,5"
status, headers, page, _ = call("POST", "/console/articles/%s/edit" % ITEM, cookie=session, form=typed)
expect(status in (302, 303), "8,5 is saved (%d): %s" % (status, page[:300]))
status, _, page, _ = call("GET", "/console/articles/%s/edit" % ITEM, cookie=session)
expect('value="8,5"' in page, "the saved coefficient reads 8,5")

# A form opened before that save (another editor's, or a second click) is sent: refused as stale,
# the text typed in it kept, the form now naming the newer revision with a link to what it
# changed, so that the next save goes on top of it instead of failing again.
stale = dict(typed, body="Đoạn một sửa lần hai.\n\nĐoạn hai **đậm**.", changeNote="Sửa đoạn một")
status, _, page, _ = call("POST", "/console/articles/%s/edit" % ITEM, cookie=session, form=stale)
expect(status == 412, "a save of an older revision is refused (%d)" % status)
expect(html.escape(stale["body"], quote=False) in page, "the refused stale save keeps the body as typed")
newer = re.search(r'name="revision" value="(\d+)"', page)
expect(newer and int(newer.group(1)) == int(revision) + 1, "the form now names the newer revision: %s" % (newer and newer.group(1)))
expect('id="stale-diff"' in page and "diff?from=%s&amp;to=%d" % (revision, int(revision) + 1) in page, "a link shows what the newer revision changed")
if newer:
    stale["revision"] = newer.group(1)
status, _, page, _ = call("POST", "/console/articles/%s/edit" % ITEM, cookie=session, form=stale)
expect(status in (302, 303), "saved on top of the newer revision (%d): %s" % (status, page[:300]))
status, _, page, _ = call("GET", "/console/articles/%s/edit" % ITEM, cookie=session)
expect("Đoạn một sửa lần hai." in page, "what was typed in the stale form is now the item's text")

print("\n".join(failures) if failures else "edit form check passed")
sys.exit(1 if failures else 0)
