import Foundation

/// What lists and searches a legal document by: its form, number (số ký hiệu), issuer,
/// issue and effective dates, and summary (trích yếu). It travels in a submission's `details`.
public struct LegalDocumentDetails: Codable, Sendable, Equatable {
    public var number: String
    public var issuer: String
    public var issueDate: LocalDate
    public var effectiveDate: LocalDate
    public var summary: String
    /// Hình thức văn bản; when not given, read from the number ("12/2025/QĐ-UBND" is a Quyết định).
    public var form: String?

    public init(number: String, issuer: String, issueDate: LocalDate, effectiveDate: LocalDate, summary: String, form: String? = nil) {
        self.number = number
        self.issuer = issuer
        self.issueDate = issueDate
        self.effectiveDate = effectiveDate
        self.summary = summary
        self.form = form
    }

    /// The details of a legal document carried in `details.legalDocument`, if any and readable.
    public static func from(details: JSONValue) -> LegalDocumentDetails? {
        guard case .object(let fields) = details, let document = fields["legalDocument"],
              let data = try? JSONEncoder().encode(document) else { return nil }
        return try? JSONDecoder().decode(LegalDocumentDetails.self, from: data)
    }

    /// The form the number's type code names (the part before the issuer's code, Nghị định 30/2020/NĐ-CP, Appendix I).
    public var formName: String {
        if let form, !form.trimmingCharacters(in: .whitespaces).isEmpty { return form }
        let lastPart = number.split(separator: "/").last.map(String.init) ?? ""
        let code = lastPart.split(separator: "-").first.map { String($0).uppercased() } ?? ""
        return Self.forms[code] ?? "Văn bản"
    }

    static let forms: [String: String] = [
        "NQ": "Nghị quyết", "QĐ": "Quyết định", "CT": "Chỉ thị", "QC": "Quy chế", "QYĐ": "Quy định", "TB": "Thông báo",
        "HD": "Hướng dẫn", "CTR": "Chương trình", "KH": "Kế hoạch", "PA": "Phương án", "ĐA": "Đề án", "BC": "Báo cáo",
        "TTr": "Tờ trình", "TTR": "Tờ trình", "CV": "Công văn", "CĐ": "Công điện",
    ]
}
