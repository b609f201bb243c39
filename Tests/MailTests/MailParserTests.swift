import Mail
import XCTest

final class MailParserTests: XCTestCase {
    func testDecodesEncodedSubjectQuotedPrintableBodyAndRFC2231FileName() throws {
        let raw = """
            From: =?UTF-8?B?U+G7nyBUxrAgcGjDoXA=?= <VanThu@STP.LongAn.gov.vn>
            To: webmaster@longan.gov.vn
            Subject: =?UTF-8?Q?H=E1=BB=99i_ngh=E1=BB=8B_t=E1=BB=95ng_k=E1=BA=BFt?=
            Message-ID: <abc.123@stp.longan.gov.vn>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b1"

            --b1
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            S=E1=BB=9F T=C6=B0 ph=C3=A1p t=E1=BB=95 ch=E1=BB=A9c h=E1=BB=99i ngh=E1=BB=8B.
            --b1
            Content-Type: application/pdf
            Content-Disposition: attachment; filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch.pdf
            Content-Transfer-Encoding: base64

            JVBERi0xLjQK
            --b1--

            """.replacingOccurrences(of: "\n", with: "\r\n")
        let mail = try MailParser.parse(Array(raw.utf8))
        XCTAssertEqual(mail.subject, "Hội nghị tổng kết")
        XCTAssertEqual(mail.messageId, "abc.123@stp.longan.gov.vn")
        XCTAssertEqual(mail.from, ParsedMail.Address(name: "Sở Tư pháp", address: "vanthu@stp.longan.gov.vn"))
        XCTAssertEqual(mail.text?.trimmingCharacters(in: .whitespacesAndNewlines), "Sở Tư pháp tổ chức hội nghị.")
        XCTAssertEqual(mail.attachments.count, 1)
        XCTAssertEqual(mail.attachments.first?.filename, "Kế hoạch.pdf")
        XCTAssertEqual(mail.attachments.first?.contentType, "application/pdf")
        XCTAssertEqual(mail.attachments.first?.bytes, Array("%PDF-1.4\n".utf8))
        XCTAssertTrue(mail.defects.isEmpty)
    }

    func testConvertsLegacyVietnameseCharsetWindows1258() throws {
        // "Thông báo" in windows-1258: ô = 0xF4, á = a + combining acute 0xEC.
        var raw = Array("From: a@b.vn\r\nSubject: x\r\nContent-Type: text/plain; charset=windows-1258\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".utf8)
        raw += [0x54, 0x68, 0xF4, 0x6E, 0x67, 0x20, 0x62, 0x61, 0xEC, 0x6F, 0x0D, 0x0A]
        let mail = try MailParser.parse(raw)
        XCTAssertEqual(mail.text?.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping, "Thông báo")
    }

    func testNestedAlternativeRelatedInlineImageAndForwardedMessage() throws {
        let raw = """
            From: a@b.vn
            Subject: Fwd: tin
            Content-Type: multipart/mixed; boundary="outer"

            --outer
            Content-Type: multipart/related; boundary="rel"

            --rel
            Content-Type: multipart/alternative; boundary="alt"

            --alt
            Content-Type: text/plain; charset=utf-8

            Xem ảnh
            --alt
            Content-Type: text/html; charset=utf-8

            <p>Xem <b>ảnh</b><img src="cid:img1"></p>
            --alt--
            --rel
            Content-Type: image/png
            Content-ID: <img1>
            Content-Description: =?UTF-8?Q?C=E1=BA=A7u_B=E1=BA=BFn_L=E1=BB=A9c?=
            Content-Transfer-Encoding: base64

            iVBORw0KGgo=
            --rel--
            --outer
            Content-Type: message/rfc822

            From: b@c.vn
            Subject: =?UTF-8?Q?Tin_g=E1=BB=91c?=
            Content-Type: text/plain; charset=utf-8

            Nội dung gốc
            --outer--

            """.replacingOccurrences(of: "\n", with: "\r\n")
        let mail = try MailParser.parse(Array(raw.utf8))
        XCTAssertEqual(mail.text?.trimmingCharacters(in: .whitespacesAndNewlines), "Xem ảnh")
        XCTAssertTrue(mail.html?.contains("<b>ảnh</b>") ?? false)
        XCTAssertEqual(mail.attachments.first?.contentType, "image/png")
        XCTAssertEqual(mail.attachments.first?.contentId, "img1")
        XCTAssertEqual(mail.attachments.first?.description, "Cầu Bến Lức")
        XCTAssertTrue(mail.attachments.first?.isInline ?? false)
        XCTAssertEqual(mail.forwarded.first?.subject, "Tin gốc")
        XCTAssertEqual(mail.forwarded.first?.text?.trimmingCharacters(in: .whitespacesAndNewlines), "Nội dung gốc")
    }

    func testReportsAMultipartWithoutBoundaryAsADefect() throws {
        let raw = "From: a@b.vn\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\nhello\r\n"
        let mail = try MailParser.parse(Array(raw.utf8))
        XCTAssertFalse(mail.defects.isEmpty, "a multipart without a boundary must be reported")
    }

    func testComposedMailRoundTripsThroughTheParser() throws {
        let bytes = MailComposer.compose(
            OutgoingMail(from: "webmaster@longan.gov.vn", fromName: "Cổng TTĐT", to: "vanthu@stp.longan.gov.vn",
                         subject: "Đã nhận bài: Hội nghị", text: "Mã theo dõi: 123\nCảm ơn.", inReplyTo: "abc@x.vn"),
            messageId: "m1@longan.gov.vn", date: Date(timeIntervalSince1970: 1_700_000_000))
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertFalse(text.contains("Đã nhận"), "the subject must be RFC 2047 encoded, not raw UTF-8")
        XCTAssertTrue(text.contains("In-Reply-To: <abc@x.vn>"))
        let mail = try MailParser.parse(bytes)
        XCTAssertEqual(mail.subject, "Đã nhận bài: Hội nghị")
        XCTAssertEqual(mail.messageId, "m1@longan.gov.vn")
        XCTAssertEqual(mail.text?.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines), "Mã theo dõi: 123\nCảm ơn.")
    }
}

final class MailDraftTests: XCTestCase {
    private func parse(_ text: String) throws -> ParsedMail {
        try MailParser.parse(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
    }

    func testSubjectTagSetsTheKindAndReplyPrefixesGo() throws {
        let mail = try parse("From: A <a@b.vn>\nSubject: =?UTF-8?Q?Fwd:_[B=C3=A0i]_H=E1=BB=99i_ngh=E1=BB=8B?=\n\nNội dung\n")
        let draft = MailDraft(mail: mail)
        XCTAssertEqual(draft.kind, "article")
        XCTAssertEqual(draft.title, "Hội nghị")
        XCTAssertEqual(draft.bodyFormat, "text")
        XCTAssertEqual(draft.authorName, "A")
    }

    func testABareForwardTakesTheForwardedMessage() throws {
        let mail = try parse("""
            From: a@b.vn
            Subject: Fwd:
            Content-Type: multipart/mixed; boundary="o"

            --o
            Content-Type: message/rfc822

            From: b@c.vn
            Subject: Tin gốc
            Content-Type: text/html; charset=utf-8

            <p>Gốc</p>
            --o--

            """)
        let draft = MailDraft(mail: mail)
        XCTAssertEqual(draft.title, "Tin gốc")
        XCTAssertEqual(draft.bodyFormat, "html")
        XCTAssertTrue(draft.body.contains("<p>Gốc</p>"))
    }

    func testOnlyTheTrustedServersAuthenticationResultsCount() throws {
        let mail = try parse("""
            Authentication-Results: mx.longan.gov.vn; spf=fail smtp.mailfrom=x@y.vn; dkim=pass header.d=y.vn; dmarc=fail
            Authentication-Results: forged.example; spf=pass
            From: a@b.vn
            Subject: x

            y
            """)
        XCTAssertEqual(AuthenticationCheck.failures(in: mail, trustedServer: "mx.longan.gov.vn"), ["spf", "dmarc"])
        XCTAssertEqual(AuthenticationCheck.failures(in: mail, trustedServer: "other.longan.gov.vn"), [])
    }

    /// A department forwards a news item from Outlook: the forwarded text is the item, not history.
    func testAnOutlookForwardBringsTheForwardedTextIntoTheBody() throws {
        let mail = try parse("""
            From: Văn thư <vanthu@sotuphap.longan.gov.vn>
            Subject: FW: Sở Tư pháp tổ chức hội nghị tổng kết
            Content-Type: text/plain; charset=utf-8

            Kính chuyển Trung tâm đăng tin.

            -----Original Message-----
            From: Phòng Hộ tịch
            Subject: Sở Tư pháp tổ chức hội nghị tổng kết

            Sáng 01/12, Sở Tư pháp tổ chức hội nghị tổng kết công tác năm 2026.
            """)
        let draft = MailDraft(mail: mail)
        XCTAssertTrue(draft.body.contains("Sáng 01/12, Sở Tư pháp tổ chức hội nghị tổng kết công tác năm 2026."), draft.body)
        XCTAssertNil(draft.quotedHistory)
    }

    /// A second header naming the trusted server (one Postfix let through) cannot outvote its DMARC fail.
    func testADMARCFailIsNotOutvotedByAnotherHeaderClaimingAPass() throws {
        let mail = try parse("""
            Authentication-Results : mx.longan.gov.vn; dmarc=pass header.from=sotuphap.longan.gov.vn
            Authentication-Results: mx.longan.gov.vn; spf=fail smtp.mailfrom=sotuphap.longan.gov.vn; dmarc=fail header.from=sotuphap.longan.gov.vn
            From: Sở Tư pháp <vanthu@sotuphap.longan.gov.vn>
            Subject: x

            y
            """)
        XCTAssertEqual(AuthenticationCheck.verdict(of: mail, trustedServer: "mx.longan.gov.vn"), .failed(["spf", "dmarc"]))
    }

    /// Without a DMARC verdict (the From domain publishes no record), a pass proves the sender only
    /// for the From address's own domain: anyone passes SPF and DKIM for a domain of their own.
    func testWithoutDMARCOnlyAPassForTheSendersOwnDomainCounts() throws {
        func verdict(_ results: String, from: String = "vanthu@sotuphap.longan.gov.vn") throws -> AuthenticationCheck.Verdict {
            let mail = try parse("""
                Authentication-Results: mx.longan.gov.vn; \(results)
                From: \(from)
                Subject: x

                y
                """)
            return AuthenticationCheck.verdict(of: mail, trustedServer: "mx.longan.gov.vn")
        }
        XCTAssertEqual(try verdict("spf=pass smtp.mailfrom=x@attacker.example; dkim=pass header.d=attacker.example; dmarc=none header.from=sotuphap.longan.gov.vn"),
                       .unverified)
        XCTAssertEqual(try verdict("dkim=pass header.d=attacker.example"), .unverified)
        XCTAssertEqual(try verdict("dkim=pass"), .unverified, "a pass that names no domain proves nothing")
        XCTAssertEqual(try verdict("dkim=pass header.d=sotuphap.longan.gov.vn header.s=lan2026; dmarc=none"), .passed)
        XCTAssertEqual(try verdict("spf=pass smtp.mailfrom=vanthu@sotuphap.longan.gov.vn"), .passed)
        XCTAssertEqual(try verdict("dkim=pass header.d=longan.gov.vn"), .passed, "the parent domain's signature is aligned (relaxed)")
        XCTAssertEqual(try verdict("dkim=pass header.d=notlongan.gov.vn"), .unverified, "a name ending alike is not a parent")
        XCTAssertEqual(try verdict("dmarc=pass header.from=sotuphap.longan.gov.vn"), .passed)
    }
}

final class LongSubjectTests: XCTestCase {
    func testALongVietnameseSubjectSurvivesFoldingIntoSeveralEncodedWords() throws {
        let subject = "Đã tiếp nhận: Sở Tư pháp tổ chức hội nghị tổng kết công tác năm 2026"
        let bytes = MailComposer.compose(
            OutgoingMail(from: "webmaster@longan.gov.vn", to: "a@b.vn", subject: subject, text: "x"),
            messageId: "m2@longan.gov.vn", date: Date())
        let mail = try MailParser.parse(bytes)
        XCTAssertEqual(mail.subject, subject, String(decoding: bytes, as: UTF8.self))
    }
}
