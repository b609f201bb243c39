#!/usr/bin/env python3
"""Checks the mail fixtures of this folder with Python's own parser and prints a summary.

    python3 Tests/Fixtures/mail/check_fixtures.py

For every file named in expected.json: CRLF only, under 20 KB, parses with
`BytesParser(policy=email.policy.default)`, and From, Message-ID, Subject, title and kind,
decoded attachment names, content types, Content-IDs, real attachment bytes, alt texts (by the
rule in README.md), body text (format=flowed undone, quoted history and signature split off),
forwarded-message headers and the duplicate relations are what expected.json says. It also
regenerates everything with make_fixtures.py and requires the result to be byte-identical to
the files here. Exits non-zero on the first failed file; prints "N passed, 0 failed" on success.
"""

import email
import email.policy
import hashlib
import html.parser
import json
import os
import re
import struct
import sys
import tempfile
import unicodedata
import zlib
from email.parser import BytesParser

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # importing make_fixtures must leave no __pycache__ in the repository

KIND_TAGS = {  # the subset of MailDraft.kindTags the fixtures use
    "tin": "news", "ảnh": "photo", "văn bản": "directive_document", "thông báo": "announcement",
}
REPLY_PREFIXES = ("re:", "fw:", "fwd:", "tl:", "ct:")


def nfc(text):
    return unicodedata.normalize("NFC", text) if text is not None else None


def unescape(text):
    """Surrogate-escaped raw bytes back to UTF-8 text."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8")


def squash(text):
    return re.sub(r"\s+", " ", nfc(text)).strip()


class Failure(AssertionError):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


# --------------------------------------------------------------------------------------------
# Reading messages


def title_and_kind(subject):
    subject = subject.strip()
    stripped = True
    while stripped:
        stripped = False
        for prefix in REPLY_PREFIXES:
            if subject.lower().startswith(prefix):
                subject = subject[len(prefix):].strip()
                stripped = True
    kind = "news"
    match = re.match(r"\[([^\]]*)\]\s*(.*)", subject)
    if match and nfc(match.group(1).strip().lower()) in KIND_TAGS:
        kind = KIND_TAGS[nfc(match.group(1).strip().lower())]
        subject = match.group(2).strip()
    return subject, kind


def unflow(text, delsp=False):
    """RFC 3676: undo space-stuffing, join soft breaks (not across quote depths)."""
    out, current, depth_of_current = [], None, None
    for line in text.replace("\r\n", "\n").split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        if current is not None and depth == depth_of_current:
            current += content
        else:
            if current is not None:
                out.append(">" * depth_of_current + (" " if depth_of_current else "") + current)
            current, depth_of_current = content, depth
        if not soft:
            out.append(">" * depth + (" " if depth else "") + current)
            current = None
    if current is not None:
        out.append(current)
    return "\n".join(out)


def split_plain(text):
    """(body, signature, quoted history) of a plain-text reply."""
    lines = text.split("\n")
    history_at = len(lines)
    for i, line in enumerate(lines):
        following = next((l for l in lines[i + 1:] if l.strip()), "")
        if re.search(r"(đã viết|wrote):\s*$", line) and following.startswith(">") and not line.startswith(">"):
            history_at = i
            break
    body, history = lines[:history_at], lines[history_at:]
    signature = []
    if "-- " in body:
        at = body.index("-- ")
        body, signature = body[:at], body[at + 1:]
    return "\n".join(body), "\n".join(signature).strip(), "\n".join(history)


class HTMLText(html.parser.HTMLParser):
    """Text of an HTML body, with Gmail's div.gmail_quote split off as quoted history (or as a
    forwarded block, when its gmail_attr says so), and the <img src="cid:…"> alt texts."""

    BLOCK = {"p", "div", "br", "tr", "li", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.body, self.quote = [], []
        self.alts = {}  # content id -> alt (None when the attribute is missing)
        self.stack = []
        self.quote_depth = None
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.stack.append(tag)
        if tag == "style":
            self.in_style = True
        if tag == "div" and "gmail_quote" in (attrs.get("class") or "").split() and self.quote_depth is None:
            self.quote_depth = len(self.stack)
        if tag == "img" and (attrs.get("src") or "").startswith("cid:"):
            self.alts[attrs["src"][4:]] = attrs.get("alt")
        if tag in self.BLOCK:
            self.target().append("\n")
        if tag == "img":
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
        if tag in self.BLOCK:
            self.target().append("\n")
        while self.stack:
            top = self.stack.pop()
            if self.quote_depth is not None and len(self.stack) < self.quote_depth:
                self.quote_depth = None
            if top == tag:
                break

    def handle_data(self, data):
        if not self.in_style:
            self.target().append(data)

    def target(self):
        return self.quote if self.quote_depth is not None else self.body


def leaves(part, forwarded=False):
    """(leaf part, from a forwarded message?) depth first; message/rfc822 parts are entered."""
    if part.get_content_type() == "message/rfc822":
        yield from leaves(part.get_payload(0), True)
    elif part.is_multipart():
        for child in part.iter_parts():
            yield from leaves(child, forwarded)
    else:
        yield part, forwarded


def is_body(part):
    return (part.get_content_type() in ("text/plain", "text/html") and part.get_filename() is None
            and part.get_content_disposition() != "attachment")


def forwarded_messages(message):
    found = []
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            found.append(part.get_payload(0))
    return found


def check_bytes(name, content_type, data):
    if content_type == "application/pdf":
        expect(data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), f"{name}: not a PDF")
        xref = int(re.search(rb"startxref\n(\d+)", data).group(1))
        expect(data[xref:xref + 4] == b"xref", f"{name}: PDF startxref does not point at the xref table")
        for number, offset in enumerate(re.findall(rb"(\d{10}) 00000 n", data), start=1):
            expect(data[int(offset):].startswith(b"%d 0 obj" % number), f"{name}: PDF xref entry {number} is wrong")
    elif content_type == "image/jpeg":
        expect(data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9", f"{name}: not a JPEG")
        sof = data.find(b"\xff\xc0")
        expect(sof > 0 and struct.unpack(">HH", data[sof + 5:sof + 9]) == (1, 1), f"{name}: JPEG is not 1x1")
    elif content_type == "image/png":
        expect(data[:8] == b"\x89PNG\r\n\x1a\n", f"{name}: not a PNG")
        position = 8
        while position < len(data):
            length, = struct.unpack(">I", data[position:position + 4])
            kind, body = data[position + 4:position + 8], data[position + 8:position + 8 + length]
            crc, = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
            expect(zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"{name}: PNG chunk {kind!r} has a bad CRC")
            if kind == b"IDAT":
                expect(len(zlib.decompress(body)) == 4, f"{name}: PNG is not 1x1 RGB")
            position += 12 + length


# --------------------------------------------------------------------------------------------
# One fixture


def check(e, raw):
    name = e["file"]
    expect(b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b""),
           f"{name}: bare CR or LF")
    expect(len(raw) < 20_000, f"{name}: {len(raw)} bytes")
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    defects = [f"{type(d).__name__}" for part in message.walk() for d in part.defects]

    sender = message["from"].addresses[0]
    address, display = unescape(sender.addr_spec), unescape(sender.display_name)
    if address != sender.addr_spec or display != sender.display_name:
        # The stdlib parser leaves raw UTF-8 (RFC 6532) in an address header as surrogate escapes.
        defects.append("RFC6532HeaderLeftAsSurrogateEscapes")
    expect(nfc(address) == e["from_address"], f"{name}: From address {address!r}")
    expect(nfc(display) == e["from_name"], f"{name}: From name {display!r}")
    expect(message["message-id"].strip().strip("<>") == e["message_id"], f"{name}: Message-ID {message['message-id']!r}")
    subject = nfc(str(message["subject"]))
    expect(subject == e["subject"], f"{name}: Subject {subject!r}")
    title, kind = title_and_kind(subject)
    expect((title, kind) == (e["title"], e["kind"]), f"{name}: title/kind {(title, kind)!r}")

    # Bodies (first plain and first html of the message itself, not of a forwarded one)
    plain = html_body = None
    flowed = delsp = False
    for part, inner in leaves(message):
        if inner or not is_body(part):
            continue
        if part.get_content_type() == "text/plain" and plain is None:
            plain = part.get_content()
            flowed = part.get_param("format", "").lower() == "flowed"
            delsp = part.get_param("delsp", "no").lower() == "yes"
        elif part.get_content_type() == "text/html" and html_body is None:
            html_body = part.get_content()
    parsed_html = HTMLText()
    if html_body is not None:
        parsed_html.feed(html_body)
    if e["body_format"] == "html":
        expect(html_body is not None, f"{name}: no HTML body")
        body, history = "".join(parsed_html.body), "".join(parsed_html.quote)
        signature = ""
    else:
        expect(html_body is None, f"{name}: unexpected HTML body")
        text = (plain or "").replace("\r\n", "\n")
        if flowed:
            text = unflow(text, delsp)
        body, signature, history = split_plain(text)
    for snippet in e["body_contains"]:
        expect(squash(snippet) in squash(body), f"{name}: body lacks {snippet!r}")
    if not e["body_contains"]:
        expect(not body.strip(), f"{name}: body should be empty, is {body!r}")
    for snippet in e.get("body_excludes", []):
        expect(squash(snippet) not in squash(body), f"{name}: body still holds {snippet!r}")
    for snippet in e.get("quoted_history_contains", []):
        expect(squash(snippet) in squash(history), f"{name}: quoted history lacks {snippet!r}")
    if "signature" in e:
        expect(nfc(signature) == e["signature"], f"{name}: signature {signature!r}")
    if flowed:
        for snippet in e["body_contains"]:
            expect(snippet in body, f"{name}: after unflowing, {snippet!r} is not one line")

    # Forwarded content
    for fwd in e.get("forwarded", []):
        inner = forwarded_messages(message)
        if inner:
            m = inner[0]
            expect(nfc(str(m["subject"])) == fwd["subject"], f"{name}: forwarded Subject {m['subject']!r}")
            who = m["from"].addresses[0]
            shown = nfc(f"{who.display_name} <{who.addr_spec}>")
            if shown != fwd["from"]:
                # The stdlib keeps the folding space between adjacent encoded-words of a display name.
                defects.append("StdlibKeptSpaceBetweenEncodedWords")
            expect(squash(shown) == squash(fwd["from"]), f"{name}: forwarded From {m['from']!r}")
            expect(str(m["date"]) == fwd["date"], f"{name}: forwarded Date {m['date']!r}")
            expect(m["message-id"].strip("<>") == fwd["message_id"], f"{name}: forwarded Message-ID")
            inner_text = next(p.get_content() for p, _ in leaves(m) if p.get_content_type() == "text/plain")
        else:
            text = "".join(parsed_html.quote) if html_body is not None and e["body_format"] == "html" else body
            text = text.replace("\t", " ")
            marker = re.search(r"-{8,} ?(Forwarded Message|Forwarded message) ?-{8,}", text)
            expect(marker, f"{name}: no forwarded-message marker")
            block = text[marker.end():]
            fields = dict(re.findall(r"^(From|Date|Subject|To): +(.*)$", block, re.M))
            for key in ("from", "date", "subject"):
                expect(squash(fields.get(key.capitalize(), "")) == squash(fwd[key]),
                       f"{name}: forwarded {key} {fields.get(key.capitalize())!r}")
            expect(squash(FWD_NOTE) in squash(text[:marker.start()]) or squash(FWD_NOTE) in squash(body),
                   f"{name}: the note is not above the forwarded block")
            inner_text = block
        for snippet in fwd["body_contains"]:
            expect(squash(snippet) in squash(inner_text), f"{name}: forwarded text lacks {snippet!r}")

    # Attachments, in intake's order: the message's own, then those of forwarded messages
    found = [(p, inner) for p, inner in leaves(message) if not is_body(p)]
    found = [x for x in found if not x[1]] + [x for x in found if x[1]]
    expect(len(found) == len(e["attachments"]),
           f"{name}: {len(found)} attachments, expected {len(e['attachments'])}")
    flags = []
    for (part, inner), want in zip(found, e["attachments"]):
        filename = nfc(part.get_filename())
        expect(filename == want["filename"], f"{name}: file name {filename!r}, expected {want['filename']!r}")
        expect(part.get_content_type() == want["content_type"], f"{name}: {filename}: type {part.get_content_type()}")
        expect(inner == want["from_forwarded_message"], f"{name}: {filename}: forwarded? {inner}")
        expect((part.get_content_disposition() == "inline") == want["inline"], f"{name}: {filename}: disposition")
        cid = (part["content-id"] or "").strip().strip("<>") or None
        expect(cid == want["content_id"], f"{name}: {filename}: Content-ID {cid!r}")
        check_bytes(f"{name}: {filename}", want["content_type"], part.get_content())
        # The alt-text rule: the <img alt> that references the Content-ID, else a Content-Description
        # that is more than the file name; never the file name.
        description = nfc(str(part["content-description"])) if part["content-description"] else None
        if cid and cid in parsed_html.alts:
            alt = nfc(parsed_html.alts[cid]) or None
        elif description and description != filename:
            alt = description
        else:
            alt = None
        expect(alt == want["alt_text"], f"{name}: {filename}: alt text {alt!r}, expected {want['alt_text']!r}")
        expect(alt != filename, f"{name}: alt text is the file name")
        if want["content_type"].startswith("image/") and alt is None:
            flags.append(f"missing_alt_text:{want['stored_filename']}")
    missing_alt_flags = [f for f in e["flags"] if f.startswith("missing_alt_text:")]
    expect(flags == missing_alt_flags, f"{name}: alt flags {flags}, expected {missing_alt_flags}")

    return {
        "file": name, "bytes": len(raw), "defects": defects, "subject": subject,
        "files": [nfc(p.get_filename()) for p, _ in found],
        "alts": [a["alt_text"] for a in e["attachments"] if a["content_type"].startswith("image/")],
        "flags": e["flags"], "outcome": e["outcome"],
    }


def attachment_digest(raw):
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    parts = []
    for part, _ in leaves(message):
        parts.append((part.get_content_type(), part.get_filename(), hashlib.sha256(part.get_content()
                      if isinstance(part.get_content(), bytes) else part.get_content().encode()).hexdigest()))
    return str(message["subject"]), parts, message["message-id"]


FWD_NOTE = "Chuyển tiếp văn bản để đăng tải."


def main():
    import make_fixtures
    with open(os.path.join(HERE, "expected.json"), encoding="utf-8") as f:
        expected = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        make_fixtures.write(tmp)
        for name in sorted(os.listdir(tmp)):
            with open(os.path.join(tmp, name), "rb") as a, open(os.path.join(HERE, name), "rb") as b:
                if a.read() != b.read():
                    print(f"FAIL {name}: differs from what make_fixtures.py writes now; run it again")
                    return 1
    with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    listed = {e["file"] for e in expected}
    on_disk = {n for n in os.listdir(HERE) if n.endswith(".eml")}
    if listed != on_disk:
        print(f"FAIL: expected.json lists {sorted(listed - on_disk)} not on disk, disk has {sorted(on_disk - listed)} not listed")
        return 1

    raws = {}
    passed, rows = 0, []
    for e in expected:
        with open(os.path.join(HERE, e["file"]), "rb") as f:
            raws[e["file"]] = f.read()
        try:
            expect(f"`{e['file']}`" in readme, f"{e['file']}: not in README.md")
            rows.append(check(e, raws[e["file"]]))
            passed += 1
        except Failure as failure:
            print(f"FAIL {failure}")
            print(f"{passed} passed, 1 failed")
            return 1

    # Relations between the Message-ID fixtures
    a, b, s = (raws[f"reused-message-id-{x}.eml"] for x in ("a", "b", "stranger"))
    da, db, ds = attachment_digest(a), attachment_digest(b), attachment_digest(s)
    dr, dd = attachment_digest(raws["resend-same-content.eml"]), attachment_digest(raws["exact-duplicate.eml"])
    relations = [
        (raws["exact-duplicate.eml"] == a, "exact-duplicate.eml is byte-identical to reused-message-id-a.eml"),
        (da[2] == db[2] == ds[2] == dd[2], "a, b, stranger and exact-duplicate share one Message-ID"),
        (da[0] != db[0] and da[1] != db[1], "b differs from a in subject and attachment"),
        (dr[0] == da[0] and dr[1] == da[1] and dr[2] != da[2], "resend has a's subject, body and attachment, a new Message-ID"),
    ]
    for ok, what in relations:
        if not ok:
            print(f"FAIL relation: {what}")
            print(f"{passed} passed, 1 failed")
            return 1

    # windows-1258: Python's codec leaves tone marks combining; what is stored must be NFC.
    w = BytesParser(policy=email.policy.default).parsebytes(raws["windows-1258-outlook.eml"])
    raw_subject = str(w["subject"])
    windows_note = ("decodes to combining tone marks (NFD-like) in Python; NFC needed"
                    if not unicodedata.is_normalized("NFC", raw_subject) else "decodes to NFC already")

    width = max(len(r["file"]) for r in rows)
    for r in rows:
        alts = "; alt " + ", ".join(repr(x) if x else "—" for x in r["alts"]) if r["alts"] else ""
        print(f"ok  {r['file']:<{width}}  {r['bytes']:5d} B  {r['outcome']:<34} "
              f"files {r['files'] or '—'}{alts}; flags {r['flags'] or '—'}"
              + (f"; python defects {sorted(set(r['defects']))}" if r["defects"] else ""))
    for _, what in relations:
        print(f"ok  relation: {what}")
    print(f"ok  windows-1258-outlook.eml: Subject {windows_note}")
    print(f"ok  regenerating with make_fixtures.py gives byte-identical files")
    print(f"{passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
