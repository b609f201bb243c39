#!/usr/bin/env python3
"""Postfix in front of intake, run from deploy/postfix as production runs it, and mail sent through it.

A private Postfix instance (deploy/postfix/render + deploy/postfix/private-instance) with OpenDKIM and
OpenDMARC, on spare loopback ports. A test zone on a loopback DNS server (dnsmasq) publishes the SPF
record, DKIM key and DMARC policy of sotuphap.longan.gov.vn; the instance and its milters resolve
through it from a mount namespace of their own, whose /etc/resolv.conf names that server, so no
lookup leaves the machine and the system's resolver is untouched. The client claims an outside
address with XCLIENT (allowed to loopback only in a private instance), so SPF and the milters judge
each message as if it came from there: 192.0.2.25 is the department's server, 203.0.113.66 is not.

Modes:
  postfix_check.py --sink [--workdir DIR] [--keep]
      Self-check: a small LMTP sink stands in for intake and an SMTP sink for the province's mail
      store; every kind below is sent and what arrives is checked. Everything is stopped at the end
      (unless --keep). Exit status 0 when every check passed.
  postfix_check.py --lmtp HOST:PORT --workdir DIR [--relay HOST:PORT] --send KIND [--send KIND ...]
      Starts the instance in DIR if it is not running (handing webmaster@ to HOST:PORT, normally the
      real intake), sends, waits for Postfix's first delivery attempt and prints one JSON object per
      message on stdout (SMTP reply, Message-ID, per-recipient delivery status and reply). The
      instance keeps running for the next call.
  postfix_check.py --workdir DIR --flush      Postfix retries its queue now (postqueue -f).
  postfix_check.py --workdir DIR --delivery QUEUE_ID [--wait S]
      The latest delivery status of a message sent earlier (say, deferred while intake was down,
      then flushed), as JSON; waits up to S seconds for every recipient to be sent or bounced.
  postfix_check.py --workdir DIR --stop       Stops Postfix, the milters and the DNS server of DIR.

KIND: good (SPF, DKIM and DMARC pass), forged (the department's From: from another server, a broken
DKIM signature, and Authentication-Results/Received-SPF headers claiming passes), oversized (over
message_size_limit, with and without SIZE), large (the largest attachment the README promises),
utf8 (SMTPUTF8: a Vietnamese envelope address and raw UTF-8 headers), other (addresses of the domain
that are not intake's: they go to the mail store).

Needs root (Postfix and the milters switch users; the mount namespace) and Debian's postfix,
opendkim, opendmarc, dnsmasq-base, python3-dkim (dkimsign, dknewkey) and util-linux (unshare).
Only the Python standard library is imported.
"""
import argparse
import base64
import email.policy
import email.utils
import json
import os
import random
import re
import shutil
import signal
import smtplib
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RENDER = REPO / "deploy/postfix/render"
PRIVATE_INSTANCE = REPO / "deploy/postfix/private-instance"

AUTHSERV_ID = "mx.longan.gov.vn"
DOMAIN = "longan.gov.vn"
WEBMASTER = "webmaster@longan.gov.vn"
UNIT_DOMAIN = "sotuphap.longan.gov.vn"
# A unit mailbox intake knows (seeds/unit_mailboxes.csv), so that a message that passes becomes a submission.
UNIT_SENDER = "vanthu@sotuphap.longan.gov.vn"
UNIT_SERVER = ("192.0.2.25", "mail.sotuphap.longan.gov.vn")  # in the unit's SPF record
FORGER = ("203.0.113.66", "mail.sotuphap.longan.gov.vn")  # claims the same name, from elsewhere
SELECTOR = "lan2026"
# deploy/postfix/main.cf.in; intake's INTAKE_MAIL_MAX_BYTES default is 26214400.
MESSAGE_SIZE_LIMIT = 25_000_000
INTAKE_MAX_BYTES = 26_214_400
# README.md: "about 18 MB of attachments". Base64 makes 57 bytes into a 78-byte line (76 + CRLF).
LARGEST_ATTACHMENT = 18_000_000
TOO_LARGE_ATTACHMENT = 18_500_000
KINDS = ("good", "forged", "oversized", "large", "utf8", "other")

# Which package provides each program, for the message when one is missing.
TOOLS = {
    "postfix": "postfix", "postmap": "postfix", "postalias": "postfix", "postqueue": "postfix",
    "opendkim": "opendkim", "opendmarc": "opendmarc", "dnsmasq": "dnsmasq-base",
    "dkimsign": "python3-dkim", "dknewkey": "python3-dkim", "unshare": "util-linux", "mount": "mount",
}
FILES = {"/usr/share/publicsuffix/public_suffix_list.dat": "publicsuffix"}


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def require_tools():
    """Fails with the packages to install, before anything is started."""
    missing = sorted({pkg for tool, pkg in TOOLS.items() if not shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")}
                     | {pkg for path, pkg in FILES.items() if not os.path.exists(path)})
    if missing:
        sys.exit("postfix_check: missing Debian packages: %s\n  apt-get install --no-install-recommends %s\n"
                 "  (preseed postfix first: echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections)"
                 % (", ".join(missing), " ".join(missing)))
    if os.geteuid() != 0:
        sys.exit("postfix_check: must run as root (Postfix and the milters switch users; the mount namespace needs it)")
    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"


def spare_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spare_dns_address():
    """A loopback address whose port 53 is free: resolv.conf cannot name a port, so the test zone
    needs port 53, and another address of 127/8 keeps clear of any resolver already on 127.0.0.1."""
    for _ in range(50):
        address = "127.53.%d.%d" % (random.randint(0, 255), random.randint(1, 254))
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                with socket.socket(socket.AF_INET, kind) as s:
                    s.bind((address, 53))
            return address
        except OSError:
            continue
    sys.exit("postfix_check: no free loopback address for the test DNS server")


def run(args, **kwargs):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (" ".join(map(str, args)), result.returncode, result.stdout, result.stderr))
    return result.stdout


# --------------------------------------------------------------------------------------------------
# The instance: DNS zone, DKIM key, rendered Postfix, milters
# --------------------------------------------------------------------------------------------------

class Instance:
    def __init__(self, workdir):
        self.dir = Path(workdir).resolve()
        self.state_file = self.dir / "harness.json"
        self.state = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}

    @property
    def conf(self):
        return self.dir / "etc"

    @property
    def maillog(self):
        return self.dir / "log/maillog"

    def running(self):
        return subprocess.run(["postfix", "-c", str(self.conf), "status"], capture_output=True).returncode == 0

    def start(self, lmtp, relay=None):
        if self.state and self.running():
            if self.state["lmtp"] != lmtp or self.state.get("relay") != relay:
                sys.exit("postfix_check: %s runs with --lmtp %s --relay %s; --stop it first"
                         % (self.dir, self.state["lmtp"], self.state.get("relay")))
            return
        if self.state:
            self.stop()  # what is left of an earlier start (a DNS server, a milter)
        started = time.monotonic()
        self.dir.mkdir(parents=True, exist_ok=True)
        # Postfix's and the milters' own users go through this folder to their sockets and files.
        os.chmod(self.dir, 0o755)
        closed = [str(p) for p in self.dir.parents if not os.stat(p).st_mode & 0o001]
        if closed:
            sys.exit("postfix_check: the users postfix, opendkim and opendmarc cannot pass through %s; "
                     "choose a --workdir they can reach (say, under /tmp)" % ", ".join(closed))
        self.state = {"lmtp": lmtp, "relay": relay, "smtp_port": spare_port(), "dns": spare_dns_address()}
        self.state_file.write_text(json.dumps(self.state, indent=2))
        try:
            self._dkim_key()
            self._start_dns()
            args = [RENDER, self.dir, "--smtp-port", self.state["smtp_port"], "--lmtp", lmtp, "--with-milters",
                    "--nameserver", self.state["dns"]]
            if relay:
                args += ["--relay", relay]
            run(args)
            resolv = self.dir / "resolv.conf"
            resolv.write_text("# the test zone's server (postfix_check.py)\nnameserver %s\n" % self.state["dns"])
            # Processes started inside the namespace keep it after unshare returns: Postfix's master, the
            # services it spawns and the milters all read this resolv.conf; nothing else on the machine does.
            run(["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                 'mount --bind "$1" /etc/resolv.conf && exec "$2" "$3" start', "sh", resolv, PRIVATE_INSTANCE, self.dir])
        except BaseException:
            self.stop()  # whatever did start (the DNS server, a milter) does not outlive the failure
            raise
        log("postfix_check: instance in %s: SMTP 127.0.0.1:%d, LMTP %s, DNS %s (%.1f s)"
            % (self.dir, self.state["smtp_port"], lmtp, self.state["dns"], time.monotonic() - started))

    def _dkim_key(self):
        keys = self.dir / "keys"
        keys.mkdir(exist_ok=True)
        if not (keys / (SELECTOR + ".key")).exists():
            run(["dknewkey", SELECTOR], cwd=keys)

    def _start_dns(self):
        record = (self.dir / "keys" / (SELECTOR + ".dns")).read_text().strip()
        # A TXT string holds at most 255 bytes: the 2048-bit key is published in pieces, as in real zones.
        pieces = ",".join('"%s"' % record[i:i + 200] for i in range(0, len(record), 200))
        conf = self.dir / "dnsmasq.conf"
        conf.write_text("\n".join([
            "# The test zone (postfix_check.py): answers for longan.gov.vn only, asks nobody else.",
            "port=53", "listen-address=" + self.state["dns"], "bind-interfaces", "no-resolv", "no-hosts",
            "local=/%s/" % DOMAIN,
            "pid-file=%s" % (self.dir / "dnsmasq.pid"),
            "log-queries", "log-facility=%s" % (self.dir / "log/dnsmasq.log"),
            'txt-record=%s,"v=spf1 ip4:%s -all"' % (UNIT_DOMAIN, UNIT_SERVER[0]),
            'txt-record=_dmarc.%s,"v=DMARC1; p=reject"' % UNIT_DOMAIN,
            "txt-record=%s._domainkey.%s,%s" % (SELECTOR, UNIT_DOMAIN, pieces),
            'txt-record=%s,"v=spf1 -all"' % DOMAIN,
            'txt-record=_dmarc.%s,"v=DMARC1; p=reject; sp=reject"' % DOMAIN,
            ""]))
        (self.dir / "log").mkdir(exist_ok=True)
        run(["dnsmasq", "-C", conf])

    def stop(self):
        if (self.conf / "main.cf").exists():
            run([PRIVATE_INSTANCE, self.dir, "stop"])
        pid_file = self.dir / "dnsmasq.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            try:
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):
                    # Gone, or dead and waiting for init to collect it: either way it serves nothing.
                    if "State:\tZ" in Path("/proc/%d/status" % pid).read_text():
                        break
                    time.sleep(0.05)
            except (ProcessLookupError, FileNotFoundError):
                pass
            pid_file.unlink()

    def flush(self):
        run(["postqueue", "-c", self.conf, "-f"])

    def deliveries(self, queue_id):
        """Postfix's delivery attempts of one queue file, following alias expansions
        ("forwarded as ..."), from maillog: {recipient: (status, relay, reply)}; the last attempt wins."""
        pattern = re.compile(r" (?P<id>[0-9A-F]+): to=<(?P<to>[^>]*)>,(?: orig_to=<(?P<orig>[^>]*)>,)? relay=(?P<relay>[^,]*), "
                             r".*? status=(?P<status>\w+) \((?P<reply>.*)\)$")
        text = self.maillog.read_text(errors="replace") if self.maillog.exists() else ""
        found, ids = {}, [queue_id]
        while ids:
            qid = ids.pop()
            for line in text.splitlines():
                m = pattern.search(line)
                if not m or m["id"] != qid:
                    continue
                if m["relay"] == "local" and "forwarded as " in m["reply"]:
                    ids.append(m["reply"].rsplit("forwarded as ", 1)[1].strip())
                    continue
                found[m["orig"] or m["to"]] = {"status": m["status"], "relay": m["relay"], "reply": m["reply"], "to": m["to"]}
        return found


# --------------------------------------------------------------------------------------------------
# Sinks: intake's LMTP listener and the mail store's SMTP, as far as Postfix can tell
# --------------------------------------------------------------------------------------------------

class Sink(socketserver.ThreadingTCPServer):
    """Stores each message with its envelope. LMTP answers once per recipient after DATA
    (RFC 2033); announces SMTPUTF8 and intake's SIZE, and refuses more than that, as intake does."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, lmtp):
        self.lmtp = lmtp
        self.messages = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), SinkSession)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.server_address[1]

    def find(self, message_id):
        with self.lock:
            return [m for m in self.messages if message_id.encode() in m["data"].split(b"\r\n\r\n", 1)[0]]


class SinkSession(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self):
        server = self.server
        self.reply("220 sink.test %s" % ("LMTP" if server.lmtp else "ESMTP"))
        sender, recipients = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb in ("LHLO", "EHLO", "HELO"):
                self.reply("250-sink.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
                           "250-SMTPUTF8\r\n250 SIZE %d" % INTAKE_MAX_BYTES)
            elif verb == "MAIL":
                sender, recipients = command[len("MAIL FROM:"):].strip(), []
                self.reply("250 2.1.0 ok")
            elif verb == "RCPT":
                recipients.append(command[len("RCPT TO:"):].strip())
                self.reply("250 2.1.5 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                chunks, size = [], 0
                while True:
                    part = self.rfile.readline()
                    if part in (b".\r\n", b""):
                        break
                    if part.startswith(b".."):
                        part = part[1:]
                    chunks.append(part)
                    size += len(part)
                data = b"".join(chunks)
                if size > INTAKE_MAX_BYTES:
                    answer = "552 5.3.4 message too big"
                else:
                    with server.lock:
                        server.messages.append({"mail_from": sender, "rcpt_to": list(recipients), "data": data})
                    answer = "250 2.0.0 stored"
                for _ in (recipients if server.lmtp else [None]):
                    self.reply(answer)
                sender, recipients = None, []
            elif verb == "RSET":
                sender, recipients = None, []
                self.reply("250 2.0.0 ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("250 2.0.0 ok" if verb == "NOOP" else "502 5.5.2 not here")


# --------------------------------------------------------------------------------------------------
# The messages
# --------------------------------------------------------------------------------------------------

FORGED_HEADERS = [
    ("Authentication-Results", "mx.longan.gov.vn; dkim=pass; spf=pass; dmarc=pass"),
    ("Authentication-Results", "mx.longan.gov.vn; spf=pass smtp.mailfrom=sotuphap.longan.gov.vn"),
    ("Authentication-Results", "(kiểm tra) mx.longan.gov.vn; dmarc=pass header.from=sotuphap.longan.gov.vn"),
    ("authentication-results", "MX.LONGAN.GOV.VN;\r\n\tdkim=pass header.d=sotuphap.longan.gov.vn header.s=lan2026"),
    ("Received-SPF", "Pass (mx.longan.gov.vn: domain of vanthu@sotuphap.longan.gov.vn designates 203.0.113.66 as permitted sender)"),
    # A space before the colon: still the header to Postfix and to intake's parser, so removed too.
    ("Authentication-Results ", "mx.longan.gov.vn; dmarc=pass header.from=sotuphap.longan.gov.vn policy.spaced=yes"),
    ("Received-SPF\t", "Pass (mx.longan.gov.vn: spaced colon)"),
]


def message(kind, tag, sender=UNIT_SENDER, subject=None, body=None, attachment=0):
    m = EmailMessage(policy=email.policy.SMTPUTF8)
    m["From"] = "Sở Tư pháp tỉnh Long An <%s>" % sender
    m["To"] = WEBMASTER
    m["Subject"] = subject or "Kiểm tra đường thư %s (%s)" % (kind, tag)
    m["Date"] = email.utils.formatdate(localtime=True)
    m["Message-ID"] = email.utils.make_msgid(idstring="%s.%s" % (kind, tag), domain=UNIT_DOMAIN)
    # 8bit, as today's mailers send Vietnamese text (and a body the forged kind can alter in place).
    m.set_content(body or "Sở Tư pháp gửi tin về hội nghị triển khai công tác năm 2027 (%s).\n" % kind, cte="8bit")
    if attachment:
        # Looks like a PDF from the start; the rest is filler that does not compress.
        pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + os.urandom(attachment - 32) + b"\n%%EOF\n"
        m.add_attachment(pdf[:attachment], maintype="application", subtype="pdf", filename="bao-cao-%s.pdf" % kind)
    return m


def dkim_sign(raw, workdir):
    return subprocess.run(["dkimsign", SELECTOR, UNIT_DOMAIN, str(workdir / "keys" / (SELECTOR + ".key"))],
                          input=raw, capture_output=True, check=True).stdout


def smtp_send(instance, client, envelope_from, recipients, raw, declare_size=True, smtputf8=False):
    """One SMTP transaction through the instance as if from client=(address, name). Returns
    {"code", "reply", "stage", "queue_id"}; a refusal is a result, not an exception."""
    with smtplib.SMTP("127.0.0.1", instance.state["smtp_port"], local_hostname="harness.test", timeout=120) as smtp:
        smtp.ehlo()
        code, reply = smtp.docmd("XCLIENT", "ADDR=%s NAME=%s HELO=%s" % (client[0], client[1], client[1]))
        if code != 220:
            raise RuntimeError("XCLIENT refused: %d %s" % (code, reply))
        smtp.ehlo(client[1])
        options = (["SIZE=%d" % len(raw)] if declare_size else []) + ["BODY=8BITMIME"] + (["SMTPUTF8"] if smtputf8 else [])
        code, reply = smtp.mail(envelope_from, options)
        if code != 250:
            return {"code": code, "reply": reply.decode(), "stage": "MAIL"}
        for recipient in recipients:
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                return {"code": code, "reply": reply.decode(), "stage": "RCPT"}
        code, reply = smtp.docmd("DATA")
        if code != 354:
            return {"code": code, "reply": reply.decode(), "stage": "DATA"}
        smtp.send(re.sub(rb"(?m)^\.", b"..", raw) + (b"" if raw.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        code, reply = smtp.getreply()
        text = reply.decode()
        queue_id = re.search(r"queued as ([0-9A-F]+)", text)
        return {"code": code, "reply": text, "stage": "end of DATA", "queue_id": queue_id and queue_id[1]}


def send(instance, kind, wait=20.0):
    """Sends one kind; returns what the Swift test and the self-check look at."""
    tag = "%s-%d" % (time.strftime("%H%M%S"), random.randint(1000, 9999))
    results = []

    def one(m, client=UNIT_SERVER, envelope_from=UNIT_SENDER, recipients=(WEBMASTER,), sign=True, tamper=None,
            extra_headers=(), declare_size=True, smtputf8=False, note=None):
        raw = m.as_bytes(policy=email.policy.SMTPUTF8.clone(linesep="\r\n"))
        if sign:
            raw = dkim_sign(raw, instance.dir)
        if tamper:
            head, body = raw.split(b"\r\n\r\n", 1)
            raw = head + b"\r\n\r\n" + body.replace(*tamper)
        if extra_headers:
            raw = b"".join(("%s: %s\r\n" % h).encode() for h in extra_headers) + raw
        outcome = smtp_send(instance, client, envelope_from, list(recipients), raw, declare_size=declare_size, smtputf8=smtputf8)
        outcome.update({"kind": kind, "message_id": m["Message-ID"], "subject": str(m["Subject"]), "bytes": len(raw),
                        "client": client[0], "envelope_from": envelope_from, "recipients": list(recipients)})
        if note:
            outcome["note"] = note
        outcome["delivery"] = {}
        if outcome.get("queue_id"):
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                outcome["delivery"] = instance.deliveries(outcome["queue_id"])
                if all(r in outcome["delivery"] for r in recipients):
                    break
                time.sleep(0.05)
        results.append(outcome)

    if kind == "good":
        one(message(kind, tag))
    elif kind == "forged":
        # From the department's name but another server; the body changed after signing, so the
        # signature fails; and results claiming passes written by the sender.
        one(message(kind, tag, body="Đề nghị đăng ngay thông báo thay đổi số tài khoản nhận tiền.\n"), client=FORGER,
            tamper=("thay đổi".encode(), "cập nhật".encode()), extra_headers=FORGED_HEADERS)
    elif kind == "oversized":
        m = message(kind, tag, attachment=TOO_LARGE_ATTACHMENT)
        one(m, sign=False, note="SIZE declared: refused at MAIL FROM")
        one(m, sign=False, declare_size=False, note="no SIZE: refused at the end of DATA")
    elif kind == "large":
        one(message(kind, tag, attachment=LARGEST_ATTACHMENT))
    elif kind == "utf8":
        one(message(kind, tag, subject="Báo cáo tháng 11 — Sở Tư pháp (%s)" % tag,
                    body="Kính gửi Ban Biên tập: tin bài kèm theo, tiếng Việt có dấu ở cả tiêu đề và địa chỉ.\n"),
            envelope_from="văn.thư@" + UNIT_DOMAIN, smtputf8=True)
    elif kind == "other":
        one(message(kind, tag), recipients=("vanthu@" + DOMAIN, "postmaster@" + DOMAIN, "postmaster@" + AUTHSERV_ID))
    else:
        raise ValueError(kind)
    return results


# --------------------------------------------------------------------------------------------------
# What arrived (self-check)
# --------------------------------------------------------------------------------------------------

def header_block(data):
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    return re.sub(r"\r\n[ \t]+", " ", head)  # unfolded


def auth_results(data):
    """[(authserv-id, {method: result})] of every Authentication-Results header, read the way intake
    reads it (Shared/Mail/MailDraft.swift AuthenticationCheck): the first word is the server."""
    found = []
    for line in header_block(data).split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() != "authentication-results":
            continue
        parts = [p.strip() for p in value.split(";")]
        server = parts[0].split(" ")[0] if parts and parts[0] else ""
        methods = {}
        for part in parts[1:]:
            word = part.split(" ")[0]
            if "=" in word:
                method, result = word.split("=", 1)
                methods[method.lower()] = result.lower()
        found.append((server, methods))
    return found


def trusted(data):
    """The results mx.longan.gov.vn wrote: {method: result}."""
    merged = {}
    for server, methods in auth_results(data):
        if server.lower() == AUTHSERV_ID:
            merged.update({m: r for m, r in methods.items() if m in ("spf", "dkim", "dmarc")})
    return merged


class Checks:
    def __init__(self):
        self.failures, self.lines = [], []

    def expect(self, condition, text):
        self.lines.append(("ok  " if condition else "FAIL") + "  " + text)
        if not condition:
            self.failures.append(text)


def verify(kind, results, lmtp_sink, smtp_sink, checks):
    r = results[0]
    if kind in ("good", "large", "utf8", "forged"):
        checks.expect(r["code"] == 250, "%s: Postfix accepted it (%d %s)" % (kind, r["code"], r["reply"]))
        delivery = r["delivery"].get(WEBMASTER, {})
        checks.expect(delivery.get("status") == "sent", "%s: handed to the LMTP sink: %s" % (kind, delivery or "no attempt logged"))
        arrived = lmtp_sink.find(r["message_id"])
        checks.expect(len(arrived) == 1, "%s: arrived once at the LMTP sink (%d)" % (kind, len(arrived)))
        if not arrived:
            return
        data, head = arrived[0]["data"], header_block(arrived[0]["data"])
        results_seen = trusted(data)
        checks.expect(all(server.lower() == AUTHSERV_ID for server, _ in auth_results(data)),
                      "%s: every Authentication-Results is %s's: %s" % (kind, AUTHSERV_ID, [s for s, _ in auth_results(data)]))
        if kind == "forged":
            checks.expect(results_seen == {"spf": "fail", "dkim": "fail", "dmarc": "fail"},
                          "forged: %s reports spf, dkim and dmarc fail: %s" % (AUTHSERV_ID, results_seen))
            checks.expect(not any(v == "pass" for _, m in auth_results(data) for v in m.values()),
                          "forged: no pass of any kind left in Authentication-Results")
            for name, value in FORGED_HEADERS:
                first = value.split("\r\n")[0]
                checks.expect(first not in head, "forged: removed %s: %s" % (name, first[:60]))
            checks.expect("received-spf" not in head.lower(), "forged: no Received-SPF")
        else:
            checks.expect(results_seen == {"spf": "pass", "dkim": "pass", "dmarc": "pass"},
                          "%s: %s reports spf, dkim and dmarc pass: %s" % (kind, AUTHSERV_ID, results_seen))
        if kind == "large":
            checks.expect(len(data) <= INTAKE_MAX_BYTES,
                          "large: %d bytes of attachment, sent as %d bytes, arrive as %d (Postfix and the milters added %d), within intake's %d"
                          % (LARGEST_ATTACHMENT, r["bytes"], len(data), len(data) - r["bytes"], INTAKE_MAX_BYTES))
        if kind == "utf8":
            checks.expect("SMTPUTF8" in arrived[0]["mail_from"].upper() and "văn.thư@" in arrived[0]["mail_from"],
                          "utf8: LMTP envelope kept the UTF-8 sender and SMTPUTF8: %s" % arrived[0]["mail_from"])
            checks.expect(r["subject"] in head, "utf8: the raw UTF-8 Subject arrived unchanged")
    elif kind == "oversized":
        for attempt in results:
            checks.expect(attempt["code"] == 552, "oversized (%s, %d bytes): %d %s" % (attempt["note"], attempt["bytes"], attempt["code"], attempt["reply"]))
        checks.expect(results[0]["stage"] == "MAIL", "oversized: with SIZE, refused before any data is sent")
        checks.expect(not lmtp_sink.find(results[0]["message_id"]), "oversized: nothing reached the LMTP sink")
    elif kind == "other":
        checks.expect(r["code"] == 250, "other: Postfix accepted it (%d %s)" % (r["code"], r["reply"]))
        for recipient in r["recipients"]:
            delivery = r["delivery"].get(recipient, {})
            checks.expect(delivery.get("status") == "sent" and delivery.get("relay", "").endswith(smtp_sink.address.split(":")[1]),
                          "other: %s went to the mail store: %s" % (recipient, delivery or "no attempt logged"))
        checks.expect(not lmtp_sink.find(r["message_id"]), "other: nothing for these addresses reached intake's LMTP")
        checks.expect(len(smtp_sink.find(r["message_id"])) >= 1, "other: the mail store received it")


# --------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sink", action="store_true", help="self-check with sinks of its own")
    parser.add_argument("--lmtp", help="HOST:PORT of intake's LMTP listener")
    parser.add_argument("--relay", help="HOST:PORT of the mail store for the domain's other addresses")
    parser.add_argument("--workdir", help="the instance's folder (default: a new temporary folder)")
    parser.add_argument("--send", action="append", choices=KINDS, default=[])
    parser.add_argument("--wait", type=float, default=20.0, help="seconds to wait for Postfix's first delivery attempt")
    parser.add_argument("--flush", action="store_true")
    parser.add_argument("--stop", action="store_true")
    parser.add_argument("--delivery", metavar="QUEUE_ID", help="latest delivery status of a message sent earlier")
    parser.add_argument("--keep", action="store_true", help="--sink: leave the instance running (its sinks stop)")
    args = parser.parse_args()

    if args.stop or args.flush or args.delivery:
        if not args.workdir:
            parser.error("--stop, --flush and --delivery need --workdir")
        instance = Instance(args.workdir)
        if args.flush:
            instance.flush()
        if args.delivery:
            deadline = time.monotonic() + args.wait
            while True:
                found = instance.deliveries(args.delivery)
                final = found and all(d["status"] in ("sent", "bounced") for d in found.values())
                if final or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            print(json.dumps({"queue_id": args.delivery, "delivery": found}, ensure_ascii=False))
        if args.stop:
            instance.stop()
        return 0
    require_tools()
    if args.sink:
        return self_check(args)
    if not (args.lmtp and args.workdir and args.send):
        parser.error("give --sink, or --lmtp HOST:PORT --workdir DIR --send KIND, or --workdir DIR --stop")
    instance = Instance(args.workdir)
    instance.start(args.lmtp, args.relay)
    for kind in args.send:
        for outcome in send(instance, kind, args.wait):
            print(json.dumps(outcome, ensure_ascii=False), flush=True)
    return 0


def self_check(args):
    began = time.monotonic()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="postfix-check-"))
    lmtp_sink, smtp_sink = Sink(lmtp=True), Sink(lmtp=False)
    instance = Instance(workdir)
    checks = Checks()
    timings = {}
    try:
        instance.start(lmtp_sink.address, smtp_sink.address)
        timings["start"] = time.monotonic() - began
        for kind in args.send or KINDS:
            t = time.monotonic()
            results = send(instance, kind, args.wait)
            timings[kind] = time.monotonic() - t
            verify(kind, results, lmtp_sink, smtp_sink, checks)
    except Exception as error:  # a failure to start or send is a failed check, with the logs to read
        checks.expect(False, "harness: %s: %s" % (type(error).__name__, error))
    finally:
        if not args.keep:
            t = time.monotonic()
            instance.stop()
            timings["stop"] = time.monotonic() - t
        lmtp_sink.shutdown()
        smtp_sink.shutdown()
    print("\n".join(checks.lines))
    print("times: " + ", ".join("%s %.2f s" % item for item in timings.items()) + "; total %.1f s" % (time.monotonic() - began))
    if checks.failures:
        print("%d check(s) failed; logs in %s/log (maillog, dnsmasq.log)" % (len(checks.failures), workdir))
        return 1
    print("all %d checks passed" % len(checks.lines))
    if not args.workdir and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
