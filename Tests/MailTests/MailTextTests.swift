@testable import Mail
import XCTest

/// The pieces that make a mail readable, alone: RFC 3676 unflowing, folding of quoted
/// history and signatures, and the raw parameter reader behind Outlook's file names.
final class MailTextTests: XCTestCase {
    func testFlowedLinesAreJoinedAndStuffingRemoved() {
        let flowed = "Sở Tư pháp tổ chức \r\nhội nghị tổng kết.\r\n From là dòng có đệm.\r\n-- \r\nVăn thư"
        XCTAssertEqual(MailText.unflowed(flowed, deleteSpace: false),
                       "Sở Tư pháp tổ chức hội nghị tổng kết.\nFrom là dòng có đệm.\n-- \nVăn thư")
        XCTAssertEqual(MailText.unflowed("ab \r\ncd", deleteSpace: true), "abcd", "delsp=yes drops the soft space")
        XCTAssertEqual(MailText.unflowed("> trích \r\n> dẫn\r\nlời", deleteSpace: false), "> trích dẫn\nlời", "quote depth is kept")
    }

    func testQuotedHistoryAndSignatureAreFoldedAway() {
        let text = "Xin gửi tin.\n\nTrân trọng.\n-- \nVăn thư\n\nVào 28/11/2026 lúc 9:15, An đã viết:\n> Đề nghị gửi tin.\n>> Cũ hơn."
        let (body, history) = MailText.foldingQuotedText(text)
        XCTAssertEqual(body, "Xin gửi tin.\n\nTrân trọng.")
        XCTAssertTrue(history?.contains("đã viết:") == true && history?.contains("> Đề nghị gửi tin.") == true)
        XCTAssertEqual(MailText.foldingQuotedText("Chỉ có nội dung.").history, nil)
    }

    func testAGmailQuoteIsFoldedButAForwardIsKept() {
        let reply = #"<div>Đã gửi ảnh.</div><div class="gmail_quote">Vào Th 7, An &lt;<a href="mailto:a@b.vn">a@b.vn</a>&gt; đã viết:<blockquote>Cũ</blockquote></div>"#
        let (body, history) = MailText.foldingQuotedHTML(reply)
        XCTAssertEqual(body, "<div>Đã gửi ảnh.</div>")
        XCTAssertTrue(history?.contains("An <a@b.vn> đã viết:") == true, history ?? "")
        let forward = #"<div>Chuyển tiếp.</div><div class="gmail_quote">---------- Forwarded message ---------<br>Nội dung</div>"#
        XCTAssertEqual(MailText.foldingQuotedHTML(forward).body, forward)
    }

    /// Outlook writes a forward under the reply's separator; the subject says it is a forward,
    /// and then the forwarded message is the content, not history to fold away.
    func testAnOutlookForwardKeepsTheMessageForwarded() {
        XCTAssertTrue(MailText.isForward(subject: "FW: Tin hội nghị"))
        XCTAssertTrue(MailText.isForward(subject: "CT: Tin hội nghị"))
        XCTAssertTrue(MailText.isForward(subject: "Chuyển tiếp: Tin hội nghị"))
        XCTAssertFalse(MailText.isForward(subject: "RE: Tin hội nghị"))
        XCTAssertFalse(MailText.isForward(subject: "Fwdx tin"))
        let plain = "Chuyển Trung tâm tin dưới đây.\n\n-----Original Message-----\nFrom: Văn thư\nSubject: Tin hội nghị\n\nSở Tư pháp tổ chức hội nghị tổng kết."
        XCTAssertEqual(MailText.foldingQuotedText(plain, forwarded: true).body, plain)
        XCTAssertNil(MailText.foldingQuotedText(plain, forwarded: true).history)
        XCTAssertEqual(MailText.foldingQuotedText(plain).body, "Chuyển Trung tâm tin dưới đây.", "a reply under the same separator is folded")
        let owa = #"<div>Chuyển Trung tâm.</div><div id="divRplyFwdMsg"><b>From:</b> Văn thư<br><b>Subject:</b> Tin hội nghị</div><div>Sở Tư pháp tổ chức hội nghị tổng kết.</div>"#
        XCTAssertEqual(MailText.foldingQuotedHTML(owa, forwarded: true).body, owa)
        XCTAssertEqual(MailText.foldingQuotedHTML(owa).body, "<div>Chuyển Trung tâm.</div>", "a reply in Outlook on the web is folded")
    }

    func testParametersAreReadAsWritten() {
        let header = #"attachment; size=12; filename="=?utf-8?B?UXV54bq/dA==?= =?utf-8?B?IMSR4buLbmg=?=.pdf"; creation-date="x""#
        XCTAssertEqual(MailParameters.value(of: "filename", in: header), "=?utf-8?B?UXV54bq/dA==?= =?utf-8?B?IMSR4buLbmg=?=.pdf")
        XCTAssertEqual(MailParameters.value(of: "size", in: header), "12")
        XCTAssertFalse(MailParameters.hasExtended("filename", in: header))
        XCTAssertTrue(MailParameters.hasExtended("filename", in: "attachment; filename*0*=utf-8''Quy%E1%BA%BFt; filename*1*=.pdf"))
        XCTAssertNil(MailParameters.value(of: "name", in: header))
    }
}
