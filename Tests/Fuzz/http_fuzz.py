#!/usr/bin/env python3
"""Seeded fuzzing of every service's HTTP surface, against the running processes.

For each route of each service (path parameters, query parameters, JSON bodies, forms) it
sends hostile values: numbers at the edges (NaN, Infinity, 1e300, Int64 overflow), dates out of
range, wrong types, very long and malformed strings, broken JSON. The answer must never be a
5xx, and the service must still answer /healthz afterwards. The seed is printed, so a failure
can be run again exactly (FUZZ_SEED).

Environment: SERVICES ("name=port,..."), TOKENS ("login=token,..."), FUZZ_SEED,
FUZZ_SECONDS (budget per service), FUZZ_REQUESTS (upper bound per service).
"""
import http.client
import json
import os
import random
import re
import sys
import time
import urllib.parse

# A fixed seed by default, so that a run can be repeated and CI never fails by chance; another
# seed (FUZZ_SEED, or FUZZ_SEED=random) explores further.
SEED = int(time.time()) if os.environ.get("FUZZ_SEED") == "random" else int(os.environ.get("FUZZ_SEED") or 20261201)
SECONDS = float(os.environ.get("FUZZ_SECONDS", "8"))
MAX_REQUESTS = int(os.environ.get("FUZZ_REQUESTS", "1500"))
SERVICES = dict(item.split("=", 1) for item in os.environ["SERVICES"].split(",") if item)
TOKENS = dict(item.split("=", 1) for item in os.environ.get("TOKENS", "").split(",") if item)
# Ids of real items, so that the fuzzing reaches past "not found" into the handlers.
IDS = [item for item in os.environ.get("IDS", "").split(",") if item]

UUID = "00000000-0000-4000-8000-000000000000"
# Values that have trapped services before: numbers past what Int or Double convert, dates
# out of range, markup, traversal, control characters, and very long strings.
HOSTILE_TEXT = [
    "", " ", "0", "-1", "1", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1e300", "-1e300",
    "NaN", "nan", "Infinity", "-Infinity", "1.7976931348623157e309", "0x10", "8,5", "8.555", "1900-01", "0000-00",
    "9999-12", "10000-01", "2026-13", "2026-02-30", "2026-00-10", "1899-12-31", "9999-12-31", "abc", "..", "../../etc/passwd",
    "%00", "\u0000", "\ud7ff", "<script>alert(1)</script>", "' OR 1=1 --", "\"", "{}", "[]", "null", "true",
    "Bến Lức", "a" * 5000, "😀" * 200, UUID, "not-a-uuid", UUID.upper(), "longan.gov.vn", "xn--", "-.", "..longan.gov.vn",
]
HOSTILE_JSON = [None, True, False, 0, -1, 1.5, 9223372036854775807, 9223372036854775808, -9223372036854775809, 1e300,
                -1e300, "NaN", [], {}, [None], {"": None}, "x" * 5000, "2026-02-30"]
# Python's json writes these as the bare tokens NaN and Infinity, which some parsers accept.
NON_FINITE = [float("nan"), float("inf"), float("-inf")]


def pick_text(rng):
    return rng.choice(HOSTILE_TEXT)


# Each route: method, path with {param}, query parameter names, a JSON body or form that is
# valid in shape, who calls it (a login in TOKENS, or None), and how the body is sent.
ROUTES = {
    "intake": [
        ("POST", "/api/v1/submissions", [], {"title": "Tin", "body": "Nội dung", "bodyFormat": "text", "kind": "news",
                                             "language": "vi", "authors": [{"name": "An", "share": 100}],
                                             "targetSites": ["longan.gov.vn"]}, "ctv.tuphap", "json"),
        ("GET", "/api/v1/submissions/{id}", [], None, "ctv.tuphap", None),
        ("GET", "/api/v1/submissions", ["status", "from", "to"], None, "ctv.tuphap", None),
        ("GET", "/submit", ["from"], None, "ctv.tuphap", "cookie"),
        ("GET", "/submissions", ["trang-thai"], None, "ctv.tuphap", "cookie"),
        ("GET", "/submissions/{id}", ["sent"], None, "ctv.tuphap", "cookie"),
        ("POST", "/submit/preview", [], {"body": "**Tin**", "bodyFormat": "markdown"}, "ctv.tuphap", "form"),
        ("POST", "/submit", [], {"title": "T", "body": "B", "kind": "news", "bodyFormat": "markdown", "wishedDate": "2026-12-31",
                                 "onPortal": "1", "altText1": "a", "kept1": "x|y|1|z", "keptProof1": "p", "action": "send"},
         "ctv.tuphap", "multipart"),
        ("POST", "/submit/login", [], {"login": "ctv.tuphap", "password": "x"}, None, "form"),
    ],
    "approval": [
        ("GET", "/api/v1/queue", ["state", "unit", "assignedToMe", "order", "limit", "offset"], None, "btv.lan", None),
        ("GET", "/api/v1/articles/{id}", [], None, "btv.lan", None),
        ("GET", "/api/v1/articles/{id}/diff", ["from", "to"], None, "btv.lan", None),
        ("PUT", "/api/v1/articles/{id}", [], {"title": "T", "summary": "S", "body": "B", "bodyFormat": "text",
                                              "classification": {"genre": "news", "coefficient": 8.5, "surcharges": [],
                                                                 "authors": [{"name": "An", "share": 100}], "fields": [],
                                                                 "categories": ["Pháp luật"], "targetSites": ["longan.gov.vn"],
                                                                 "alsoOnOwnSite": False, "publishAt": "2026-12-01T08:00:00+07:00"},
                                              "changeNote": "n"}, "btv.lan", "json"),
        ("POST", "/api/v1/articles/{id}/{action}", [], {"revision": 1, "reason": "outside_remit", "note": "n",
                                                        "publicExplanation": "e"}, "truongban", "json"),
        ("POST", "/api/v1/articles/{id}/lock", [], None, "btv.lan", None),
        ("GET", "/api/v1/delegations", [], None, "truongban", None),
        ("POST", "/api/v1/delegations", [], {"delegate": UUID, "kinds": ["news"], "validFrom": "2026-12-01",
                                             "validTo": "2026-12-31"}, "truongban", "json"),
        ("DELETE", "/api/v1/delegations/{id}", [], None, "truongban", None),
        ("POST", "/api/v1/quarantine/{id}/{decision}", [], {"unit": "STP", "reason": "r"}, "btv.lan", "json"),
        ("GET", "/console", ["state", "order", "page", "lang", "done"], None, "btv.lan", "cookie"),
        ("GET", "/console/quarantine", ["page", "lang"], None, "btv.lan", "cookie"),
        ("GET", "/console/articles/{id}", ["lang"], None, "btv.lan", "cookie"),
        ("GET", "/console/articles/{id}/diff", ["from", "to"], None, "btv.lan", "cookie"),
        ("GET", "/console/articles/{id}/edit", [], None, "btv.lan", "cookie"),
        ("POST", "/console/articles/{id}/edit", [], {"revision": "1", "title": "T", "coefficient": "8,5", "genre": "news",
                                                     "changeNote": "n"}, "btv.lan", "form"),
        ("POST", "/console/articles/{id}/{action}", [], {"revision": "1", "reason": "outside_remit", "note": "n"}, "truongban", "form"),
        ("POST", "/console/login", [], {"login": "btv.lan", "password": "x"}, None, "form"),
    ],
    "publishing": [
        ("GET", "/api/v1/sites", [], None, None, None),
        ("GET", "/api/v1/sites/compliance", [], None, None, None),
        ("POST", "/api/v1/sites", [], {"domain": "x.longan.gov.vn", "unitCode": "STP"}, "admin", "json"),
        ("GET", "/api/v1/publications/failures", [], None, "btv.lan", None),
        ("GET", "/api/v1/publications/{id}", [], None, "btv.lan", None),
        ("GET", "/sites/{domain}/{path}", ["q", "so", "loai", "co-quan", "tu-ngay", "den-ngay", "trang"], None, None, None),
        ("GET", "/tim-kiem", ["q", "trang", "page"], None, None, None),
        ("GET", "/van-ban/tra-cuu", ["so", "loai", "co-quan", "tu-ngay", "den-ngay", "q", "trang"], None, None, None),
        ("GET", "/bao-cao/ten-mien", [], None, None, None),
        ("GET", "/luu-tru/{month}", ["trang"], None, None, None),
        ("GET", "/luu-tru/", [], None, None, None),
    ],
    "finance": [
        ("GET", "/api/v1/royalties/{month}", ["format", "view"], None, "ketoan.mai", None),
        ("POST", "/api/v1/royalties/{month}/generate", [], None, "ketoan.mai", None),
        ("POST", "/api/v1/royalties/{month}/{action}", [], {"paymentReference": "x", "paidOn": "2026-12-01"}, "ketoan.mai", "json"),
        ("GET", "/api/v1/reports/activity", ["from", "to", "format"], None, "ketoan.mai", None),
        ("GET", "/api/v1/budgets/{year}", ["format"], None, "ketoan.mai", None),
        ("POST", "/api/v1/budgets/{year}", [], None, "ketoan.mai", None),
        ("POST", "/api/v1/budgets/{year}/lines", [], {"category": "royalties", "description": "d", "amountVND": 1000}, "ketoan.mai", "json"),
        ("POST", "/api/v1/budgets/{year}/appraise", [], {"lines": [{"lineId": UUID, "appraisedAmountVND": 1, "comment": "c"}]}, "ketoan.mai", "json"),
        ("POST", "/api/v1/budgets/{year}/{action}", [], None, "ketoan.mai", None),
        ("GET", "/finance", ["month", "lang"], None, "ketoan.mai", "cookie"),
        ("GET", "/finance/activity", ["from", "to", "lang"], None, "ketoan.mai", "cookie"),
        ("GET", "/finance/downloads/{file}", ["month", "format", "view"], None, "ketoan.mai", "cookie"),
        ("POST", "/finance/reports/{month}/{action}", [], {"reference": "x", "paidOn": "2026-12-01"}, "ketoan.mai", "form"),
    ],
    "feedback": [
        ("GET", "/healthz", [], None, None, None),
        ("POST", "/api/v1/questions", [], {"name": "A", "email": "a@example.vn", "phone": "0912345678", "address": "x", "title": "t",
                                           "body": "b", "field": "justice_civil_status", "consent": True}, None, "json"),
        ("POST", "/api/v1/questions", [], {"name": "A", "email": "a@example.vn", "title": "t", "body": "b", "consent": "dong-y"}, None, "form"),
        ("GET", "/api/v1/questions/{code}", [], None, None, None),
        ("POST", "/api/v1/questions/{code}/clarification", [], {"text": "x"}, None, "json"),
        ("POST", "/api/v1/questions/{code}/personal-data-link", [], None, None, None),
        ("GET", "/hoi-dap/gui-cau-hoi", ["doi-thoai"], None, None, None),
        ("POST", "/hoi-dap/gui-cau-hoi", [], {"name": "A", "email": "a@example.vn", "title": "t", "body": "b", "field": "health",
                                              "consent": "dong-y", "dialogue": UUID}, None, "multipart"),
        ("GET", "/hoi-dap/tra-cuu", ["ma"], None, None, None),
        ("POST", "/hoi-dap/tra-cuu/bo-sung", [], {"ma": "ABCDEFGHJKMNPQRSTUVW", "text": "x"}, None, "form"),
        ("POST", "/hoi-dap/tra-cuu/du-lieu", [], {"ma": "ABCDEFGHJKMNPQRSTUVW"}, None, "form"),
        ("GET", "/hoi-dap/du-lieu-ca-nhan", ["t"], None, None, None),
        ("POST", "/hoi-dap/du-lieu-ca-nhan", [], {"t": "x", "action": "correct", "name": "A", "email": "a@example.vn"}, None, "form"),
        ("GET", "/hoi-dap/y-kien", [], None, None, None),
        ("GET", "/hoi-dap/y-kien/{id}", [], None, None, None),
        ("POST", "/hoi-dap/y-kien/{id}", [], {"article": "1", "body": "x", "organisation": "y"}, None, "form"),
        ("GET", "/hoi-dap/doi-thoai", [], None, None, None),
        ("GET", "/hoi-dap/doi-thoai/{id}", [], None, None, None),
        ("GET", "/feedback", [], None, "hoidap.hcc", "cookie"),
        ("GET", "/feedback/overdue", [], None, "phananh.tuphap", "cookie"),
        ("GET", "/feedback/questions/{id}", ["lien-he", "done"], None, "hoidap.hcc", "cookie"),
        ("GET", "/feedback/questions/{id}/attachment", [], None, "hoidap.hcc", "cookie"),
        ("POST", "/feedback/questions/{id}/{step}", [], {"field": "health", "answer": "x", "note": "y", "request": "z", "confirm": "yes"},
         "hoidap.hcc", "form"),
        ("GET", "/feedback/consultations", [], None, "phananh.tuphap", "cookie"),
        ("GET", "/feedback/consultations/{id}/{file}", [], None, "phananh.tuphap", "cookie"),
        ("GET", "/feedback/dialogues", [], None, "hoidap.hcc", "cookie"),
        ("POST", "/feedback/dialogues", [], {"title": "t", "startsAt": "2026-12-01T08:00", "endsAt": "2026-12-01T09:00", "participant": "gd.tuphap"},
         "hoidap.hcc", "form"),
    ],
}

PARAMETER_SEEDS = {
    "id": [UUID] + IDS, "action": ["approve", "reject", "return", "take-down", "withdraw", "resubmit", "submit-for-approval",
                             "submit", "pay", "approve"],
    "decision": ["release", "discard"], "month": ["2026-11", "2026-12"], "year": ["2026", "2027"],
    "domain": ["longan.gov.vn", "sotuphap.longan.gov.vn"],
    "path": ["", "tim-kiem", "van-ban/tra-cuu", "bai-viet/x.html", "luu-tru/", "luu-tru/2026-12", "luu-tru/0000-99"],
    "file": ["royalties-2026-11.xlsx", "activity.csv", "comments.csv", "comments.xlsx"],
    "code": ["ABCDEFGHJKMNPQRSTUVW", "abcde-fghjk-mnpqr-stuvw", "0000"],
    "step": ["classify", "answer", "clarify", "forward", "return", "approve", "dialogue-answer"],
}


def mutate_json(value, rng, depth=0):
    """The same shape with some leaves replaced by hostile values, or the whole replaced."""
    if depth == 0 and rng.random() < 0.1:
        return rng.choice(HOSTILE_JSON + NON_FINITE)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if rng.random() < 0.1:
                continue  # a missing field
            out[key] = mutate_json(item, rng, depth + 1) if rng.random() < 0.5 else item
        if rng.random() < 0.1:
            out[pick_text(rng)[:50]] = rng.choice(HOSTILE_JSON)
        return out
    if isinstance(value, list):
        items = [mutate_json(item, rng, depth + 1) for item in value]
        if rng.random() < 0.2:
            items = items * rng.randint(0, 50)
        return items
    return rng.choice(HOSTILE_JSON + NON_FINITE + [pick_text(rng)])


def encode_body(body, mode, rng):
    if body is None:
        return None, None
    if mode == "form":
        fields = {key: (pick_text(rng) if rng.random() < 0.6 else str(value)) for key, value in body.items()}
        return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    if mode == "multipart":
        # The web form's fields and a file part, with hostile values, names and declared types.
        boundary = "fuzz" + str(rng.randint(0, 10**9))
        parts = []
        for key, value in body.items():
            text = str(value) if key == "_csrf" or rng.random() >= 0.6 else pick_text(rng)
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{text}\r\n'.encode("utf-8", "surrogatepass"))
        name = rng.choice(["a.png", "b.pdf", "../../etc/passwd", "x" * 300, "ảnh.jpg", ""])
        data = rng.choice([b"\x89PNG\r\n\x1a\n" + bytes(rng.randint(0, 255) for _ in range(64)), b"%PDF-1.4 x", b"", b"\x00" * 100])
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file1"; filename="{name}"\r\n'
                     f'Content-Type: {rng.choice(["image/png", "application/pdf", "text/html", ""])}\r\n\r\n'.encode("utf-8", "surrogatepass")
                     + data + b"\r\n")
        tail = f"--{boundary}--\r\n".encode() if rng.random() < 0.9 else b"--" + boundary.encode()
        return b"".join(parts) + tail, f"multipart/form-data; boundary={boundary}"
    text = json.dumps(mutate_json(body, rng), allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if rng.random() < 0.15:
        cut = rng.randint(0, max(0, len(text) - 1))
        text = text[:cut] + rng.choice([b"{", b"\x00", b"\xff\xfe", b'"', b"]]]]", b"1e999"]) + text[cut:]
    return text, rng.choice(["application/json", "application/json", "text/plain", "application/json; charset=latin1"])


def fill_path(template, rng):
    path = template
    while "{" in path:
        start = path.index("{")
        end = path.index("}", start)
        name = path[start + 1:end]
        value = rng.choice(PARAMETER_SEEDS.get(name, ["x"])) if rng.random() < 0.4 else pick_text(rng)
        path = path[:start] + urllib.parse.quote(value, safe="" if name != "path" else "/") + path[end + 1:]
    return path


def request(connection, method, path, headers, body):
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    return response.status, dict((k.lower(), v) for k, v in response.getheaders()), payload


def login_cookie(port, login):
    """A staff session for the server-rendered pages, through the sign-in form (with its CSRF token)."""
    password = os.environ.get("PORTAL_DEMO_PASSWORD", "longan-demo-2026")
    for path in ("/console/login", "/finance/login", "/submit/login", "/feedback/login"):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            status, headers, page = request(connection, "GET", path, {}, None)
            if status != 200:
                continue
            csrf_cookie = (headers.get("set-cookie") or "").split(";", 1)[0]
            match = re.search(rb'name="_csrf" value="([^"]+)"', page)
            body = urllib.parse.urlencode({"login": login, "password": password, "_csrf": match.group(1).decode() if match else ""})
            status, headers, _ = request(connection, "POST", path, {
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": csrf_cookie}, body)
            cookie = headers.get("set-cookie")
            if cookie and status in (200, 302, 303):
                return cookie.split(";", 1)[0]
        except OSError:
            pass
        finally:
            connection.close()
    return None


FORM_TOKENS = {}


def form_token(port, cookie, path):
    """The CSRF token a signed-in page carries (read once per session and page)."""
    key = (port, cookie, path)
    if key not in FORM_TOKENS:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            _, _, page = request(connection, "GET", path, {"Cookie": cookie}, None)
            match = re.search(rb'name="_csrf" value="([^"]+)"', page)
            FORM_TOKENS[key] = match.group(1).decode() if match else ""
        except (OSError, http.client.HTTPException):
            FORM_TOKENS[key] = ""
        finally:
            connection.close()
    return FORM_TOKENS[key]


# Inputs that once trapped a service, sent first every run, each to a real item where it needs one.
NAMED = {
    "approval": [
        ("PUT", "/api/v1/articles/{real}", "btv.lan", "json", '{"classification": {"coefficient": 1e300}, "changeNote": "x"}'),
        ("PUT", "/api/v1/articles/{real}", "btv.lan", "json", '{"classification": {"coefficient": NaN}, "changeNote": "x"}'),
        ("PUT", "/api/v1/articles/{real}", "btv.lan", "json", '{"classification": {"coefficient": Infinity}, "changeNote": "x"}'),
        ("PUT", "/api/v1/articles/{real}", "btv.lan", "json", '{"classification": {"coefficient": -1e300}, "changeNote": "x"}'),
        ("GET", "/console?page=9223372036854775807", "btv.lan", "cookie", None),
        ("GET", "/console/quarantine?page=9223372036854775807", "btv.lan", "cookie", None),
        ("GET", "/api/v1/queue?limit=9223372036854775807&offset=9223372036854775807", "btv.lan", "json", None),
        ("GET", "/console/articles/{real}/diff?from=9223372036854775807&to=1", "btv.lan", "cookie", None),
        ("GET", "/api/v1/articles/{real}/diff?from=-9223372036854775808&to=2147483648", "btv.lan", "json", None),
    ],
    "finance": [
        ("GET", "/finance?month=1900-01", "ketoan.mai", "cookie", None),
        ("GET", "/finance?month=9999-12", "ketoan.mai", "cookie", None),
        ("GET", "/api/v1/royalties/1900-01", "ketoan.mai", "json", None),
        ("GET", "/api/v1/royalties/9999-12?format=xlsx", "ketoan.mai", "json", None),
        ("GET", "/api/v1/budgets/0000", "ketoan.mai", "json", None),
        ("GET", "/api/v1/reports/activity?from=0001-01-01&to=9999-12-31", "ketoan.mai", "json", None),
    ],
}


def fuzz(service, port, rng):
    routes = ROUTES.get(service, [])
    cookies = {}
    failures = []
    sent = 0
    for method, path, login, mode, body in NAMED.get(service, []):
        path = path.replace("{real}", IDS[0] if IDS else UUID)
        headers = {"If-Match": '"1"'}
        if mode == "cookie":
            cookies.setdefault(login, login_cookie(port, login))
            if cookies[login]:
                headers["Cookie"] = cookies[login]
            else:
                failures.append(f"{service}: cannot sign in as {login}")
        elif login in TOKENS:
            headers["Authorization"] = "Bearer " + TOKENS[login]
        if body:
            headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            status, _, payload = request(connection, method, path, headers, body.encode() if body else None)
            sent += 1
            if status >= 500 or (mode == "cookie" and status in (302, 303, 401)):
                failures.append(f"named case {method} {path}: HTTP {status} {payload[:200]!r}")
        except (OSError, http.client.HTTPException) as error:
            failures.append(f"named case {method} {path}: no answer ({error})")
        finally:
            connection.close()
    deadline = time.time() + SECONDS
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    while sent < MAX_REQUESTS and time.time() < deadline:
        method, template, query_names, body, login, mode = rng.choice(routes)
        path = fill_path(template, rng)
        query = {name: pick_text(rng) for name in query_names if rng.random() < 0.6}
        if query:
            path += "?" + urllib.parse.urlencode(query)
        headers = {"Host": rng.choice(["127.0.0.1", "longan.gov.vn", "sotuphap.longan.gov.vn", "x" * 300])}
        if method == "PUT":
            headers["If-Match"] = rng.choice(['"1"', '"2"', '"0"', '"99999999999999999999"', "*", "x"])
        if login:
            if mode in ("cookie", "form", "multipart"):
                if login not in cookies:
                    cookies[login] = login_cookie(port, login)
                if cookies[login]:
                    headers["Cookie"] = cookies[login]
            elif login in TOKENS:
                headers["Authorization"] = "Bearer " + TOKENS[login]
        if mode == "multipart" and login and cookies.get(login) and rng.random() < 0.8:
            # Mostly with the session's form token, so that the checks behind it are reached too.
            body = dict(body, _csrf=form_token(port, cookies[login], template))
        payload, content_type = encode_body(body, mode, rng)
        if content_type:
            headers["Content-Type"] = content_type
        try:
            status, response_headers, _ = request(connection, method, path, headers, payload)
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            failures.append(f"{method} {path[:200]}: no answer ({error})")
            if not alive(port):
                failures.append(f"{service} stopped answering after {method} {path[:200]}")
                break
            continue
        sent += 1
        if status >= 500:
            failures.append(f"{method} {path[:200]} body={(payload or b'')[:200]!r}: HTTP {status}")
    connection.close()
    if not alive(port):
        failures.append(f"{service} does not answer /healthz after the fuzzing")
    return sent, failures


def alive(port):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        status, _, _ = request(connection, "GET", "/healthz", {}, None)
        connection.close()
        return status == 200
    except OSError:
        return False


def role_checks():
    """One staff sign-in, roles checked on every page: a session made on one service's sign-in
    page opens the other's pages only when the person's roles allow them."""
    failures = []
    if "approval" not in SERVICES or "finance" not in SERVICES:
        return failures
    console, finance = int(SERVICES["approval"]), int(SERVICES["finance"])
    for login, port, allowed in [("ketoan.mai", finance, {"/finance": 200, "/console": 403}),
                                 ("btv.lan", console, {"/console": 200, "/finance": 403}),
                                 ("truongban", console, {"/console": 200, "/finance": 200})]:
        cookie = login_cookie(port, login)
        if not cookie:
            failures.append(f"role check: cannot sign in as {login}")
            continue
        for path, expected in allowed.items():
            target = console if path == "/console" else finance
            connection = http.client.HTTPConnection("127.0.0.1", target, timeout=15)
            status, _, page = request(connection, "GET", path, {"Cookie": cookie}, None)
            connection.close()
            if status != expected:
                failures.append(f"role check: {login} on {path}: HTTP {status}, expected {expected}")
            if expected == 200 and login == "truongban" and not (b"Bi\xc3\xaan t\xe1\xba\xadp/Duy\xe1\xbb\x87t" in page and b"Nhu\xe1\xba\xadn b\xc3\xbat" in page):
                failures.append(f"role check: the header of {path} does not offer both areas to {login}")
    return failures


def main():
    print(f"http fuzz seed {SEED} (FUZZ_SEED={SEED} repeats this run)")
    rng = random.Random(SEED)
    all_failures = role_checks()
    for failure in all_failures:
        print("  " + failure)
    for service, port in SERVICES.items():
        sent, failures = fuzz(service, int(port), rng)
        print(f"{service}: {sent} requests, {len(failures)} failure(s)")
        for failure in failures[:20]:
            print("  " + failure)
        all_failures += failures
    if all_failures:
        print(f"http fuzz FAILED with seed {SEED}")
        return 1
    print("http fuzz passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
