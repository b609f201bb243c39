import Foundation
@testable import Intake
import Mail
import ServiceKit
import TestSupport
import XCTest

/// Bounded fuzzing of everything that reads untrusted input: the MIME parser and what turns a
/// message into a submission, the JSON body of the API, and the SMTP/LMTP conversation. The
/// generator is seeded, so a failure names the seed that reproduces it (`PORTAL_FUZZ_SEED`).
final class InputFuzzTests: XCTestCase {
    /// Iterations per path; `PORTAL_FUZZ_ITERATIONS` raises it for a longer run.
    let iterations = ProcessInfo.processInfo.environment["PORTAL_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 5_000
    let seed = ProcessInfo.processInfo.environment["PORTAL_FUZZ_SEED"].flatMap(UInt64.init) ?? UInt64(Date().timeIntervalSince1970)
    /// A bound on time as well, so that a slow machine still finishes.
    let budget: TimeInterval = 8

    static let messages: [String] = [
        """
        From: =?UTF-8?B?U+G7nyBUxrAgcGjDoXA=?= <nvan@sotuphap.longan.gov.vn>
        Subject: =?UTF-8?Q?[B=C3=A0i]_H=E1=BB=99i_ngh=E1=BB=8B?=
        Message-ID: <a@b>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b1"

        --b1
        Content-Type: multipart/alternative; boundary="b2"

        --b2
        Content-Type: text/plain; charset=windows-1258
        Content-Transfer-Encoding: quoted-printable

        Th=F4ng b=E1o
        --b2
        Content-Type: text/html; charset=utf-8

        <p onclick="x()">Xin <script>alert(1)</script>chào</p>
        --b2--
        --b1
        Content-Type: image/png; name*=UTF-8''%E1%BA%A2nh.png
        Content-Disposition: attachment
        Content-Transfer-Encoding: base64

        iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ
        --b1
        Content-Type: message/rfc822

        From: x@y.vn
        Subject: inner

        body
        --b1--
        """,
        "From: a@b.vn\nSubject: x\n\nplain\n",
    ].map { $0.replacingOccurrences(of: "\n", with: "\r\n") }

    static let json = """
        {"title": "Hội nghị", "body": "# Tiêu đề\\n\\n<script>x</script>", "bodyFormat": "markdown", "kind": "legal_document",
         "language": "vi", "authors": [{"name": "An", "share": 100}], "targetSites": ["longan.gov.vn"],
         "legalDocument": {"number": "12/2026/QĐ-UBND", "issuer": "UBND", "issueDate": "2026-01-02", "effectiveDate": "2026-02-01", "summary": "x"},
         "attachments": [{"filename": "a.pdf", "contentType": "application/pdf", "dataBase64": "JVBERi0xLjQK", "altText": null}]}
        """

    func testMIMEPathNeverCrashesAndOnlyFailsWithAClearCode() {
        var random = SplitMix64(seed: seed)
        let deadline = Date().addingTimeInterval(budget)
        var parsed = 0
        for iteration in 0..<iterations where Date() < deadline {
            let input = Mutator.mutate(Array(Self.messages[iteration % Self.messages.count].utf8), using: &random)
            guard let mail = try? MailParser.parse(input) else { continue }
            parsed += 1
            let draft = MailDraft(mail: mail)
            let request = SubmissionRequest(
                title: draft.title, summary: nil, body: draft.body, bodyFormat: draft.bodyFormat, kind: draft.kind, language: "vi",
                authors: [.init(name: draft.authorName ?? "x", userId: nil, share: nil)], targetSites: nil, alsoOnOwnSite: false,
                attachments: nil, legalDocument: nil, draft: nil)
            do {
                let submission = try request.validated(
                    attachments: draft.attachments.map { .init(filename: $0.filename, contentType: $0.contentType, bytes: $0.bytes, altText: $0.altText) },
                    maxAttachmentBytes: 1_000_000)
                XCTAssertFalse(submission.bodyHTML.lowercased().contains("<script"), "seed \(seed), iteration \(iteration)")
                XCTAssertEqual(submission.title, submission.title.precomposedStringWithCanonicalMapping)
            } catch let error as APIError {
                XCTAssertTrue((400..<500).contains(Int(error.status.code)), "seed \(seed): \(error)")
            } catch {
                XCTFail("seed \(seed), iteration \(iteration): an error without a code: \(error)")
            }
        }
        XCTAssertGreaterThan(parsed, 0, "the mutations must leave some messages readable, or the later paths are never reached")
    }

    func testJSONPathNeverCrashesAndOnlyFailsWithAClearCode() {
        var random = SplitMix64(seed: seed &+ 1)
        let deadline = Date().addingTimeInterval(budget)
        var decoded = 0
        for iteration in 0..<iterations where Date() < deadline {
            let input = Mutator.mutate(Array(Self.json.utf8), using: &random)
            guard let request = try? JSONDecoder().decode(SubmissionRequest.self, from: Data(input)) else { continue }
            decoded += 1
            do {
                let submission = try request.validated(maxAttachmentBytes: 1_000_000)
                XCTAssertFalse(submission.bodyHTML.lowercased().contains("<script"), "seed \(seed), iteration \(iteration)")
            } catch let error as APIError {
                XCTAssertTrue((400..<500).contains(Int(error.status.code)), "seed \(seed): \(error)")
            } catch {
                XCTFail("seed \(seed), iteration \(iteration): an error without a code: \(error)")
            }
        }
        XCTAssertGreaterThan(decoded, 0)
    }

    func testMailConversationAnswersEveryLineWithAValidCode() {
        var random = SplitMix64(seed: seed &+ 2)
        let vocabulary = ["LHLO x", "EHLO x", "MAIL FROM:<a@b.vn>", "MAIL FROM:<>", "RCPT TO:<webmaster@longan.gov.vn>",
                          "RCPT TO:<x@y>", "DATA", ".", "..", "RSET", "NOOP", "VRFY a", "Subject: x", "", "MAIL FROM:<a@b.vn> SIZE=99999999"]
        var session = MailSession(dialect: .lmtp, hostname: "h", limits: .init(maxMessageBytes: 500, maxRecipients: 3)) {
            $0 == "webmaster@longan.gov.vn"
        }
        for _ in 0..<(iterations * 4) {
            var line = Array(vocabulary[Int(random.next() % UInt64(vocabulary.count))].utf8)
            if random.next() % 5 == 0 { line = Mutator.mutate(line, using: &random) }
            switch session.receive(line: line, tooLong: random.next() % 50 == 0) {
            case .reply(let replies):
                XCTAssertTrue(replies.allSatisfy { (200..<600).contains($0.code) }, "seed \(seed)")
            case .deliver:
                XCTAssertNotNil(session.pendingEnvelope)
                _ = session.delivered(.init(250, "ok"))
            case .close:
                session = MailSession(dialect: .lmtp, hostname: "h") { _ in true }
            }
        }
    }
}
