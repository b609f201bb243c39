import Mail
import XCTest

final class MailSessionTests: XCTestCase {
    private func session(_ dialect: MailSession.Dialect = .lmtp, maxBytes: Int = 1_000) -> MailSession {
        MailSession(dialect: dialect, hostname: "intake.test", limits: .init(maxMessageBytes: maxBytes, maxRecipients: 2)) {
            $0 == "webmaster@longan.gov.vn"
        }
    }

    private func codes(_ action: MailSession.Action) -> [Int] {
        if case .reply(let replies) = action { return replies.map(\.code) }
        return []
    }

    private func send(_ session: inout MailSession, _ line: String) -> MailSession.Action {
        session.receive(line: Array(line.utf8))
    }

    func testLMTPAnswersOncePerRecipientAfterDelivery() {
        var s = session()
        XCTAssertEqual(codes(send(&s, "LHLO mta.test")).last, 250)
        XCTAssertEqual(codes(send(&s, "MAIL FROM:<a@b.vn> SIZE=100")), [250])
        XCTAssertEqual(codes(send(&s, "RCPT TO:<Webmaster@LongAn.gov.vn>")), [250])
        XCTAssertEqual(codes(send(&s, "RCPT TO:<webmaster@longan.gov.vn>")), [250])
        XCTAssertEqual(codes(send(&s, "DATA")), [354])
        XCTAssertEqual(send(&s, "Subject: x"), .reply([]))
        XCTAssertEqual(send(&s, ""), .reply([]))
        XCTAssertEqual(send(&s, "..dot-stuffed"), .reply([]))
        XCTAssertEqual(send(&s, "."), .deliver)
        XCTAssertEqual(s.pendingEnvelope?.data, Array("Subject: x\r\n\r\n.dot-stuffed\r\n".utf8))
        XCTAssertEqual(s.pendingEnvelope?.sender, "a@b.vn")
        XCTAssertEqual(codes(s.delivered(.init(250, "2.0.0 OK"))), [250, 250])
        XCTAssertEqual(codes(send(&s, "MAIL FROM:<>")), [250], "the next transaction starts at once")
    }

    func testRefusesUnknownRecipientsWith550AndTooManyWith452() {
        var s = session()
        _ = send(&s, "LHLO mta.test")
        _ = send(&s, "MAIL FROM:<a@b.vn>")
        XCTAssertEqual(codes(send(&s, "RCPT TO:<someone@longan.gov.vn>")), [550])
        XCTAssertEqual(codes(send(&s, "DATA")), [554], "no valid recipient: no data")
        _ = send(&s, "RCPT TO:<webmaster@longan.gov.vn>")
        _ = send(&s, "RCPT TO:<webmaster@longan.gov.vn>")
        XCTAssertEqual(codes(send(&s, "RCPT TO:<webmaster@longan.gov.vn>")), [452])
    }

    /// RFC 6531: the MTA sends mail with UTF-8 addresses and headers only to a server that
    /// advertises SMTPUTF8; otherwise Postfix bounces it (5.6.7).
    func testAdvertisesAndAcceptsSMTPUTF8() {
        for dialect in [MailSession.Dialect.lmtp, .smtp] {
            var s = session(dialect, maxBytes: 10_000)
            guard case .reply(let replies) = send(&s, dialect == .lmtp ? "LHLO mta.test" : "EHLO mta.test") else { return XCTFail() }
            XCTAssertTrue(replies.last?.wire.contains("SMTPUTF8") == true, "\(dialect): \(replies.last?.wire ?? "")")
            XCTAssertEqual(codes(send(&s, "MAIL FROM:<văn.thư@sotuphap.longan.gov.vn> SMTPUTF8 BODY=8BITMIME")), [250])
            XCTAssertEqual(codes(send(&s, "RCPT TO:<webmaster@longan.gov.vn>")), [250])
            _ = send(&s, "DATA")
            _ = send(&s, "Subject: Hội nghị tổng kết")
            XCTAssertEqual(send(&s, "."), .deliver)
            XCTAssertEqual(s.pendingEnvelope?.sender, "văn.thư@sotuphap.longan.gov.vn")
        }
    }

    func testTheSizeRefusalIsVietnameseFirstAndNamesTheAttachmentLimit() {
        var s = session(.smtp, maxBytes: 26_214_400)
        _ = send(&s, "EHLO mta.test")
        guard case .reply(let replies) = send(&s, "MAIL FROM:<a@b.vn> SIZE=30000000") else { return XCTFail() }
        let text = replies.first?.wire ?? ""
        XCTAssertTrue(text.hasPrefix("552 5.3.4 Thư vượt quá 25 MB (tệp đính kèm tổng cộng khoảng 18 MB)"), text)
        XCTAssertTrue(text.contains("Message exceeds the limit"), text)
    }

    func testRefusesOversizeMessagesWith552BeforeAndAfterTheData() {
        var s = session(.smtp, maxBytes: 20)
        _ = send(&s, "EHLO mta.test")
        XCTAssertEqual(codes(send(&s, "MAIL FROM:<a@b.vn> SIZE=21")), [552])
        _ = send(&s, "MAIL FROM:<a@b.vn>")
        _ = send(&s, "RCPT TO:<webmaster@longan.gov.vn>")
        _ = send(&s, "DATA")
        _ = send(&s, "0123456789")
        _ = send(&s, "0123456789")
        XCTAssertEqual(codes(send(&s, ".")), [552])
        XCTAssertNil(s.pendingEnvelope)
    }

    func testCommandsOutOfOrderAndLongLinesGetClearCodes() {
        var s = session()
        XCTAssertEqual(codes(send(&s, "MAIL FROM:<a@b.vn>")), [503])
        XCTAssertEqual(codes(send(&s, "EHLO x")), [500], "LMTP greets with LHLO")
        _ = send(&s, "LHLO x")
        XCTAssertEqual(codes(send(&s, "RCPT TO:<webmaster@longan.gov.vn>")), [503])
        XCTAssertEqual(codes(send(&s, "MAIL FROM:a@b.vn")), [501])
        // A parameter without a keyword (found by the fuzzer: it used to crash the listener).
        XCTAssertEqual(codes(send(&s, "MAIL FROM:<a@b.vn> =")), [501])
        XCTAssertEqual(codes(send(&s, "MAIL FROM:<a@b.vn> =10 SIZE=5")), [501])
        XCTAssertEqual(codes(s.receive(line: Array(repeating: UInt8(ascii: "A"), count: 600))), [500])
        XCTAssertEqual(codes(send(&s, "FOO")), [500])
        XCTAssertEqual(send(&s, "QUIT"), .close)
    }
}
