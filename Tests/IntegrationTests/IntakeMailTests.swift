import Foundation
import Mail
import Store
import TestSupport
import Testing

/// Mail to webmaster@ through the running `intake` process, sent by Python's smtplib: a
/// standard client that knows nothing of the portal.
@Suite("Intake by mail", .serialized)
struct IntakeMailTests {
    static let port = 18_196

    /// Python's own mail library builds the message and speaks LMTP or SMTP. It prints the reply
    /// to the last command it sent: `CODE TEXT`.
    static let client = #"""
        import smtplib, sys
        from email.message import EmailMessage
        from email.utils import make_msgid, formatdate
        port, dialect, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        if path.startswith("compose:"):
            out, sender = path[len("compose:"):].split(",")
            msg = EmailMessage()
            msg["From"] = "Nguyễn Văn An <" + sender + ">"
            msg["To"] = "webmaster@longan.gov.vn"
            msg["Subject"] = "[Bài] Sở Tư pháp tổ chức hội nghị tổng kết công tác năm 2026"
            msg["Message-ID"] = make_msgid(domain="sotuphap.longan.gov.vn")
            msg["Date"] = formatdate(localtime=True)
            msg.set_content("Sáng ngày 28/11, Sở Tư pháp tỉnh Long An tổ chức hội nghị tổng kết.\nĐồng chí Giám đốc chủ trì.")
            png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da636460f85f0f0002870180eb47ba920000000049454e44ae426082")
            msg.add_attachment(png, maintype="image", subtype="png", filename="Ảnh hội nghị.png")
            msg.add_attachment(b"%PDF-1.4\n%portal\n", maintype="application", subtype="pdf", filename="Kế hoạch số 12.pdf")
            data = msg.as_bytes()
            open(out, "wb").write(data)
        else:
            data = open(path, "rb").read()
        # On the wire every line ends in CRLF, as an MTA sends it.
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        size = int(sys.argv[4]) if len(sys.argv) > 4 else len(data)
        client = smtplib.LMTP("127.0.0.1", port) if dialect == "lmtp" else smtplib.SMTP("127.0.0.1", port)
        client.ehlo_or_helo_if_needed() if dialect == "smtp" else client.ehlo()
        for code, text in [client.mail("sender@example.vn", ["SIZE=%d" % size]), client.rcpt("webmaster@longan.gov.vn")]:
            if code != 250:
                print(code, text.decode()); sys.exit(0)
        code, text = client.data(data)
        print(code, text.decode())
        client.quit()
        """#

    struct Fixture {
        let env: TestEnvironment
        let pool: DatabasePool
        let intake: ServiceProcess
        let outgoing: String
        let work: String

        /// Sends `path` (or composes a message into it, with `compose:OUT,SENDER`); returns the reply.
        func send(_ path: String, dialect: String = "lmtp", declaredSize: Int? = nil) throws -> (code: Int, text: String) {
            let script = "\(work)/client.py"
            if !FileManager.default.fileExists(atPath: script) {
                try IntakeMailTests.client.write(toFile: script, atomically: true, encoding: .utf8)
            }
            let port = dialect == "lmtp" ? intake.lmtpPort : intake.smtpPort
            let result = try env.run("/usr/bin/env", ["python3", script, String(port), dialect, path] + (declaredSize.map { [String($0)] } ?? []))
            let line = result.output.split(separator: "\n").last.map(String.init) ?? ""
            guard result.status == 0, let code = Int(line.prefix(3)) else { throw SetupError("mail client failed: \(result.output)") }
            return (code, String(line.dropFirst(4)))
        }

        func write(_ text: String, named name: String) throws -> String {
            let path = "\(work)/\(name)"
            try Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        /// Messages the relay wrote to the local mail folder, parsed.
        func sentMail() throws -> [ParsedMail] {
            let folder = "\(outgoing)/new"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return try names.map { try MailParser.parse([UInt8](FileManager.default.contents(atPath: "\(folder)/\($0)") ?? Data())) }
        }
    }

    func fixture(_ extra: [String: String] = [:]) async throws -> Fixture {
        let env = try TestEnvironment()
        let pool = try await env.database()
        let work = NSTemporaryDirectory() + "portal-mail-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let outgoing = "\(work)/outgoing"
        let intake = try ServiceProcess(
            "intake", port: Self.port,
            environment: ["PORTAL_MAIL_RELAY": "folder:\(outgoing)", "INTAKE_MAIL_MAX_BYTES": "200000"].merging(extra) { $1 }, in: env)
        try await intake.waitUntilReady()
        return Fixture(env: env, pool: pool, intake: intake, outgoing: outgoing, work: work)
    }

    /// Runs `body` against a fresh intake, which stops cleanly afterwards whatever happens.
    func withFixture(_ extra: [String: String] = [:], _ body: (Fixture) async throws -> Void) async throws {
        let f = try await fixture(extra)
        do {
            try await body(f)
        } catch {
            _ = try? await f.intake.terminate()
            throw error
        }
        #expect(try await f.intake.terminate() == 0)
    }

    static func id(in reply: String) throws -> UUID {
        try #require(reply.split(separator: " ").last.flatMap { UUID(uuidString: String($0)) }, "no id in '\(reply)'")
    }

    @Test("A Vietnamese email with a photo and a PDF becomes one submission, decoded, acknowledged to its sender")
    func vietnameseMailWithAttachments() async throws {
        try await withFixture { f in
            let message = "\(f.work)/hoi-nghi.eml"
            let first = try f.send("compose:\(message),nvan@sotuphap.longan.gov.vn")
            #expect(first.code == 250, "\(first.text)")
            #expect(first.text.contains("Received as submission"))
            let id = try Self.id(in: first.text)

            let row = try await f.pool.withConnection {
                try $0.query(
                    "SELECT channel, kind, title, body_html, sender_address, unit_code, array_to_json(flags)::text AS flags FROM intake.submissions WHERE id = $1",
                    [id]
                ).one()
            }
            #expect(try row.decode("channel", as: String.self) == "email")
            #expect(try row.decode("kind", as: String.self) == "article", "the [Bài] tag sets the kind")
            #expect(try row.decode("title", as: String.self) == "Sở Tư pháp tổ chức hội nghị tổng kết công tác năm 2026")
            #expect(try row.decode("body_html", as: String.self).contains("Đồng chí Giám đốc chủ trì."))
            #expect(try row.decode("unit_code", as: String.self) == "department-sotuphap")
            #expect(try row.decode("flags", as: String.self).contains("missing_alt_text:Ảnh hội nghị.png"))
            let attachments = try await f.pool.withConnection {
                try $0.query(
                    """
                    SELECT a.filename, a.content_type, b.data FROM intake.attachments a JOIN core.blobs b ON b.sha256 = a.sha256
                    WHERE a.submission_id = $1 ORDER BY a.position
                    """, [id]
                ).rows.map { (try $0.decode("filename", as: String.self), try $0.decode("content_type", as: String.self), try $0.decode("data", as: ByteA.self).bytes) }
            }
            #expect(attachments.map(\.0) == ["Ảnh hội nghị.png", "Kế hoạch số 12.pdf"])
            #expect(attachments.map(\.1) == ["image/png", "application/pdf"])
            #expect(attachments.last?.2 == Array("%PDF-1.4\n%portal\n".utf8))
            // The message as received is kept byte for byte.
            let raw = try await f.pool.withConnection {
                try $0.query(
                    "SELECT b.data FROM intake.submissions s JOIN core.blobs b ON b.sha256 = s.raw_sha256 WHERE s.id = $1", [id]
                ).one().decode("data", as: ByteA.self).bytes
            }
            let sent = [UInt8](try #require(FileManager.default.contents(atPath: message)))
            #expect(String(decoding: raw, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n") == String(decoding: sent, as: UTF8.self))

            // The same Message-ID again: the same submission, nothing doubled.
            let again = try f.send(message)
            #expect(again.code == 250)
            #expect(again.text.contains("Already received as submission \(id.uuidString.lowercased())"))
            let count = try await f.pool.withConnection {
                try $0.query("SELECT count(*) AS n FROM intake.submissions WHERE title = $1 AND id = $2", [
                    "Sở Tư pháp tổ chức hội nghị tổng kết công tác năm 2026", id,
                ]).one().decode("n", as: Int.self)
            }
            #expect(count == 1)

            // The sender is told the tracking id, in Vietnamese.
            try await eventually("the acknowledgement reaches the mail folder") {
                try f.sentMail().contains { $0.text?.contains(id.uuidString.lowercased()) ?? false }
            }
            let acknowledgement = try #require(try f.sentMail().first { $0.text?.contains(id.uuidString.lowercased()) ?? false })
            #expect(acknowledgement.subject == "Đã tiếp nhận: Sở Tư pháp tổ chức hội nghị tổng kết công tác năm 2026")
            #expect(acknowledgement.headerValues("To").first == "nvan@sotuphap.longan.gov.vn")
            #expect(acknowledgement.headerValues("In-Reply-To").first?.contains("sotuphap.longan.gov.vn") == true)
            #expect(try f.sentMail().filter { $0.text?.contains(id.uuidString.lowercased()) ?? false }.count == 1, "one acknowledgement, not one per delivery")

            // The same over SMTP, from the unit's own mailbox.
            let smtp = try f.send("compose:\(f.work)/smtp.eml,vanthu@sotuphap.longan.gov.vn", dialect: "smtp")
            #expect(smtp.code == 250, "\(smtp.text)")
            #expect(smtp.text.contains("Received as submission"))
        }
    }

    @Test("Unknown senders, failed authentication and broken MIME are quarantined with the raw message, never lost")
    func quarantine() async throws {
        try await withFixture { f in
            let unknown = try f.write("""
                From: Someone <someone@example.com>
                To: webmaster@longan.gov.vn
                Subject: =?UTF-8?Q?Qu=E1=BA=A3ng_c=C3=A1o?=
                Message-ID: <\(UUID().uuidString)@example.com>

                Mua ngay!

                """, named: "unknown.eml")
            let forged = try f.write("""
                Authentication-Results: mx.longan.gov.vn; spf=fail smtp.mailfrom=sotuphap.longan.gov.vn; dmarc=fail header.from=sotuphap.longan.gov.vn
                From: nvan@sotuphap.longan.gov.vn
                To: webmaster@longan.gov.vn
                Subject: Tin giả mạo
                Message-ID: <\(UUID().uuidString)@example.com>

                Nội dung

                """, named: "forged.eml")
            let broken = try f.write("""
                From: nvan@sotuphap.longan.gov.vn
                To: webmaster@longan.gov.vn
                Subject: Thư hỏng
                Message-ID: <\(UUID().uuidString)@sotuphap.longan.gov.vn>
                Content-Type: multipart/mixed

                không có ranh giới

                """, named: "broken.eml")
            let mislabelled = try f.write("""
                From: nvan@sotuphap.longan.gov.vn
                To: webmaster@longan.gov.vn
                Subject: Ảnh không phải ảnh
                Message-ID: <\(UUID().uuidString)@sotuphap.longan.gov.vn>
                Content-Type: multipart/mixed; boundary="b"

                --b
                Content-Type: text/plain; charset=utf-8

                Xem ảnh.
                --b
                Content-Type: image/png; name="anh.png"
                Content-Disposition: attachment; filename="anh.png"
                Content-Transfer-Encoding: base64

                TVogaXMgbm90IGEgcG5n
                --b--

                """, named: "mislabelled.eml")
            for (path, reason) in [(unknown, "unknown_sender"), (forged, "authentication_failed"), (broken, "malformed_mime"),
                                   (mislabelled, "content_type_mismatch")] {
                let reply = try f.send(path)
                #expect(reply.code == 250, "\(reason): \(reply.text)")
                #expect(reply.text.contains("Kept for review (\(reason))"), "\(reply.text)")
                let id = try Self.id(in: reply.text)
                let row = try await f.pool.withConnection {
                    try $0.query(
                        """
                        SELECT q.reason, q.status, q.detail, b.data FROM intake.quarantine q JOIN core.blobs b ON b.sha256 = q.raw_sha256
                        WHERE q.id = $1
                        """, [id]
                    ).one()
                }
                #expect(try row.decode("reason", as: String.self) == reason)
                #expect(try row.decode("status", as: String.self) == "held")
                #expect(!(try row.decode("detail", as: String.self)).isEmpty)
                let kept = try row.decode("data", as: ByteA.self).bytes
                #expect(kept == [UInt8](FileManager.default.contents(atPath: path)!), "the raw message is kept as sent")
                let events = try await f.pool.withConnection {
                    try $0.query("SELECT count(*) AS n FROM intake.outbox WHERE routing_key = 'submission.quarantined' AND envelope ILIKE $1",
                                 ["%\(id.uuidString.lowercased())%"]).one().decode("n", as: Int.self)
                }
                #expect(events == 1, "\(reason): one submission.quarantined event")
            }
            // A registered sender hears why; a stranger or a forger hears nothing.
            try await eventually("the registered sender is told why the photo was refused") {
                try f.sentMail().contains { $0.subject == "Chưa tiếp nhận được: Ảnh không phải ảnh" }
            }
            #expect(try f.sentMail().allSatisfy { $0.headerValues("To").first != "someone@example.com" })
            #expect(try f.sentMail().allSatisfy { !$0.subject.contains("Tin giả mạo") })
        }
    }

    @Test("Reply codes: 550 for an unknown mailbox, 552 for a message over the limit")
    func replyCodes() async throws {
        try await withFixture { f in
            let small = try f.write("From: nvan@sotuphap.longan.gov.vn\nSubject: x\n\ny\n", named: "small.eml")
            let declared = try f.send(small, declaredSize: 300_000)
            #expect(declared.code == 552, "a declared size over INTAKE_MAIL_MAX_BYTES is refused before the data")
            let big = try f.write("From: nvan@sotuphap.longan.gov.vn\nSubject: x\n\n" + String(repeating: "Bến Lức\n", count: 30_000), named: "big.eml")
            let undeclared = try f.send(big, declaredSize: 10)
            #expect(undeclared.code == 552, "a message that turns out over the limit is refused after the data")
            let script = "\(f.work)/client.py"
            let source = try String(contentsOfFile: script, encoding: .utf8).replacingOccurrences(of: "webmaster@longan.gov.vn\")]", with: "nobody@longan.gov.vn\")]")
            try source.write(toFile: "\(f.work)/client-other.py", atomically: true, encoding: .utf8)
            let result = try f.env.run("/usr/bin/env", ["python3", "\(f.work)/client-other.py", String(f.intake.lmtpPort), "lmtp", small])
            #expect(result.output.hasPrefix("550"), "\(result.output)")
        }
    }

    @Test("portalctl mail import hands an mbox to intake, with the same checks and no duplicates")
    func mailImport() async throws {
        try await withFixture { f in
            let known = UUID().uuidString
            let mbox = try f.write("""
                From nvan@sotuphap.longan.gov.vn Mon Nov 30 08:00:00 2026
                From: nvan@sotuphap.longan.gov.vn
                Subject: =?UTF-8?Q?Tin_c=C5=A9_1?=
                Message-ID: <\(known)@sotuphap.longan.gov.vn>

                Dòng một
                >From the archive

                From someone@example.com Mon Nov 30 08:00:00 2026
                From: someone@example.com
                Subject: Spam
                Message-ID: <\(UUID().uuidString)@example.com>

                x

                """, named: "old.mbox")
            let import1 = try f.env.run(try f.env.executable("portalctl"), ["mail", "import", mbox, "--lmtp", "127.0.0.1:\(f.intake.lmtpPort)"])
            #expect(import1.status == 0, "\(import1.output)")
            #expect(import1.output.contains("submitted: 1"))
            #expect(import1.output.contains("quarantined: 1"))
            let body = try await f.pool.withConnection {
                try $0.query("SELECT body FROM intake.submissions WHERE title = $1 AND sender_address = $2 ORDER BY received_at DESC LIMIT 1",
                             ["Tin cũ 1", "nvan@sotuphap.longan.gov.vn"]).one().decode("body", as: String.self)
            }
            #expect(body.contains("From the archive") && !body.contains(">From"), "mboxrd quoting is undone")
            // Run again: nothing new.
            let import2 = try f.env.run(try f.env.executable("portalctl"), ["mail", "import", mbox, "--lmtp", "127.0.0.1:\(f.intake.lmtpPort)"])
            #expect(import2.output.contains("already received: 2"), "\(import2.output)")
        }
    }

    @Test("The SMTP relay client (libcurl) hands mail to a real SMTP server, and a relay that fails leaves the mail for a retry, then failed")
    func smtpRelay() async throws {
        try await withFixture { f in
            let title = "Qua máy chủ chuyển tiếp \(UUID().uuidString.prefix(6))"
            let bytes = MailComposer.compose(
                OutgoingMail(from: "nvan@sotuphap.longan.gov.vn", to: "webmaster@longan.gov.vn", subject: title, text: "Nội dung qua SMTP."),
                messageId: "\(UUID().uuidString)@sotuphap.longan.gov.vn", date: Date())
            // Intake's own SMTP listener is the real server at the other end.
            let relay = SMTPRelaySender(url: "smtp://127.0.0.1:\(f.intake.smtpPort)")
            try await relay.send(bytes, from: "nvan@sotuphap.longan.gov.vn", to: "webmaster@longan.gov.vn")
            let stored = try await f.pool.withConnection {
                try $0.query("SELECT count(*) AS n FROM intake.submissions WHERE title = $1 AND channel = 'email'", [title]).one().decode("n", as: Int.self)
            }
            #expect(stored == 1)
            await #expect(throws: SMTPRelaySender.Failure.self, "a 550 from the relay is an error, not a silent success") {
                try await relay.send(bytes, from: "nvan@sotuphap.longan.gov.vn", to: "nobody@longan.gov.vn")
            }

            // A relay that does not answer: the message waits and is tried again, then stays failed with
            // the error. An outbox of its own, so that no running service sends it first.
            let schema = "mailtest_\(UUID().uuidString.prefix(8).lowercased())"
            let outbox = MailOutbox(schema: schema, domain: "longan.gov.vn")
            try await f.pool.withConnection {
                try $0.script("CREATE SCHEMA \(schema);\n" + MailOutbox.migration(schema: schema))
                try outbox.enqueue(OutgoingMail(from: "webmaster@longan.gov.vn", to: "a@sotuphap.longan.gov.vn", subject: "Thử lại", text: "x"), on: $0)
            }
            let unreachable = MailRelay(
                outbox: outbox, database: f.pool, sender: SMTPRelaySender(url: "smtp://127.0.0.1:9", timeoutSeconds: 5),
                logger: f.env.logger, retryDelaysSeconds: [0])
            func state() async throws -> (status: String, attempts: Int, error: String?) {
                try await f.pool.withConnection {
                    let row = try $0.query("SELECT status, attempts, last_error FROM \(schema).mail_outbox").one()
                    return (try row.decode("status"), try row.decode("attempts"), try row.decodeIfPresent("last_error"))
                }
            }
            #expect(try await unreachable.sendDue() == 1)
            let first = try await state()
            #expect(first.status == "pending" && first.attempts == 1, "\(first)")
            #expect(first.error?.contains("SMTP relay") == true)
            #expect(try await unreachable.sendDue() == 1)
            #expect(try await state().status == "failed", "after the last retry the mail stays, marked failed")
            #expect(try await unreachable.sendDue() == 0)
            try await f.pool.withConnection { try $0.script("DROP SCHEMA \(schema) CASCADE") }
        }
    }

    /// Sends every file of a folder over one LMTP connection and prints one reply code per message.
    static let batchClient = #"""
        import smtplib, sys, os
        port, folder = int(sys.argv[1]), sys.argv[2]
        client = smtplib.LMTP("127.0.0.1", port)
        client.ehlo()
        for name in sorted(os.listdir(folder)):
            data = open(os.path.join(folder, name), "rb").read()
            try:
                client.mail("fuzz@example.vn")
                client.rcpt("webmaster@longan.gov.vn")
                code, _ = client.data(data)
            except smtplib.SMTPDataError as error:
                code = error.smtp_code
            except smtplib.SMTPServerDisconnected:
                client = smtplib.LMTP("127.0.0.1", port); client.ehlo(); code = 0
            print(name, code)
            client.rset()
        client.quit()
        """#

    @Test("Bounded fuzz against the running service: mangled mail and JSON get a reply code, never a 5xx or a crash")
    func fuzzTheRunningService() async throws {
        try await withFixture { f in
            var random = SplitMix64(seed: UInt64(Date().timeIntervalSince1970))
            let base = Array("""
                From: nvan@sotuphap.longan.gov.vn\r\nSubject: =?UTF-8?Q?Th=C3=B4ng_b=C3=A1o?=\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n\
                --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNội dung\r\n--b\r\nContent-Type: application/pdf; name="a.pdf"\r\n\
                Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n
                """.utf8)
            let folder = "\(f.work)/fuzz"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for index in 0..<80 {
                let message = Mutator.mutate(base, using: &random)
                try Data(message).write(to: URL(fileURLWithPath: String(format: "%@/%03d.eml", folder, index)))
            }
            try Self.batchClient.write(toFile: "\(f.work)/batch.py", atomically: true, encoding: .utf8)
            let result = try f.env.run("/usr/bin/env", ["python3", "\(f.work)/batch.py", String(f.intake.lmtpPort), folder])
            let codes = result.output.split(separator: "\n").compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
            #expect(codes.count == 80, "one reply per message: \(result.output.suffix(500))")
            #expect(codes.allSatisfy { $0 == 250 || (500..<600).contains($0) }, "accepted or refused, never a temporary failure: \(codes)")

            let token = try IntakeAPITests().token("ctv.tuphap", f.env)
            let json = Array(IntakeAPITests().submission().utf8)
            var statuses = [Int]()
            for _ in 0..<80 {
                let body = String(decoding: Mutator.mutate(json, using: &random), as: UTF8.self)
                let response = httpRequest(
                    "POST", f.intake.url("/api/v1/submissions"),
                    headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"], body: body)
                statuses.append(response.status ?? 0)
            }
            #expect(statuses.allSatisfy { (200..<500).contains($0) }, "never a 5xx or no answer: \(statuses)")
            #expect(await httpGet(f.intake.url("/healthz")).status == 200)
            #expect(f.intake.isRunning)
        }
    }

    @Test("Issue 11: mail sessions are bounded: past INTAKE_MAIL_MAX_CONNECTIONS the greeting is 421 and the MTA retries later")
    func mailSessionsAreBounded() async throws {
        try await withFixture(["INTAKE_MAIL_MAX_CONNECTIONS": "2"]) { f in
            let script = """
                import socket, sys
                port = int(sys.argv[1])
                held = []
                for n in range(3):
                    s = socket.create_connection(("127.0.0.1", port), timeout=10)
                    held.append(s)
                    print(s.recv(512).decode().split(" ")[0])
                """
            try script.write(toFile: "\(f.work)/sessions.py", atomically: true, encoding: .utf8)
            let run = try f.env.run("/usr/bin/env", ["python3", "\(f.work)/sessions.py", String(f.intake.lmtpPort)])
            #expect(run.output.split(separator: "\n").map(String.init) == ["220", "220", "421"], "\(run.output)")
            // Once those sessions are gone, mail is taken again.
            let reply = try f.send("compose:\(f.work)/after.eml,nvan@sotuphap.longan.gov.vn")
            #expect(reply.code == 250, "\(reply.text)")
        }
    }
}
