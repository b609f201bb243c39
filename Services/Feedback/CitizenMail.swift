import Foundation
import Mail
import Models

/// The emails a citizen receives at each step of their question, and those sent to staff about
/// deadlines. Vietnamese first, with a line of English; never the answer's reviewer's notes.
enum CitizenMail {
    static let sender = "webmaster@\(SiteDomain.portal)"
    static let senderName = "Cổng Thông tin điện tử tỉnh Long An"

    /// `FEEDBACK_PUBLIC_URL`, or the site the question was asked on.
    static func base(site: String) -> String {
        configuredBase ?? "https://\(site)"
    }

    /// `FEEDBACK_PUBLIC_URL`, read once: Foundation copies the whole environment at each reading.
    private static let configuredBase = ProcessInfo.processInfo.environment["FEEDBACK_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : $0 }

    static func statusLink(site: String, code: String) -> String {
        "\(base(site: site))/hoi-dap/tra-cuu?ma=\(code)"
    }

    static func mail(to: String, subject: String, _ lines: [String]) -> OutgoingMail {
        OutgoingMail(from: sender, fromName: senderName, to: to, subject: subject, text: lines.joined(separator: "\n") + """


            --
            Trung tâm Phục vụ hành chính công tỉnh Long An
            Thư này được gửi tự động; vui lòng không trả lời thư này.
            """)
    }

    /// `routed`: the unit and due date when the question went to its unit on receipt.
    static func received(to: String, name: String, title: String, code: String, site: String, routed: (unit: String, dueOn: LocalDate)?) -> OutgoingMail {
        mail(to: to, subject: "Đã tiếp nhận câu hỏi: \(title.prefix(120))", [
            "Kính gửi ông/bà \(name),", "",
            "Trung tâm Phục vụ hành chính công tỉnh đã tiếp nhận câu hỏi “\(title)”.",
        ] + (routed.map { [
            "Câu hỏi đã được chuyển đến \($0.unit) để trả lời; hạn trả lời: \($0.dueOn.vietnamese) (tính theo ngày làm việc).",
        ] } ?? []) + [
            "Mã tra cứu: \(TrackingCode.grouped(code))",
            "Theo dõi tình trạng xử lý tại: \(statusLink(site: site, code: code))", "",
            "Vui lòng giữ mã này: chỉ người có mã mới xem được tình trạng câu hỏi.",
            "Your question has been received; follow it with the code above.",
        ])
    }

    /// The code is only in the first email (only its hash is stored): this one points to the lookup page.
    static func routed(to: String, name: String, title: String, unit: String, dueOn: LocalDate, site: String) -> OutgoingMail {
        mail(to: to, subject: "Câu hỏi đã được chuyển đến \(unit)", [
            "Kính gửi ông/bà \(name),", "",
            "Câu hỏi “\(title)” đã được chuyển đến \(unit) để trả lời.",
            "Hạn trả lời: \(dueOn.vietnamese) (tính theo ngày làm việc).",
            "Theo dõi bằng mã tra cứu đã nhận tại: \(base(site: site))/hoi-dap/tra-cuu", "",
            "Your question was sent to the responsible unit; the answer is due by \(dueOn.description).",
        ])
    }

    static func clarification(to: String, name: String, title: String, request: String, site: String) -> OutgoingMail {
        mail(to: to, subject: "Đề nghị bổ sung thông tin cho câu hỏi: \(title.prefix(100))", [
            "Kính gửi ông/bà \(name),", "",
            "Để trả lời câu hỏi “\(title)”, đơn vị xử lý đề nghị ông/bà bổ sung:", "", request, "",
            "Vui lòng mở trang tra cứu bằng mã đã nhận và gửi phần bổ sung: \(base(site: site))/hoi-dap/tra-cuu",
            "Thời hạn trả lời tạm dừng cho đến khi nhận được phần bổ sung.",
            "The unit asks you to clarify your question; the deadline pauses until you reply.",
        ])
    }

    static func answered(to: String, name: String, title: String, answer: String, unit: String, published: Bool, site: String, questionId: UUID) -> OutgoingMail {
        mail(to: to, subject: "Trả lời câu hỏi: \(title.prefix(120))", [
            "Kính gửi ông/bà \(name),", "",
            "\(unit) trả lời câu hỏi “\(title)” như sau:", "", answer, "",
        ] + (published ? [
            "Câu hỏi và trả lời được công khai (không kèm thông tin cá nhân) tại: \(base(site: SiteDomain.portal))/hoi-dap/\(questionId.uuidString.lowercased()).html", "",
        ] : []) + [
            AnswerNotice.vietnamese, "", "Your question has been answered (text above).",
        ])
    }

    static func dataLink(to: String, name: String, link: String) -> OutgoingMail {
        mail(to: to, subject: "Xem, sửa hoặc xóa thông tin cá nhân đã gửi", [
            "Kính gửi ông/bà \(name),", "",
            "Theo yêu cầu, đây là đường dẫn để xem, sửa hoặc đề nghị xóa thông tin cá nhân ông/bà đã gửi kèm câu hỏi.",
            "Đường dẫn dùng được trong 1 giờ: \(link)", "",
            "Nếu ông/bà không yêu cầu, hãy bỏ qua thư này.",
            "A link to see, correct or delete your personal data (valid for one hour).",
        ])
    }

    static func deadline(to: String, level: String, title: String, unit: String, dueOn: LocalDate, link: String) -> OutgoingMail {
        let (subject, first): (String, String) = switch level {
        case "reminder": ("Nhắc hạn trả lời câu hỏi: \(title.prefix(100))", "Câu hỏi “\(title)” giao \(unit) sắp đến hạn trả lời ngày \(dueOn.vietnamese).")
        case "board_member": ("Câu hỏi quá hạn trả lời: \(title.prefix(100))", "Câu hỏi “\(title)” giao \(unit) đã quá hạn trả lời (hạn \(dueOn.vietnamese)). Đề nghị đồng chí chỉ đạo đơn vị trả lời.")
        default: ("Câu hỏi quá hạn kéo dài: \(title.prefix(100))", "Câu hỏi “\(title)” giao \(unit) đã quá hạn (hạn \(dueOn.vietnamese)) và chưa được trả lời sau khi nhắc thành viên Ban Biên tập phụ trách.")
        }
        return mail(to: to, subject: subject, [first, "", "Xem câu hỏi: \(link)", "A question's deadline: \(level), due \(dueOn.description)."])
    }
}
