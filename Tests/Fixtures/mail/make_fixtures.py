#!/usr/bin/env python3
"""Writes the raw mail fixtures of this folder, byte for byte the same on every run.

    python3 Tests/Fixtures/mail/make_fixtures.py [output-folder]

Each message imitates what a named mail client puts on the wire (header order, boundaries,
encodings, folding), so most are built by hand as bytes rather than with `email.generator`,
which would normalise exactly what the fixtures are about. Message-IDs, dates, boundaries and
attachment bytes are fixed; "random" looking identifiers are derived from SHA-256 of a label.

Besides the .eml files it writes `expected.json` (what intake must make of each message,
machine-readable for Swift tests) and `README.md` (the same as a table, with notes).
`check_fixtures.py` verifies the files against `expected.json` with the stdlib parser.
"""

import base64
import hashlib
import json
import os
import quopri
import struct
import sys
import unicodedata
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

SENDER = "vanthu@sotuphap.longan.gov.vn"
SENDER_NAME = "Văn thư Sở Tư pháp"
PORTAL = "webmaster@longan.gov.vn"
DOMAIN = "sotuphap.longan.gov.vn"


# --------------------------------------------------------------------------------------------
# Deterministic "random" identifiers


def digest(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def uuid_like(label: str, upper=False) -> str:
    h = digest(label).hex()
    u = f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
    return u.upper() if upper else u


def alnum(label: str, n: int) -> str:
    chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    h = digest(label) + digest(label + "+")
    return "".join(chars[b % len(chars)] for b in h[:n])


def thread_index(label: str) -> str:
    """Outlook's Thread-Index: 22 bytes (FILETIME prefix + GUID), base64."""
    return base64.b64encode(b"\x01\xdb\x6a" + digest(label)[:19]).decode()


# --------------------------------------------------------------------------------------------
# Tiny but real attachments


def make_pdf(line: str) -> bytes:
    """A one-page PDF (valid xref) that shows one ASCII line."""
    text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = f"BT /F1 12 Tf 72 770 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def make_png(r: int, g: int, b: int) -> bytes:
    """A 1x1 RGB PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(bytes([0, r, g, b]), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# 1x1 JPEGs as libvips (libjpeg-turbo) writes them, with their EXIF block: pictures a browser and the
# publisher can read. (Hand-made scans once stood here; no decoder could read them.) They differ
# only after this head.
_JPEG_HEAD = bytes.fromhex(
    "ffd8ffe100bc45786966000049492a000800000006001201030001000000010000001a01050001000000560000001b01"
    "0500010000005e0000002801030001000000020000001302030001000000010000006987040001000000660000000000"
    "000038630000e803000038630000e8030000060000900700040000003032313001910700040000000102030000a00700"
    "040000003031303001a0030001000000ffff000002a00400010000000100000003a00400010000000100000000000000"
    "ffdb0043000302020302020303030304030304050805050404050a070706080c0a0c0c0b0a0b0b0d0e12100d0e110e0b"
    "0b1016101113141515150c0f171816141812141514ffdb00430103040405040509050509140d0b0d1414141414141414"
    "141414141414141414141414141414141414141414141414141414141414141414141414141414141414ffc000110800"
    "01000103011100021101031101ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc4"
    "00b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c115"
    "52d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566"
    "6768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2"
    "c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc4001f01000301010101"
    "01010101010000000000000102030405060708090a0bffc400b511000201020404030407050404000102770001020311"
    "04052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35"
    "363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a9293"
    "9495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6"
    "e7e8e9eaf2f3f4f5f6f7f8f9faffda000c03010002110311003f00fc"
)
JPEG_BLUE = _JPEG_HEAD + bytes.fromhex("dfafeed3e68fffd9")
JPEG_RED = _JPEG_HEAD + bytes.fromhex("b7afb539cfffd9")
JPEG_GREEN = _JPEG_HEAD + bytes.fromhex("bcafd40e23ffd9")


# --------------------------------------------------------------------------------------------
# Encodings


def b64_body(data: bytes, width=76) -> str:
    text = base64.b64encode(data).decode()
    return "\n".join(text[i:i + width] for i in range(0, len(text), width)) + "\n"


def qp_body(text: str, charset="utf-8") -> str:
    """Quoted-printable with soft breaks at 76, as Outlook, Apple Mail and Gmail write it."""
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def encode_cp1258(text: str) -> bytes:
    """windows-1258 the way Windows converts Vietnamese: precomposed where the code page has
    the letter, otherwise base letter (with circumflex, breve or horn) plus a combining tone mark."""
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(m for m in decomposed if m in "\u0300\u0301\u0303\u0309\u0323")
        base = unicodedata.normalize("NFC", "".join(m for m in decomposed if m not in tones))
        out += base.encode("cp1258") + tones.encode("cp1258")
    return out


Q_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def q_payload(data: bytes, lower=False) -> str:
    out = []
    for byte in data:
        if byte == 0x20:
            out.append("_")
        elif byte in Q_SAFE:
            out.append(chr(byte))
        else:
            out.append(("=%02x" if lower else "=%02X") % byte)
    return "".join(out)


def split_chars(text: str, fits) -> list:
    """Greedy chunks of whole characters, each accepted by `fits(chunk)`."""
    chunks, current = [], ""
    for ch in text:
        if current and not fits(current + ch):
            chunks.append(current)
            current = ch
        else:
            current += ch
    if current:
        chunks.append(current)
    return chunks


def outlook_words(text: str, max_bytes=47, charset="utf-8") -> list:
    """Outlook: base64 encoded-words of whole characters, each padded on its own."""
    chunks = split_chars(text, lambda c: len(c.encode(charset)) <= max_bytes)
    return [f"=?{charset}?B?{base64.b64encode(c.encode(charset)).decode()}?=" for c in chunks]


def outlook_q_words(data_text: str, charset, max_len=75) -> list:
    enc = encode_cp1258 if charset == "windows-1258" else (lambda s: s.encode(charset))
    prefix = f"=?{charset}?Q?"
    chunks = split_chars(data_text, lambda c: len(prefix) + len(q_payload(enc(c))) + 2 <= max_len)
    return [prefix + q_payload(enc(c)) + "?=" for c in chunks]


def jsmime_words(text: str, first_room: int, room=77) -> list:
    """Thunderbird (jsmime): per word the shorter of B and Q (Q on a tie), lower-case hex in Q,
    words as long as the line allows, never splitting a character."""
    def best(chunk):
        data = chunk.encode()
        q = "=?UTF-8?Q?" + q_payload(data, lower=True) + "?="
        b = "=?UTF-8?B?" + base64.b64encode(data).decode() + "?="
        return q if len(q) <= len(b) else b
    words, current, limit = [], "", first_room
    for ch in text:
        if current and len(best(current + ch)) > limit:
            words.append(best(current))
            current, limit = ch, room
        else:
            current += ch
    if current:
        words.append(best(current))
    return words


def apple_words(text: str) -> str:
    """Apple Mail / iOS: one Q encoded-word, upper-case hex, lower-case charset."""
    return "=?utf-8?Q?" + q_payload(text.encode()) + "?="


def tb_header(name: str, value: str) -> str:
    """A Thunderbird unstructured header: raw when ASCII, else folded encoded-words."""
    if all(ord(c) < 128 for c in value):
        return f"{name}: {value}"
    words = jsmime_words(value, first_room=77 - len(name) - 2)
    return f"{name}: " + "\n ".join(words)


def tb_mailbox(name: str, address: str) -> str:
    word = jsmime_words(name, first_room=200)
    return " ".join(word) + f" <{address}>"


def rfc2231_tb(param: str, value: str, width=75) -> list:
    """Thunderbird's RFC 2231 continuations: every byte percent-encoded, lines of at most
    `width`, never splitting a UTF-8 sequence."""
    pieces = ["".join("%%%02X" % b for b in ch.encode()) for ch in value]
    lines, current, index = [], "", 0
    def head(i):
        return f" {param}*{i}*=" + ("UTF-8''" if i == 0 else "")
    for piece in pieces:
        if current and len(head(index) + current + piece) + 1 > width:
            lines.append(head(index) + current)
            index += 1
            current = ""
        current += piece
    lines.append(head(index) + current)
    return lines


def flowed(paragraph: str, width=72, quote=0) -> list:
    """RFC 3676 lines of one paragraph: soft breaks end in a space; lines starting with a
    space, '>' or 'From ' are space-stuffed (quoted lines get '>' marks and one space)."""
    marks = ">" * quote
    words = paragraph.split(" ")
    lines, current = [], None
    for word in words:
        candidate = word if current is None else current + " " + word
        if current is not None and len(marks) + 1 + len(candidate) > width:
            lines.append(current + " ")
            current = word
        else:
            current = candidate
    lines.append(current or "")
    out = []
    for line in lines:
        if quote:
            out.append(marks + (" " + line if line else ""))
        elif line.startswith((" ", ">", "From ")):
            out.append(" " + line)
        else:
            out.append(line)
    return out


def crlf(text: str) -> bytes:
    assert "\r" not in text
    return text.replace("\n", "\r\n").encode("utf-8")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------------------------
# Shared content

LONG_NAME_SLASH = (
    "Quyết định số 1234/QĐ-UBND về việc ban hành quy chế quản lý cổng thông tin điện tử "
    "tỉnh Long An năm 2026.pdf")
LONG_NAME = LONG_NAME_SLASH.replace("1234/QĐ", "1234-QĐ")
PDF_QD = make_pdf("Quyet dinh so 1234/QD-UBND - quy che quan ly cong thong tin dien tu tinh Long An 2026")
PDF_KH = make_pdf("Ke hoach so 56/KH-STP - tuyen truyen, pho bien phap luat nam 2027")
PDF_TAPHUAN = make_pdf("Ke hoach tap huan nghiep vu ho tich nam 2026")
PDF_LICH = make_pdf("Lich tiep cong dan thang 12 nam 2026")
PDF_TIN = make_pdf("Tin khan")
PNG_LICH = make_png(0x1F, 0x6F, 0xB2)

OUTLOOK_DATE_SUFFIX = "01DB6A2B.3C5D6E70"


def outlook_html(paragraphs_html: str) -> str:
    """The Word-generated HTML of Outlook 16, trimmed to what matters."""
    return (
        '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" '
        'xmlns="http://www.w3.org/TR/REC-html40"><head><meta http-equiv=Content-Type content="text/html; charset=utf-8">'
        '<meta name=Generator content="Microsoft Word 15 (filtered medium)"><style><!--\n'
        "/* Font Definitions */\n@font-face\n\t{font-family:\"Cambria Math\";\n\tpanose-1:2 4 5 3 5 4 6 3 2 4;}\n"
        "@font-face\n\t{font-family:Calibri;\n\tpanose-1:2 15 5 2 2 2 4 3 2 4;}\n"
        "/* Style Definitions */\np.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{margin:0in;\n\tfont-size:11.0pt;\n"
        "\tfont-family:\"Calibri\",sans-serif;}\nspan.EmailStyle17\n\t{mso-style-type:personal-compose;\n"
        "\tfont-family:\"Calibri\",sans-serif;\n\tcolor:windowtext;}\n.MsoChpDefault\n\t{mso-style-type:export-only;\n"
        "\tfont-family:\"Calibri\",sans-serif;}\n@page WordSection1\n\t{size:8.5in 11.0in;\n\tmargin:1.0in 1.0in 1.0in 1.0in;}\n"
        "div.WordSection1\n\t{page:WordSection1;}\n--></style><!--[if gte mso 9]><xml>\n"
        '<o:shapedefaults v:ext="edit" spidmax="1026" />\n</xml><![endif]--><!--[if gte mso 9]><xml>\n'
        '<o:shapelayout v:ext="edit">\n<o:idmap v:ext="edit" data="1" />\n</o:shapelayout></xml><![endif]--></head>'
        "<body lang=VI link=\"#0563C1\" vlink=\"#954F72\" style='word-wrap:break-word'><div class=WordSection1>"
        + paragraphs_html + "</div></body></html>\n")


def mso_p(text: str) -> str:
    if not text:
        return "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
    return f"<p class=MsoNormal>{text}<o:p></o:p></p>"


def outlook_message_id(n: int) -> str:
    h = digest(f"outlook-{n}").hex()
    return f"{n:06x}01db6a2b${h[:8]}${h[8:16]}$@{DOMAIN}"


def outlook_headers(subject: str, date: str, message_id: str, content_type: str, label: str) -> str:
    name_words = outlook_words(SENDER_NAME)
    subject_words = outlook_words(subject)
    return (
        f"From: {' '.join(name_words)} <{SENDER}>\n"
        f"To: <{PORTAL}>\n"
        "Subject: " + "\n\t".join(subject_words) + "\n"
        f"Date: {date}\n"
        f"Message-ID: <{message_id}>\n"
        "MIME-Version: 1.0\n"
        f"Content-Type: {content_type}\n"
        "X-Mailer: Microsoft Outlook 16.0\n"
        f"Thread-Index: {thread_index(label)}\n"
        "Content-Language: vi-VN\n")


def nextpart(level: int, n: int) -> str:
    return f"----=_NextPart_{level:03d}_{n:04X}_{OUTLOOK_DATE_SUFFIX}"


def outlook_alternative(boundary: str, plain: str, html: str) -> str:
    return (
        f"--{boundary}\n"
        "Content-Type: text/plain;\n\tcharset=\"utf-8\"\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        + qp_body(plain) + "\n"
        f"--{boundary}\n"
        "Content-Type: text/html;\n\tcharset=\"utf-8\"\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        + qp_body(html) + "\n"
        f"--{boundary}--\n")


FIXTURES = {}     # file name -> bytes
EXPECTED = []     # what intake must make of each, in README order


def fixture(name: str, data: bytes, **expected):
    assert name not in FIXTURES, name
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b""), f"{name}: not pure CRLF"
    FIXTURES[name] = data
    EXPECTED.append({"file": name, **expected})


def attachment(filename, content_type, *, stored=None, inline=False, content_id=None, alt_text=None,
               forwarded=False):
    return {
        "filename": filename,
        "stored_filename": stored or filename,
        "content_type": content_type,
        "inline": inline,
        "content_id": content_id,
        "alt_text": alt_text,
        "from_forwarded_message": forwarded,
    }


# --------------------------------------------------------------------------------------------
# 1. Outlook: long Vietnamese file name as RFC 2047 words inside the quoted parameters


def outlook_long_filename():
    subject = "[Văn bản] Quyết định ban hành quy chế quản lý cổng thông tin điện tử tỉnh"
    mixed, alt = nextpart(0, 1), nextpart(1, 2)
    plain = (
        "Kính gửi Ban Biên tập Cổng Thông tin điện tử tỉnh,\n\n"
        "Sở Tư pháp gửi Quyết định số 1234/QĐ-UBND ngày 25/11/2026 của UBND tỉnh về việc ban hành "
        "quy chế quản lý cổng thông tin điện tử tỉnh Long An năm 2026 (tệp đính kèm) để đăng tải "
        "trên chuyên mục Văn bản chỉ đạo, điều hành.\n\n"
        "Trân trọng.\n\nVăn thư Sở Tư pháp tỉnh Long An\nĐT: 0272 3826 456\n")
    html = outlook_html("".join(mso_p(p) for p in [
        "Kính gửi Ban Biên tập Cổng Thông tin điện tử tỉnh,", "",
        "Sở Tư pháp gửi Quyết định số 1234/QĐ-UBND ngày 25/11/2026 của UBND tỉnh về việc ban hành "
        "quy chế quản lý cổng thông tin điện tử tỉnh Long An năm 2026 (tệp đính kèm) để đăng tải "
        "trên chuyên mục Văn bản chỉ đạo, điều hành.", "",
        "Trân trọng.", "", "Văn thư Sở Tư pháp tỉnh Long An", "ĐT: 0272 3826 456"]))
    words = outlook_words(LONG_NAME_SLASH)
    # The point of the fixture: a word that is not the last ends in base64 padding.
    assert any(w.endswith("=?=") for w in words[:-1]), words
    message_id = outlook_message_id(1)
    text = (
        outlook_headers(subject, "Mon, 30 Nov 2026 09:12:37 +0700", message_id,
                        f'multipart/mixed;\n\tboundary="{mixed}"', "outlook-long-filename")
        + "\nThis is a multipart message in MIME format.\n\n"
        f"--{mixed}\n"
        f'Content-Type: multipart/alternative;\n\tboundary="{alt}"\n\n\n'
        + outlook_alternative(alt, plain, html) + "\n"
        f"--{mixed}\n"
        "Content-Type: application/pdf;\n\tname=\"" + "\n ".join(words) + "\"\n"
        "Content-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment;\n\tfilename=\"" + "\n ".join(words) + "\"\n\n"
        + b64_body(PDF_QD) + "\n"
        f"--{mixed}--\n\n")
    fixture(
        "outlook-long-filename.eml", crlf(text),
        client="Microsoft Outlook 16.0 (Windows, SMTP/IMAP account)",
        shape="multipart/mixed[alternative[plain, html], pdf]; file name as base64 encoded-words inside the "
              "quoted name= and filename=, one word per whole-character chunk, each padded on its own, "
              "folded across lines",
        from_address=SENDER, from_name=SENDER_NAME, registered_sender=True, message_id=message_id,
        subject=subject, outcome="submission", title="Quyết định ban hành quy chế quản lý cổng thông tin điện tử tỉnh",
        kind="directive_document", body_format="html",
        body_contains=["Sở Tư pháp gửi Quyết định số 1234/QĐ-UBND", "Trân trọng."],
        attachments=[attachment(LONG_NAME_SLASH, "application/pdf", stored=LONG_NAME)],
        flags=[],
        notes="Decoded name contains '/' (a document number), which no file system allows but Outlook "
              "keeps from a forwarded or generated attachment. Intake must decode all words (the end and "
              "'.pdf' must survive) and store the name with '/' replaced (proposed: '-'), not refuse the mail.")


# --------------------------------------------------------------------------------------------
# 2. RFC 2231 continuations (Thunderbird), and 2231 + 2047 together


def thunderbird_mixed_head(subject, date, message_id, boundary):
    return (
        f'Content-Type: multipart/mixed; boundary="{boundary}"\n'
        f"Message-ID: <{message_id}>\n"
        f"Date: {date}\n"
        "MIME-Version: 1.0\n"
        "User-Agent: Mozilla Thunderbird\n"
        "Content-Language: vi\n"
        f"To: {PORTAL}\n"
        f"From: {tb_mailbox(SENDER_NAME, SENDER)}\n"
        + tb_header("Subject", subject) + "\n\n"
        "This is a multi-part message in MIME format.\n")


def tb_text_part(boundary, lines):
    return (
        f"--{boundary}\n"
        "Content-Type: text/plain; charset=UTF-8; format=flowed\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        + "\n".join(lines) + "\n\n")


def tb_pdf_part(boundary, filename, data, with_name_param):
    head = f"--{boundary}\n"
    if with_name_param:
        # mail.strictly_mime.parm_folding = 1 (the default): name= as RFC 2047 words, one per line.
        words = jsmime_words(filename, first_room=75 - len(' name="'), room=74)
        head += "Content-Type: application/pdf;\n name=\"" + "\n ".join(words) + "\"\n"
    else:
        # parm_folding = 2: RFC 2231 only, no name= at all.
        head += "Content-Type: application/pdf\n"
    head += "Content-Disposition: attachment;\n" + ";\n".join(rfc2231_tb("filename", filename)) + "\n"
    head += "Content-Transfer-Encoding: base64\n\n"
    return head + b64_body(data) + "\n"


TB_NOTE = flowed(
    "Kính gửi Ban Biên tập, Sở Tư pháp gửi Quyết định số 1234/QĐ-UBND của UBND tỉnh về việc ban hành "
    "quy chế quản lý cổng thông tin điện tử tỉnh Long An năm 2026 để đăng tải.") + [
    "", "Trân trọng.", "", "-- ", "Văn thư Sở Tư pháp tỉnh Long An", "ĐT: 0272 3826 456"]


def rfc2231_fixtures():
    subject = "[Văn bản] Quyết định ban hành quy chế quản lý cổng thông tin điện tử tỉnh"
    title = "Quyết định ban hành quy chế quản lý cổng thông tin điện tử tỉnh"
    for name, with_name, label, client, shape, conflict in [
        ("rfc2231-continuations.eml", False, "tb-2231",
         "Mozilla Thunderbird 128 with mail.strictly_mime.parm_folding = 2 (RFC 2231 only)",
         "multipart/mixed[plain flowed, pdf]; Content-Type without name=, Content-Disposition with "
         "filename*0*=UTF-8''…; filename*1*=… (every byte percent-encoded, one continuation per line)", None),
        ("mixed-2231-2047.eml", True, "tb-mixed",
         "Mozilla Thunderbird 128, default settings (parm_folding = 1); Apple Mail also sends name= beside filename*=",
         "as rfc2231-continuations.eml, plus name=\"=?UTF-8?B?…?= =?UTF-8?Q?…?=\" (B or Q chosen per word, "
         "lower-case hex) in Content-Type carrying the same name", None),
        ("mixed-2231-2047-conflict.eml", True, "tb-conflict",
         "synthetic: a Thunderbird message whose Content-Type name= was left stale (as document systems and "
         "some gateways do when they rename a file)",
         "as mixed-2231-2047.eml, but name= (RFC 2047) says an older name than filename*0*= (RFC 2231)",
         "Dự thảo quyết định quy chế cổng thông tin.pdf"),
    ]:
        boundary = "------------" + alnum(label, 24)
        message_id = uuid_like(label) + "@" + DOMAIN
        text = thunderbird_mixed_head(subject, "Mon, 30 Nov 2026 10:02:11 +0700", message_id, boundary)
        text += tb_text_part(boundary, TB_NOTE)
        if conflict:
            part = tb_pdf_part(boundary, LONG_NAME, PDF_QD, True)
            old = jsmime_words(LONG_NAME, first_room=75 - len(' name="'), room=74)
            new = jsmime_words(conflict, first_room=75 - len(' name="'), room=74)
            part = part.replace("\n ".join(old), "\n ".join(new))
            text += part
        else:
            text += tb_pdf_part(boundary, LONG_NAME, PDF_QD, with_name)
        text += f"--{boundary}--\n"
        fixture(
            name, crlf(text), client=client, shape=shape,
            from_address=SENDER, from_name=SENDER_NAME, registered_sender=True, message_id=message_id,
            subject=subject, outcome="submission", title=title, kind="directive_document", body_format="text",
            body_contains=["Sở Tư pháp gửi Quyết định số 1234/QĐ-UBND của UBND tỉnh về việc ban hành quy chế "
                           "quản lý cổng thông tin điện tử tỉnh Long An năm 2026 để đăng tải."],
            body_excludes=["Văn thư Sở Tư pháp tỉnh Long An"],
            attachments=[attachment(LONG_NAME, "application/pdf")],
            flags=[],
            notes=("The RFC 2231 filename must win over the stale RFC 2047 name=." if conflict else
                   "Body is format=flowed: the first paragraph arrives as two lines joined by a soft break. "
                   "The text after '-- ' is the signature."))


# --------------------------------------------------------------------------------------------
# 3. Outlook HTML with an inline image (Content-ID), with and without alt text


CID = f"image001.jpg@{OUTLOOK_DATE_SUFFIX}"
ALT = "Quang cảnh hội nghị"


def exchange_image_part(boundary):
    return (
        f"--{boundary}\n"
        'Content-Type: image/jpeg; name="image001.jpg"\n'
        "Content-Description: image001.jpg\n"
        f'Content-Disposition: inline; filename="image001.jpg"; size={len(JPEG_BLUE)};\n'
        '\tcreation-date="Mon, 30 Nov 2026 02:20:11 GMT";\n'
        '\tmodification-date="Mon, 30 Nov 2026 02:20:11 GMT"\n'
        f"Content-ID: <{CID}>\n"
        "Content-Transfer-Encoding: base64\n\n"
        + b64_body(JPEG_BLUE) + "\n")


def inline_image_fixtures():
    subject = "[Tin] Hội nghị tổng kết công tác tư pháp năm 2026"
    title = "Hội nghị tổng kết công tác tư pháp năm 2026"
    paragraph = ("Chiều ngày 29/11/2026, Sở Tư pháp tổ chức Hội nghị tổng kết công tác tư pháp năm 2026 "
                 "và triển khai nhiệm vụ năm 2027.")
    def html_for(alt):
        alt_attr = f' alt="{alt}"' if alt else ""
        img = (f"<img width=1 height=1 style='width:.0104in;height:.0104in' id=\"Picture_x0020_1\" "
               f'src="cid:{CID}"{alt_attr}>')
        return outlook_html("".join(mso_p(p) for p in [
            "Kính gửi Ban Biên tập,", "", paragraph, "", img, "", "Trân trọng.", "Văn thư Sở Tư pháp tỉnh Long An"]))
    plain = ("Kính gửi Ban Biên tập,\n\n" + paragraph + "\n\n[cid:" + CID + "]\n\n"
             "Trân trọng.\nVăn thư Sở Tư pháp tỉnh Long An\n")
    variants = [
        ("outlook-inline-image.eml", ALT, "html-only", 3),
        ("outlook-inline-image-noalt.eml", None, "html-only", 4),
        ("outlook-inline-image-alternative.eml", ALT, "alternative>related", 5),
        ("outlook-inline-image-related-alternative.eml", ALT, "related>alternative", 6),
    ]
    for name, alt, layout, n in variants:
        outer, inner = nextpart(0, n * 16), nextpart(1, n * 16 + 1)
        html = html_for(alt)
        html_part = (f"--{{b}}\nContent-Type: text/html;\n\tcharset=\"utf-8\"\n"
                     "Content-Transfer-Encoding: quoted-printable\n\n" + qp_body(html) + "\n")
        plain_part = (f"--{{b}}\nContent-Type: text/plain;\n\tcharset=\"utf-8\"\n"
                      "Content-Transfer-Encoding: quoted-printable\n\n" + qp_body(plain) + "\n")
        if layout == "html-only":
            content_type = f'multipart/related;\n\tboundary="{outer}";\n\ttype="text/html"'
            body = (html_part.replace("{b}", outer) + exchange_image_part(outer) + f"--{outer}--\n")
            shape = "multipart/related[html, image/jpeg inline + Content-ID]; no text/plain"
        elif layout == "alternative>related":
            content_type = f'multipart/alternative;\n\tboundary="{outer}"'
            body = (plain_part.replace("{b}", outer)
                    + f"--{outer}\nContent-Type: multipart/related;\n\tboundary=\"{inner}\";\n\ttype=\"text/html\"\n\n\n"
                    + html_part.replace("{b}", inner) + exchange_image_part(inner) + f"--{inner}--\n\n"
                    + f"--{outer}--\n")
            shape = "multipart/alternative[plain, related[html, image/jpeg inline + Content-ID]]"
        else:
            content_type = f'multipart/related;\n\tboundary="{outer}";\n\ttype="multipart/alternative"'
            body = (f"--{outer}\nContent-Type: multipart/alternative;\n\tboundary=\"{inner}\"\n\n\n"
                    + plain_part.replace("{b}", inner) + html_part.replace("{b}", inner) + f"--{inner}--\n\n"
                    + exchange_image_part(outer) + f"--{outer}--\n")
            shape = "multipart/related; type=multipart/alternative [alternative[plain, html], image/jpeg inline + Content-ID]"
        message_id = outlook_message_id(n)
        text = (outlook_headers(subject, "Mon, 30 Nov 2026 09:20:11 +0700", message_id, content_type, name)
                + "\nThis is a multipart message in MIME format.\n\n" + body + "\n")
        fixture(
            name, crlf(text),
            client="Microsoft Outlook 16.0 (image part as Exchange writes it: inline disposition with size "
                   "and dates, Content-Description = file name)",
            shape=shape, from_address=SENDER, from_name=SENDER_NAME, registered_sender=True,
            message_id=message_id, subject=subject, outcome="submission", title=title, kind="news",
            body_format="html", body_contains=["Sở Tư pháp tổ chức Hội nghị tổng kết công tác tư pháp năm 2026"],
            body_excludes=["[cid:"],
            attachments=[attachment("image001.jpg", "image/jpeg", inline=True, content_id=CID, alt_text=alt)],
            flags=[] if alt else ["missing_alt_text:image001.jpg"],
            notes=("Alt text comes from the <img alt> that references the Content-ID; the part's "
                   "Content-Description (image001.jpg) and file name are never alt text."
                   + ("" if alt else " No alt in the HTML: flag it.")
                   + (" The text/plain alternative holds only a '[cid:…]' placeholder for the image."
                      if layout != "html-only" else "")))


# --------------------------------------------------------------------------------------------
# 4. Forwards: inline (Thunderbird, Gmail) and as an attached message (Outlook)

FWD_NOTE = "Chuyển tiếp văn bản để đăng tải."
ORIG_SUBJECT = "[Văn bản] Kế hoạch tuyên truyền, phổ biến pháp luật năm 2027"
ORIG_FROM_NAME = "Phòng Phổ biến, giáo dục pháp luật - Sở Tư pháp tỉnh Long An"
ORIG_FROM = "pbgdpl@sotuphap.longan.gov.vn"
ORIG_DATE = "Thu, 26 Nov 2026 16:40:12 +0700"
ORIG_PARAGRAPHS = [
    "Kính gửi Văn phòng Sở,",
    "Phòng Phổ biến, giáo dục pháp luật gửi Kế hoạch số 56/KH-STP ngày 26/11/2026 về tuyên truyền, "
    "phổ biến pháp luật năm 2027, đề nghị Văn phòng chuyển Cổng Thông tin điện tử tỉnh đăng tải.",
    "Trân trọng.",
]
KH_NAME = "Kế hoạch 56-KH-STP tuyên truyền pháp luật năm 2027.pdf"


def forward_fixtures():
    title = "Kế hoạch tuyên truyền, phổ biến pháp luật năm 2027"
    forwarded = {"from": f"{ORIG_FROM_NAME} <{ORIG_FROM}>", "date": ORIG_DATE, "subject": ORIG_SUBJECT,
                 "body_contains": ["Kế hoạch số 56/KH-STP ngày 26/11/2026"]}

    # Thunderbird, Forward > Inline
    boundary = "------------" + alnum("tb-fwd", 24)
    message_id = uuid_like("tb-fwd") + "@" + DOMAIN
    lines = [FWD_NOTE, "", "", "-------- Forwarded Message --------",
             f"Subject: \t{ORIG_SUBJECT}", f"Date: \t{ORIG_DATE}",
             f"From: \t{ORIG_FROM_NAME} <{ORIG_FROM}>", f"To: \t{SENDER}", "", "", ""]
    for p in ORIG_PARAGRAPHS:
        lines += flowed(p) + [""]
    text = thunderbird_mixed_head("Fwd: " + ORIG_SUBJECT, "Mon, 30 Nov 2026 08:47:02 +0700", message_id, boundary)
    text += tb_text_part(boundary, lines[:-1])
    text += tb_pdf_part(boundary, KH_NAME, PDF_KH, True)
    text += f"--{boundary}--\n"
    fixture(
        "forward-inline.eml", crlf(text),
        client="Mozilla Thunderbird 128, Forward > Inline (plain text, format=flowed)",
        shape="multipart/mixed[plain flowed: note + '-------- Forwarded Message --------' block "
              "(Subject/Date/From/To, tab after the colon) + original text, pdf of the original]",
        from_address=SENDER, from_name=SENDER_NAME, registered_sender=True, message_id=message_id,
        subject="Fwd: " + ORIG_SUBJECT, outcome="submission", title=title, kind="directive_document",
        body_format="text", body_contains=[FWD_NOTE], forwarded=[forwarded],
        attachments=[attachment(KH_NAME, "application/pdf")], flags=[],
        notes="The note comes first; the forwarded text goes below it, marked as forwarded with its "
              "From, Date and Subject (not as a loose run of 'Subject: …' lines).")

    # Gmail, Forward (inline)
    boundary_mixed = "000000000000" + digest("gm-fwd-m").hex()[:16]
    boundary_alt = "000000000000" + digest("gm-fwd-a").hex()[:16]
    message_id = "CA" + alnum("gm-fwd-id", 44) + "@mail.gmail.com"
    gm_date = "Thu, Nov 26, 2026 at 4:40\u202fPM"
    plain = (FWD_NOTE + "\n\n---------- Forwarded message ---------\n"
             f"From: {ORIG_FROM_NAME} <{ORIG_FROM}>\nDate: {gm_date}\nSubject: {ORIG_SUBJECT}\n"
             f"To: <{SENDER}>\n\n\n" + "\n\n".join(ORIG_PARAGRAPHS) + "\n")
    html = (f'<div dir="ltr">{FWD_NOTE}<br><br><div class="gmail_quote gmail_quote_container">'
            '<div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>'
            f'From: <strong class="gmail_sendername" dir="auto">{ORIG_FROM_NAME}</strong> '
            f'<span dir="auto">&lt;<a href="mailto:{ORIG_FROM}">{ORIG_FROM}</a>&gt;</span><br>'
            f"Date: {gm_date}<br>Subject: {ORIG_SUBJECT}<br>"
            f'To: &lt;<a href="mailto:{SENDER}">{SENDER}</a>&gt;<br></div><br><br>'
            '<div dir="ltr">' + "".join(f"<div>{p}</div><div><br></div>" for p in ORIG_PARAGRAPHS)
            + "</div>\n</div></div>\n")
    subject_words = outlook_words("Fwd: " + ORIG_SUBJECT, max_bytes=45, charset="UTF-8")
    text = (
        "MIME-Version: 1.0\n"
        f"From: {outlook_words(SENDER_NAME, charset='UTF-8')[0]} <{SENDER}>\n"
        "Date: Mon, 30 Nov 2026 08:51:40 +0700\n"
        f"Message-ID: <{message_id}>\n"
        "Subject: " + "\n\t".join(subject_words) + "\n"
        f"To: {PORTAL}\n"
        f'Content-Type: multipart/mixed; boundary="{boundary_mixed}"\n\n'
        f"--{boundary_mixed}\n"
        f'Content-Type: multipart/alternative; boundary="{boundary_alt}"\n\n'
        f"--{boundary_alt}\n"
        'Content-Type: text/plain; charset="UTF-8"\nContent-Transfer-Encoding: quoted-printable\n\n'
        + qp_body(plain) + "\n"
        f"--{boundary_alt}\n"
        'Content-Type: text/html; charset="UTF-8"\nContent-Transfer-Encoding: quoted-printable\n\n'
        + qp_body(html) + "\n"
        f"--{boundary_alt}--\n"
        f"--{boundary_mixed}\n"
        f'Content-Type: application/pdf; \n\tname="{outlook_words(KH_NAME, max_bytes=200, charset="UTF-8")[0]}"\n'
        f'Content-Disposition: attachment; \n\tfilename="{outlook_words(KH_NAME, max_bytes=200, charset="UTF-8")[0]}"\n'
        "Content-Transfer-Encoding: base64\n"
        f"Content-ID: <f_{alnum('gm-fwd-att', 9).lower()}0>\n"
        f"X-Attachment-Id: f_{alnum('gm-fwd-att', 9).lower()}0\n\n"
        + b64_body(PDF_KH) + f"--{boundary_mixed}--\n")
    assert len(outlook_words(KH_NAME, max_bytes=200, charset="UTF-8")) == 1
    fixture(
        "forward-inline-gmail.eml", crlf(text),
        client="Gmail (web), Forward",
        shape="multipart/mixed[alternative[plain, html with div.gmail_quote / div.gmail_attr], pdf]; "
              "'---------- Forwarded message ---------' block",
        from_address=SENDER, from_name=SENDER_NAME, registered_sender=True, message_id=message_id,
        subject="Fwd: " + ORIG_SUBJECT, outcome="submission", title=title, kind="directive_document",
        body_format="html", body_contains=[FWD_NOTE],
        forwarded=[dict(forwarded, date=gm_date)],
        attachments=[attachment(KH_NAME, "application/pdf", content_id=f"f_{alnum('gm-fwd-att', 9).lower()}0")],
        flags=[],
        notes="Gmail's date in the block is 'Thu, Nov 26, 2026 at 4:40 PM' with U+202F before PM. "
              "The single-word name= and filename= are RFC 2047 inside quotes.")

    # Outlook, forward as attachment: the original as message/rfc822
    inner_mixed, inner_alt = nextpart(0, 0x21), nextpart(1, 0x22)
    inner_id = outlook_message_id(0x20)
    inner_name = "KH-56-STP-PBGDPL-2027.pdf"
    inner_plain = "\n\n".join(ORIG_PARAGRAPHS) + "\n"
    inner_html = outlook_html("".join(mso_p(p) for p in ORIG_PARAGRAPHS))
    inner = (
        f"From: {' '.join(outlook_words(ORIG_FROM_NAME))} <{ORIG_FROM}>\n"
        f"To: <{SENDER}>\n"
        "Subject: " + "\n\t".join(outlook_words(ORIG_SUBJECT)) + "\n"
        f"Date: {ORIG_DATE}\n"
        f"Message-ID: <{inner_id}>\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed;\n\tboundary="{inner_mixed}"\n'
        "X-Mailer: Microsoft Outlook 16.0\n"
        f"Thread-Index: {thread_index('fwd-inner')}\n"
        "Content-Language: vi-VN\n\n"
        "This is a multipart message in MIME format.\n\n"
        f"--{inner_mixed}\n"
        f'Content-Type: multipart/alternative;\n\tboundary="{inner_alt}"\n\n\n'
        + outlook_alternative(inner_alt, inner_plain, inner_html) + "\n"
        f"--{inner_mixed}\n"
        f'Content-Type: application/pdf;\n\tname="{inner_name}"\n'
        "Content-Transfer-Encoding: base64\n"
        f'Content-Disposition: attachment;\n\tfilename="{inner_name}"\n\n'
        + b64_body(PDF_KH) + "\n"
        f"--{inner_mixed}--\n\n")
    outer_mixed, outer_alt = nextpart(0, 0x23), nextpart(1, 0x24)
    message_id = outlook_message_id(0x23)
    note_plain = FWD_NOTE + "\n\nTrân trọng.\nVăn thư Sở Tư pháp tỉnh Long An\n"
    note_html = outlook_html("".join(mso_p(p) for p in [FWD_NOTE, "", "Trân trọng.", "Văn thư Sở Tư pháp tỉnh Long An"]))
    text = (
        outlook_headers("FW: " + ORIG_SUBJECT, "Mon, 30 Nov 2026 08:55:03 +0700", message_id,
                        f'multipart/mixed;\n\tboundary="{outer_mixed}"', "forward-attached")
        + "\nThis is a multipart message in MIME format.\n\n"
        f"--{outer_mixed}\n"
        f'Content-Type: multipart/alternative;\n\tboundary="{outer_alt}"\n\n\n'
        + outlook_alternative(outer_alt, note_plain, note_html) + "\n"
        f"--{outer_mixed}\n"
        "Content-Type: message/rfc822\n"
        "Content-Transfer-Encoding: 7bit\n"
        "Content-Disposition: attachment\n\n"
        + inner + "\n"
        f"--{outer_mixed}--\n\n")
    fixture(
        "forward-attached.eml", crlf(text),
        client="Microsoft Outlook 16.0, Forward as Attachment (Apple Mail nests the same way, with name=\"….eml\")",
        shape="multipart/mixed[alternative[plain note, html note], message/rfc822[mixed[alternative[plain, html], pdf]]]",
        from_address=SENDER, from_name=SENDER_NAME, registered_sender=True, message_id=message_id,
        subject="FW: " + ORIG_SUBJECT, outcome="submission", title=title, kind="directive_document",
        body_format="html", body_contains=[FWD_NOTE],
        forwarded=[dict(forwarded, from_address=ORIG_FROM, message_id=inner_id)],
        attachments=[attachment(inner_name, "application/pdf", forwarded=True)], flags=[],
        notes="The attached message's text goes below the note, marked as forwarded with its From, Date "
              "and Subject; its PDF joins the item's attachments. Its From display name is two base64 "
              "words, the first padded: it must decode in full.")


# --------------------------------------------------------------------------------------------
# 5. Photos only (iPhone)


def photo_only():
    subject = "[Ảnh] Hội nghị tổng kết"
    label = "iphone-photos"
    boundary = "Apple-Mail-" + uuid_like(label, upper=True)
    message_id = uuid_like(label + "-id", upper=True) + "@" + DOMAIN
    caption = "Đại biểu phát biểu"
    def part(filename, data, description=None):
        return (
            f"--{boundary}\n"
            f"Content-Type: image/jpeg;\n\tname={filename};\n\tx-apple-part-url={uuid_like(filename, upper=True)}\n"
            f"Content-Disposition: inline;\n\tfilename={filename}\n"
            + (f"Content-Description: {apple_words(description)}\n" if description else "")
            + "Content-Transfer-Encoding: base64\n\n"
            + b64_body(data) + "\n")
    text = (
        f"Content-Type: multipart/mixed; boundary={boundary}\n"
        "Content-Transfer-Encoding: 7bit\n"
        f"From: {apple_words(SENDER_NAME)} <{SENDER}>\n"
        "Mime-Version: 1.0 (1.0)\n"
        "Date: Mon, 30 Nov 2026 14:05:19 +0700\n"
        f"Subject: {apple_words(subject)}\n"
        f"Message-Id: <{message_id}>\n"
        f"To: {PORTAL}\n"
        "X-Mailer: iPhone Mail (22B91)\n\n"
        + part("IMG_0412.jpeg", JPEG_RED)
        + part("IMG_0413.jpeg", JPEG_GREEN, caption)
        + f"--{boundary}--\n")
    fixture(
        "photo-only.eml", crlf(text),
        client="iPhone Mail (iOS 18), photos inserted, body left empty",
        shape="multipart/mixed[image/jpeg inline, image/jpeg inline] with no text part; unquoted name=/filename=, "
              "x-apple-part-url; the second photo carries Content-Description (added for the fixture: iOS "
              "itself never writes one, some scanners and gateways do)",
        from_address=SENDER, from_name=SENDER_NAME, registered_sender=True, message_id=message_id,
        subject=subject, outcome="submission", title="Hội nghị tổng kết", kind="photo", body_format="text",
        body_contains=[],
        attachments=[attachment("IMG_0412.jpeg", "image/jpeg", inline=True),
                     attachment("IMG_0413.jpeg", "image/jpeg", inline=True, alt_text=caption)],
        flags=["missing_alt_text:IMG_0412.jpeg"],
        notes="A photo item needs no text: intake must accept an empty body for kind photo (not refuse "
              "with body_required). Content-Description is the caption/alt text of its photo.")


# --------------------------------------------------------------------------------------------
# 6. Thunderbird format=flowed with signature and quoted history; Gmail reply with gmail_quote

REPLY_SUBJECT = "[Tin] Hội nghị triển khai công tác phổ biến, giáo dục pháp luật năm 2027"
EDITOR_NAME = "Nguyễn Văn An"
EDITOR = "an.nv@longan.gov.vn"
EDITOR_MSGID = "5c9d2f7a-3b1e-4d6a-8f20-71c4e9b0a5d3@longan.gov.vn"
NEWS_P1 = ("Sáng ngày 27/11/2026, Sở Tư pháp tỉnh Long An tổ chức Hội nghị triển khai công tác phổ biến, "
           "giáo dục pháp luật năm 2027 với sự tham dự của hơn 150 đại biểu là lãnh đạo các sở, ban, ngành, "
           "Ủy ban nhân dân các huyện, thị xã, thành phố và báo cáo viên pháp luật cấp tỉnh.")
NEWS_P2 = ("Tại hội nghị, đại diện Sở Tư pháp đã quán triệt các nội dung trọng tâm của Kế hoạch phổ biến, "
           "giáo dục pháp luật năm 2027, trong đó nhấn mạnh việc ứng dụng công nghệ thông tin, chuyển đổi số "
           "trong công tác phổ biến pháp luật đến người dân và doanh nghiệp.")
NEWS_ITEMS = [" - Thời gian: 8 giờ 00, ngày 27/11/2026;", " - Địa điểm: Hội trường Ủy ban nhân dân tỉnh."]
QUOTED_REQUEST = ("Ban Biên tập Cổng Thông tin điện tử tỉnh đề nghị quý Sở gửi tin về Hội nghị triển khai "
                  "công tác phổ biến, giáo dục pháp luật năm 2027 (kèm ảnh, nếu có) trước ngày 01/12/2026 "
                  "để kịp đăng tải.")
QUOTED_NESTED = "Sở Tư pháp đã tổ chức hội nghị sáng nay; tin và ảnh sẽ được gửi sau."


def reply_fixtures():
    title = REPLY_SUBJECT.split("] ", 1)[1]
    attribution = f"Vào 28/11/2026 lúc 9:15, {EDITOR_NAME} đã viết:"
    lines = ["Kính gửi Ban Biên tập,", ""]
    lines += flowed(NEWS_P1) + [""] + flowed(NEWS_P2) + [""]
    lines += ["Thông tin hội nghị:"] + [l for item in NEWS_ITEMS for l in flowed(item)] + [""]
    lines += ["Trân trọng.", "", "-- ", "Văn thư Sở Tư pháp tỉnh Long An", "ĐT: 0272 3826 456", "", attribution]
    lines += ["> Kính gửi Văn phòng Sở Tư pháp,", ">"] + flowed(QUOTED_REQUEST, quote=1)
    lines += [">", "> Trân trọng,", f"> {EDITOR_NAME}", ">",
              "> Vào 27/11/2026 lúc 16:02, Văn thư Sở Tư pháp đã viết:"] + flowed(QUOTED_NESTED, quote=2)
    assert any(l.startswith("  - ") for l in lines), "a space-stuffed line"
    assert sum(1 for l in lines if l.endswith(" ") and l != "-- ") >= 4, "soft breaks"
    message_id = uuid_like("tb-flowed") + "@" + DOMAIN
    text = (
        f"Message-ID: <{message_id}>\n"
        "Date: Mon, 30 Nov 2026 10:05:33 +0700\n"
        "MIME-Version: 1.0\n"
        "User-Agent: Mozilla Thunderbird\n"
        + tb_header("Subject", "Re: " + REPLY_SUBJECT) + "\n"
        "Content-Language: vi\n"
        f"To: {PORTAL}\n"
        f"References: <{EDITOR_MSGID}>\n"
        f"From: {tb_mailbox(SENDER_NAME, SENDER)}\n"
        f"In-Reply-To: <{EDITOR_MSGID}>\n"
        "Content-Type: text/plain; charset=UTF-8; format=flowed; delsp=no\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        + "\n".join(lines) + "\n")
    fixture(
        "thunderbird-flowed.eml", crlf(text),
        client="Mozilla Thunderbird 128, plain-text reply (reply above the quote, signature above the quote)",
        shape="single text/plain; format=flowed; delsp=no (Thunderbird itself omits delsp, which means the same); "
              "soft-wrapped paragraphs, space-stuffed list lines, '-- ' signature, attribution + '> ' / '>> ' quotes",
        from_address=SENDER, from_name=SENDER_NAME, registered_sender=True, message_id=message_id,
        subject="Re: " + REPLY_SUBJECT, outcome="submission", title=title, kind="news", body_format="text",
        body_contains=[NEWS_P1, NEWS_P2, NEWS_ITEMS[0], NEWS_ITEMS[1]],
        body_excludes=[QUOTED_REQUEST, attribution, "ĐT: 0272 3826 456"],
        quoted_history_contains=[attribution, QUOTED_REQUEST, QUOTED_NESTED],
        signature="Văn thư Sở Tư pháp tỉnh Long An\nĐT: 0272 3826 456",
        attachments=[], flags=[],
        notes="Soft line breaks (line ending in a space) join; space-stuffing is undone (' - Thời gian…' keeps "
              "one leading space); the quoted history (attribution and '>' lines) is folded away from the body "
              "but kept with the item; the signature after '-- ' is not article text.")

    # Gmail reply
    gm_attr_plain = f"Vào Th 7, 28 thg 11, 2026 vào lúc 09:15 {EDITOR_NAME} <{EDITOR}>\nđã viết:"
    gm_attr = f"Vào Th 7, 28 thg 11, 2026 vào lúc 09:15 {EDITOR_NAME} <{EDITOR}> đã viết:"
    boundary = "000000000000" + digest("gm-reply").hex()[:16]
    message_id = "CA" + alnum("gm-reply-id", 44) + "@mail.gmail.com"
    plain = ("Kính gửi Ban Biên tập,\n\n" + NEWS_P1 + "\n\n" + NEWS_P2 + "\n\nTrân trọng.\n"
             "Văn thư Sở Tư pháp tỉnh Long An\n\n" + gm_attr_plain + "\n\n"
             "> Kính gửi Văn phòng Sở Tư pháp,\n>\n> " + QUOTED_REQUEST + "\n>\n> Trân trọng,\n> "
             + EDITOR_NAME + "\n>\n")
    html = ('<div dir="ltr"><div>Kính gửi Ban Biên tập,</div><div><br></div>'
            f"<div>{NEWS_P1}</div><div><br></div><div>{NEWS_P2}</div><div><br></div>"
            "<div>Trân trọng.</div><div>Văn thư Sở Tư pháp tỉnh Long An</div></div><br>"
            '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
            f'Vào Th 7, 28 thg 11, 2026 vào lúc 09:15 {EDITOR_NAME} &lt;<a href="mailto:{EDITOR}">{EDITOR}</a>&gt; '
            "đã viết:<br></div>"
            '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);'
            'padding-left:1ex"><div dir="ltr"><div>Kính gửi Văn phòng Sở Tư pháp,</div><div><br></div>'
            f"<div>{QUOTED_REQUEST}</div><div><br></div><div>Trân trọng,</div><div>{EDITOR_NAME}</div></div>\n"
            "</blockquote></div>\n")
    subject_words = outlook_words("Re: " + REPLY_SUBJECT, charset="UTF-8")
    text = (
        "MIME-Version: 1.0\n"
        f"References: <{EDITOR_MSGID}>\n"
        f"In-Reply-To: <{EDITOR_MSGID}>\n"
        f"From: {outlook_words(SENDER_NAME, charset='UTF-8')[0]} <{SENDER}>\n"
        "Date: Mon, 30 Nov 2026 10:31:07 +0700\n"
        f"Message-ID: <{message_id}>\n"
        "Subject: " + "\n\t".join(subject_words) + "\n"
        f"To: {PORTAL}\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\n\n'
        f"--{boundary}\n"
        'Content-Type: text/plain; charset="UTF-8"\nContent-Transfer-Encoding: quoted-printable\n\n'
        + qp_body(plain) + "\n"
        f"--{boundary}\n"
        'Content-Type: text/html; charset="UTF-8"\nContent-Transfer-Encoding: quoted-printable\n\n'
        + qp_body(html) + "\n"
        f"--{boundary}--\n")
    fixture(
        "gmail-reply-quote.eml", crlf(text),
        client="Gmail (web, Vietnamese interface), Reply",
        shape="multipart/alternative[plain with '> ' quotes, html with div.gmail_quote > div.gmail_attr + "
              "blockquote.gmail_quote]",
        from_address=SENDER, from_name=SENDER_NAME, registered_sender=True, message_id=message_id,
        subject="Re: " + REPLY_SUBJECT, outcome="submission", title=title, kind="news", body_format="html",
        body_contains=[NEWS_P1, NEWS_P2],
        body_excludes=[QUOTED_REQUEST, "đã viết:"],
        quoted_history_contains=[gm_attr, QUOTED_REQUEST],
        attachments=[], flags=[],
        notes="The div.gmail_quote (attribution + blockquote) is quoted history: folded away from the body, "
              "kept with the item. 28/11/2026 is a Saturday, so Gmail writes 'Th 7'.")


# --------------------------------------------------------------------------------------------
# 7. RFC 6532: raw UTF-8 headers


def smtputf8_fixtures():
    subject = "[Tin] Tuyên truyền pháp luật về hộ tịch tại xã Mỹ Yên"
    body = ("Ngày 28/11/2026, Sở Tư pháp phối hợp Ủy ban nhân dân xã Mỹ Yên tuyên truyền pháp luật về "
            "hộ tịch cho hơn 200 người dân.\n\nVăn thư Sở Tư pháp\n")
    for name, display, address, registered, label in [
        ("smtputf8.eml", "Văn thư", "vănthư@sotuphap.longan.gov.vn", False, "eai-1"),
        ("smtputf8-registered.eml", SENDER_NAME, SENDER, True, "eai-2"),
    ]:
        message_id = uuid_like(label) + "@" + DOMAIN
        text = (
            f"From: {display} <{address}>\n"
            f"To: {PORTAL}\n"
            f"Subject: {subject}\n"
            "Date: Mon, 30 Nov 2026 15:10:00 +0700\n"
            f"Message-ID: <{message_id}>\n"
            "MIME-Version: 1.0\n"
            'Content-Type: text/plain; charset="UTF-8"\n'
            "Content-Transfer-Encoding: 8bit\n\n" + body)
        fixture(
            name, crlf(text),
            client="RFC 6532 message as an SMTPUTF8 client submits it (headers in raw UTF-8, no encoded-words)",
            shape="single text/plain 8bit; raw UTF-8 in Subject and From"
                  + (" (display name and local part)" if not registered else " (display name only)"),
            from_address=nfc(address), from_name=display, registered_sender=registered, message_id=message_id,
            subject=subject, outcome="submission" if registered else "quarantine:unknown_sender",
            title="Tuyên truyền pháp luật về hộ tịch tại xã Mỹ Yên", kind="news", body_format="text",
            body_contains=["Sở Tư pháp phối hợp Ủy ban nhân dân xã Mỹ Yên"], attachments=[], flags=[],
            notes=("The address is not registered: quarantined as unknown_sender, with From and Subject "
                   "readable (UTF-8, not mojibake) in the quarantine row. No reply goes to it."
                   if not registered else "Raw UTF-8 Subject and display name decode as they are."))


# --------------------------------------------------------------------------------------------
# 8. Message-ID reuse, resend, exact duplicate

REUSED_ID = f"vbdh.20261201.0001@{DOMAIN}"


def phpmailer(subject, from_name, from_address, date, message_id, body, filename, content_type, data, label):
    boundary = "b1=_" + alnum(label, 32)
    return (
        f"Date: {date}\n"
        f"To: {PORTAL}\n"
        f"From: {' '.join(outlook_words(from_name, max_bytes=60, charset='UTF-8'))} <{from_address}>\n"
        "Subject: " + "\n ".join(outlook_words(subject, max_bytes=45, charset="UTF-8")) + "\n"
        f"Message-ID: <{message_id}>\n"
        "X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed;\n boundary="{boundary}"\n'
        "Content-Transfer-Encoding: 8bit\n\n"
        "This is a multi-part message in MIME format.\n"
        f"--{boundary}\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        + body + "\n"
        f"--{boundary}\n"
        f'Content-Type: {content_type}; name="{filename}"\n'
        "Content-Transfer-Encoding: base64\n"
        f'Content-Disposition: attachment; filename="{filename}"\n\n'
        + b64_body(data) + "\n"
        f"--{boundary}--\n")


def reuse_fixtures():
    a_subject = "[Tin] Sở Tư pháp tập huấn nghiệp vụ hộ tịch năm 2026"
    a_body = ("Ngày 01/12/2026, Sở Tư pháp tổ chức tập huấn nghiệp vụ hộ tịch cho công chức tư pháp - hộ tịch "
              "cấp xã trên địa bàn tỉnh.\n")
    a = crlf(phpmailer(a_subject, SENDER_NAME, SENDER, "Tue, 1 Dec 2026 08:30:00 +0700", REUSED_ID, a_body,
                       "ke-hoach-tap-huan-ho-tich.pdf", "application/pdf", PDF_TAPHUAN, "reuse-a"))
    client = "a document-management system sending with PHPMailer 6.9 and a fixed Message-ID"
    common = dict(client=client, message_id=REUSED_ID, from_name=SENDER_NAME)
    fixture("reused-message-id-a.eml", a, **common,
            shape="multipart/mixed[plain 8bit, pdf]; Message-ID shared with -b and -stranger",
            from_address=SENDER, registered_sender=True, subject=a_subject, outcome="submission",
            title="Sở Tư pháp tập huấn nghiệp vụ hộ tịch năm 2026", kind="news", body_format="text",
            body_contains=["tập huấn nghiệp vụ hộ tịch cho công chức"],
            attachments=[attachment("ke-hoach-tap-huan-ho-tich.pdf", "application/pdf")], flags=[],
            notes="Delivered first: an ordinary submission.")
    b_subject = "[Thông báo] Lịch tiếp công dân tháng 12/2026"
    b_body = ("Sở Tư pháp thông báo lịch tiếp công dân tháng 12/2026: sáng thứ Hai và thứ Năm hằng tuần "
              "tại Phòng tiếp công dân của Sở.\n")
    b = crlf(phpmailer(b_subject, SENDER_NAME, SENDER, "Wed, 2 Dec 2026 14:00:00 +0700", REUSED_ID, b_body,
                       "lich-tiep-cong-dan-12-2026.png", "image/png", PNG_LICH, "reuse-b"))
    fixture("reused-message-id-b.eml", b, **common,
            shape="same shape and Message-ID as -a; different subject, body and attachment (PNG)",
            from_address=SENDER, registered_sender=True, subject=b_subject, outcome="submission",
            title="Lịch tiếp công dân tháng 12/2026", kind="announcement", body_format="text",
            body_contains=["lịch tiếp công dân tháng 12/2026"],
            attachments=[attachment("lich-tiep-cong-dan-12-2026.png", "image/png")],
            flags=["reused_message_id", "missing_alt_text:lich-tiep-cong-dan-12-2026.png"],
            notes="Delivered after -a: a new, separate submission flagged as a reused Message-ID; never "
                  "answered 'Already received'.")
    s_subject = "[Tin] Thông báo khẩn"
    s = crlf(phpmailer(s_subject, "Người lạ", "nguoila@example.net", "Wed, 2 Dec 2026 15:00:00 +0700", REUSED_ID,
                       "Nội dung không rõ nguồn gốc.\n", "tin-khan.pdf", "application/pdf", PDF_TIN, "reuse-s"))
    fixture("reused-message-id-stranger.eml", s, **dict(common, from_name="Người lạ"),
            shape="same shape and Message-ID as -a, from an unregistered address",
            from_address="nguoila@example.net", registered_sender=False, subject=s_subject,
            outcome="quarantine:unknown_sender", title="Thông báo khẩn", kind="news", body_format="text",
            body_contains=["Nội dung không rõ nguồn gốc."],
            attachments=[attachment("tin-khan.pdf", "application/pdf")], flags=[],
            notes="Quarantined (unknown_sender) whether it arrives before or after -a; it must neither be "
                  "answered as the registered unit's submission nor block -a when it comes first.")
    resend = crlf(phpmailer(a_subject, SENDER_NAME, SENDER, "Tue, 1 Dec 2026 08:41:00 +0700",
                            f"vbdh.20261201.0002@{DOMAIN}", a_body, "ke-hoach-tap-huan-ho-tich.pdf",
                            "application/pdf", PDF_TAPHUAN, "reuse-a"))
    fixture("resend-same-content.eml", resend, **dict(common, message_id=f"vbdh.20261201.0002@{DOMAIN}"),
            shape="-a again with a new Message-ID and Date; subject, body and attachment identical",
            from_address=SENDER, registered_sender=True, subject=a_subject, outcome="submission",
            title="Sở Tư pháp tập huấn nghiệp vụ hộ tịch năm 2026", kind="news", body_format="text",
            body_contains=["tập huấn nghiệp vụ hộ tịch cho công chức"],
            attachments=[attachment("ke-hoach-tap-huan-ho-tich.pdf", "application/pdf")],
            flags=["likely_duplicate"],
            notes="Stored (the sender may mean it), flagged as a likely duplicate of -a's submission.")
    fixture("exact-duplicate.eml", a, **common,
            shape="byte-identical copy of reused-message-id-a.eml (an MTA retry or a resend of the same file)",
            from_address=SENDER, registered_sender=True, subject=a_subject, outcome="same_as:reused-message-id-a.eml",
            title="Sở Tư pháp tập huấn nghiệp vụ hộ tịch năm 2026", kind="news", body_format="text",
            body_contains=["tập huấn nghiệp vụ hộ tịch cho công chức"],
            attachments=[attachment("ke-hoach-tap-huan-ho-tich.pdf", "application/pdf")], flags=[],
            notes="Same Message-ID and same bytes as -a: one item; the delivery is answered 'Already received' "
                  "with -a's submission id.")


# --------------------------------------------------------------------------------------------
# 9. Outlook in windows-1258


def windows_1258():
    subject = "[Thông báo] Lịch tiếp công dân tháng 12 năm 2026"
    filename = "Lịch tiếp công dân tháng 12.pdf"
    body = ("Kính gửi Ban Biên tập,\n\nSở Tư pháp thông báo lịch tiếp công dân định kỳ tháng 12 năm 2026 "
            "(tệp đính kèm).\n\nTrân trọng.\nVăn thư Sở Tư pháp tỉnh Long An\n")
    mixed = nextpart(0, 0x41)
    message_id = outlook_message_id(0x41)
    text = (
        f"From: {' '.join(outlook_q_words(SENDER_NAME, 'windows-1258'))} <{SENDER}>\n"
        f"To: <{PORTAL}>\n"
        "Subject: " + "\n\t".join(outlook_q_words(subject, "windows-1258")) + "\n"
        "Date: Mon, 30 Nov 2026 16:22:45 +0700\n"
        f"Message-ID: <{message_id}>\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed;\n\tboundary="{mixed}"\n'
        "X-Mailer: Microsoft Outlook 16.0\n"
        f"Thread-Index: {thread_index('cp1258')}\n"
        "Content-Language: vi-VN\n\n"
        "This is a multipart message in MIME format.\n\n"
        f"--{mixed}\n"
        'Content-Type: text/plain;\n\tcharset="windows-1258"\n'
        "Content-Transfer-Encoding: quoted-printable\n\n"
        + quopri.encodestring(encode_cp1258(body)).decode("ascii") + "\n"
        f"--{mixed}\n"
        'Content-Type: application/pdf;\n\tname="' + "\n ".join(outlook_q_words(filename, "windows-1258")) + '"\n'
        "Content-Transfer-Encoding: base64\n"
        'Content-Disposition: attachment;\n\tfilename="' + "\n ".join(outlook_q_words(filename, "windows-1258")) + '"\n\n'
        + b64_body(PDF_LICH) + "\n"
        f"--{mixed}--\n\n")
    fixture(
        "windows-1258-outlook.eml", crlf(text),
        client="Microsoft Outlook 16.0, plain-text format, encoding 'Vietnamese (Windows)'",
        shape="multipart/mixed[plain windows-1258 QP, pdf]; Subject, From name and file name as "
              "=?windows-1258?Q?…?= words; tones as combining marks (0xEC, 0xD2, 0xF2, …) after the base letter",
        from_address=SENDER, from_name=SENDER_NAME, registered_sender=True, message_id=message_id,
        subject=subject, outcome="submission", title="Lịch tiếp công dân tháng 12 năm 2026", kind="announcement",
        body_format="text", body_contains=["Sở Tư pháp thông báo lịch tiếp công dân định kỳ tháng 12 năm 2026"],
        attachments=[attachment(filename, "application/pdf")], flags=[],
        notes="Decoding windows-1258 yields base letters + combining tone marks (NFD-like); title, body and "
              "file name must be stored in NFC, equal to the precomposed strings here.")


# --------------------------------------------------------------------------------------------
# README


README_HEAD = """# Mail fixtures

Raw messages (`.eml`, CRLF) shaped the way the named mail clients put them on the wire, for the
intake service (`webmaster@longan.gov.vn` over LMTP, parsed with GMime 3). They are what a client
submits: no `Received`, `Return-Path` or `Authentication-Results`; a test that needs those
prepends them.

Generated — do not edit by hand:

    python3 Tests/Fixtures/mail/make_fixtures.py     # writes *.eml, expected.json, README.md
    python3 Tests/Fixtures/mail/check_fixtures.py    # parses every file with Python's email package

`expected.json` holds the same expectations as the table, machine-readable (one object per
file: `title`, `kind`, `body_contains`, `body_excludes`, `forwarded`, `quoted_history_contains`,
`attachments[]` with `filename` as decoded, `stored_filename`, `content_type`, `inline`,
`content_id`, `alt_text`, and `flags`, `outcome`).

Sender: `vanthu@sotuphap.longan.gov.vn`, a registered unit mailbox, unless the table says
otherwise. Attachments are real and tiny: 1x1 JPEG (written by libvips), 1x1 PNG, one-page PDF.

Rules the expectations follow:

- **Title**: Subject without reply/forward prefixes (`Re:`, `Fwd:`, `FW:`) and without the kind tag.
- **File names**: every RFC 2047 word and every RFC 2231 continuation decoded, stored in NFC. When
  both `filename*` (RFC 2231) and `name=` (RFC 2047) are present, the RFC 2231 one wins. A `/` in a
  decoded name is replaced (proposed: `-`) rather than refusing the message.
- **Alt text**: for an inline image, the `alt` of the `<img>` that references its Content-ID; for an
  attached photo, its `Content-Description`. Never the file name (`image001.jpg`) and never a
  `Content-Description` that is only the file name, as Exchange writes it. No alt text → flag
  `missing_alt_text:<file>`.
- **Forwards**: the sender's note first; the forwarded text below it, marked as forwarded with its
  From, Date and Subject; the forwarded message's attachments join the item's.
- **Quoted history and signatures**: format=flowed soft breaks are joined; a reply's quoted history
  (attribution line plus `>` lines, or Gmail's `div.gmail_quote`) is folded away from the body but
  kept with the item; text after the `-- ` signature separator is not article text.
- **Message-IDs**: a repeat is the same item only when it comes from the same sender with the same
  content (`exact-duplicate.eml`). The same Message-ID with other content is a new item flagged
  `reused_message_id`; the same content with a new Message-ID is a new item flagged
  `likely_duplicate`; a stranger reusing a unit's Message-ID is quarantined and affects nothing else.

Flag names (`missing_alt_text:…` exists today; `reused_message_id`, `likely_duplicate` are
proposed) and outcomes (`submission`, `quarantine:<reason>`, `same_as:<file>`) are what the
table and `expected.json` use.

"""


def md(text):
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def render_readme():
    rows = ["| File | Client shape | Outcome | Title (kind) | Body must contain | Attachments (decoded → stored; alt text) | Flags | Notes |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for e in EXPECTED:
        atts = []
        for a in e["attachments"]:
            s = f"`{a['filename']}`"
            if a["stored_filename"] != a["filename"]:
                s += f" → `{a['stored_filename']}`"
            s += f" ({a['content_type']}"
            if a["inline"]:
                s += ", inline"
            if a["content_id"]:
                s += f", cid `{a['content_id']}`"
            if a["from_forwarded_message"]:
                s += ", from the attached message"
            s += ")"
            if a["content_type"].startswith("image/"):
                s += f"; alt: {('“' + a['alt_text'] + '”') if a['alt_text'] else '— (flag)'}"
            atts.append(s)
        body = "; ".join(f"“{b[:70]}{'…' if len(b) > 70 else ''}”" for b in e["body_contains"]) or "— (empty)"
        if e.get("forwarded"):
            f = e["forwarded"][0]
            body += f"; below it, marked forwarded: From {f['from']}, Date {f['date']}, Subject “{f['subject']}”"
        if e.get("body_excludes"):
            body += "; must NOT contain: " + "; ".join(f"“{b[:50]}{'…' if len(b) > 50 else ''}”" for b in e["body_excludes"])
        frm = "" if e["from_address"] == SENDER else f"From `{e['from_address']}`. "
        rows.append("| " + " | ".join(md(x) for x in [
            f"`{e['file']}`", f"{e['client']}: {e['shape']}", e["outcome"], f"{e['title']} ({e['kind']})", body,
            "<br>".join(atts) or "—", ", ".join(f"`{f}`" for f in e["flags"]) or "—", frm + e["notes"]]) + " |")
    return README_HEAD + "\n".join(rows) + "\n"


def build():
    FIXTURES.clear()
    EXPECTED.clear()
    outlook_long_filename()
    rfc2231_fixtures()
    inline_image_fixtures()
    forward_fixtures()
    photo_only()
    reply_fixtures()
    smtputf8_fixtures()
    reuse_fixtures()
    windows_1258()
    return FIXTURES, EXPECTED


def write(folder):
    files, expected = build()
    for name, data in files.items():
        assert len(data) < 20_000, f"{name} is {len(data)} bytes"
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    with open(os.path.join(folder, "expected.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(expected, f, ensure_ascii=False, indent=2)
        f.write("\n")
    with open(os.path.join(folder, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(render_readme())
    return files


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else HERE
    written = write(target)
    for name, data in written.items():
        print(f"{len(data):6d}  {name}")
