import ContentSafety
import Crypto
import Foundation
import Models
import ServiceKit
import Store

/// The web form of `/submit` as the person filled it: read from the posted fields, turned into
/// the API's request, and written back into the page, field for field, when it is refused.
struct SubmitForm {
    /// A file already received with an earlier post of the same form, kept in the blob store.
    struct KeptFile {
        var sha256: String
        var filename: String
        var contentType: String
        var size: Int

        var token: String { [sha256, contentType, String(size), filename].joined(separator: "|") }

        init(sha256: String, filename: String, contentType: String, size: Int) {
            self.sha256 = sha256
            self.filename = filename
            self.contentType = contentType
            self.size = size
        }

        init?(token: String) {
            let parts = token.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 4, BlobReference.isValidDigest(parts[0]), let size = Int(parts[2]) else { return nil }
            self.init(sha256: parts[0], filename: parts[3], contentType: parts[1], size: size)
        }

        /// Signed with the session's secret token: a form can only carry back files its own session sent.
        func proof(_ secret: String) -> String {
            Data(HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: SymmetricKey(data: Data(secret.utf8)))).base64EncodedString()
        }

        func isSigned(by secret: String, proof given: String?) -> Bool {
            given == proof(secret)
        }
    }

    struct FileRow {
        var kept: KeptFile?
        var proof: String?
        var altText = ""
    }

    var title = ""
    var summary = ""
    var body = ""
    var bodyFormat = "markdown"
    var kind = ContentKind.news.rawValue
    var onPortal = true
    var alsoOnOwnSite = false
    var wishedDate = ""
    var files = Array(repeating: FileRow(), count: SubmitPages.fileRows)
    var legalNumber = "", legalIssuer = "", legalIssueDate = "", legalEffectiveDate = "", legalSummary = ""
    var draftOpens = "", draftCloses = ""
    /// The returned submission this one revises.
    var replaces: String?
    /// Names this filling of the form, from its first showing through its refusals: the same form
    /// sent twice with the same content (a double click, a resend after a lost answer) makes one
    /// submission, not two.
    var formKey = UUID().uuidString.lowercased()

    init() {}

    init(_ form: Form) {
        title = form["title"] ?? ""
        summary = form["summary"] ?? ""
        body = form["body"] ?? ""
        bodyFormat = ["markdown", "text", "html"].contains(form["bodyFormat"] ?? "") ? form["bodyFormat"]! : "markdown"
        kind = form["kind"] ?? ContentKind.news.rawValue
        onPortal = form["onPortal"] != nil
        alsoOnOwnSite = form["alsoOnOwnSite"] != nil
        wishedDate = form["wishedDate"] ?? ""
        for index in files.indices {
            let row = index + 1
            files[index].altText = form["altText\(row)"] ?? ""
            files[index].kept = form["kept\(row)"].flatMap(KeptFile.init(token:))
            files[index].proof = form["keptProof\(row)"]
        }
        legalNumber = form["legalNumber"] ?? ""
        legalIssuer = form["legalIssuer"] ?? ""
        legalIssueDate = form["legalIssueDate"] ?? ""
        legalEffectiveDate = form["legalEffectiveDate"] ?? ""
        legalSummary = form["legalSummary"] ?? ""
        draftOpens = form["draftOpens"] ?? ""
        draftCloses = form["draftCloses"] ?? ""
        replaces = form["replaces"].flatMap { UUID(uuidString: $0) == nil ? nil : $0.lowercased() }
        if let key = form["formKey"].flatMap(UUID.init(uuidString:)) { formKey = key.uuidString.lowercased() }
    }

    /// The API's request for what was typed (files come separately, as bytes).
    var request: SubmissionRequest {
        let kind = ContentKind(rawValue: kind)
        return SubmissionRequest(
            title: title, summary: summary.isEmpty ? nil : summary, body: body, bodyFormat: bodyFormat, kind: self.kind,
            language: "vi", authors: nil, targetSites: onPortal ? [SiteDomain.portal] : [], alsoOnOwnSite: alsoOnOwnSite,
            attachments: nil,
            legalDocument: kind == .legalDocument
                ? .init(number: legalNumber, issuer: legalIssuer, issueDate: legalIssueDate, effectiveDate: legalEffectiveDate, summary: legalSummary)
                : nil,
            draft: kind == .draftForComment ? .init(opensOn: draftOpens, closesOn: draftCloses) : nil,
            wishedPublicationDate: wishedDate)
    }

    /// The body as the portal will show it, through the same renderer and allowlist as a submission.
    var previewHTML: String {
        switch bodyFormat {
        case "text": BodyRenderer.html(fromText: body)
        case "html": HTMLSanitizer.sanitize(body)
        default: BodyRenderer.html(fromMarkdown: body)
        }
    }

    /// The values of the page's template, each field with its error when it has one.
    func values(errors: [String: String]) -> [String: Any] {
        var values: [String: Any] = [
            "form": [
                "title": title, "summary": summary, "body": body, "wishedDate": wishedDate, "onPortal": onPortal, "alsoOnOwnSite": alsoOnOwnSite,
                "legalNumber": legalNumber, "legalIssuer": legalIssuer, "legalIssueDate": legalIssueDate,
                "legalEffectiveDate": legalEffectiveDate, "legalSummary": legalSummary, "draftOpens": draftOpens, "draftCloses": draftCloses,
                "replaces": replaces ?? "", "formKey": formKey,
            ] as [String: Any],
            "kinds": ContentKind.allCases.map { ["code": $0.rawValue, "label": $0.vietnamese, "selected": $0.rawValue == kind] },
            "formats": [("markdown", "Markdown (định dạng đơn giản)"), ("text", "Văn bản thuần"), ("html", "HTML")].map {
                ["code": $0.0, "label": $0.1, "selected": $0.0 == bodyFormat]
            },
            "files": files.enumerated().map { index, row -> [String: Any] in
                var file: [String: Any] = ["row": index + 1, "altText": row.altText]
                if let kept = row.kept, let proof = row.proof {
                    file["kept"] = ["token": kept.token, "proof": proof, "filename": kept.filename, "size": VietnameseNumber.fileSize(kept.size)]
                }
                return file
            },
        ]
        for (field, message) in errors { values["error_\(field)"] = message }
        return values
    }

    /// Which field a refusal belongs to, and what to do about it, in Vietnamese.
    static func problem(_ error: APIError) -> (field: String, message: String) {
        switch error.code {
        case "title_required": ("title", "Nhập tiêu đề.")
        case "title_too_long": ("title", "Tiêu đề dài quá \(SubmissionRequest.maxTitleLength) ký tự; vui lòng rút gọn.")
        case "body_required": ("body", "Nhập nội dung tin.")
        case "invalid_kind": ("kind", "Chọn một loại tin trong danh sách.")
        case "invalid_body_format": ("body", "Chọn một định dạng nội dung trong danh sách.")
        case "invalid_attachment", "content_type_mismatch", "invalid_file_name", "unsupported_attachment":
            ("files", "Một tệp đính kèm không hợp lệ hoặc không đúng loại đã khai; vui lòng chọn lại tệp. (\(error.message))")
        case "attachments_too_large": ("files", "Tổng dung lượng tệp đính kèm vượt giới hạn; vui lòng bớt tệp hoặc nén lại.")
        case "too_many_attachments": ("files", "Quá nhiều tệp đính kèm (tối đa \(SubmissionRequest.maxAttachments)); vui lòng gửi bớt.")
        case "image_too_large": ("files", "Một ảnh có kích thước điểm ảnh quá lớn; vui lòng gửi ảnh nhỏ hơn. (\(error.message))")
        case "unreadable_image": ("files", "Một tệp ảnh không mở được như một bức ảnh (tệp hỏng hoặc không phải ảnh); vui lòng chọn lại tệp ảnh. (\(error.message))")
        case "picture_not_attached":
            ("body", "Nội dung có một ảnh chưa được đính kèm; vui lòng đính kèm tệp ảnh đúng tên đó hoặc bỏ ảnh khỏi nội dung. (\(error.message))")
        case "body_too_long": ("body", "Nội dung quá dài; vui lòng rút gọn hoặc gửi kèm dưới dạng tệp.")
        case "invalid_character": ("title", "Có ký tự không được nhận (ký tự rỗng hoặc ký tự đảo chiều văn bản); vui lòng xoá và gửi lại. (\(error.message))")
        case "invalid_target_site", "unknown_target_site": ("sites", "Chọn nơi đăng: Cổng tỉnh và/hoặc trang của đơn vị.")
        case "legal_document_details_required":
            ("legal", "Văn bản quy phạm pháp luật cần số ký hiệu, cơ quan ban hành, ngày ban hành, ngày hiệu lực và trích yếu.")
        case "draft_dates_required": ("draft", "Dự thảo lấy ý kiến cần ngày bắt đầu và ngày kết thúc lấy ý kiến.")
        case "draft_dates_invalid": ("draft", "Ngày kết thúc lấy ý kiến phải sau ngày bắt đầu.")
        case "invalid_wished_publication_date": ("wishedDate", "Ngày mong muốn đăng không đúng dạng ngày.")
        case "wished_publication_date_past": ("wishedDate", "Ngày mong muốn đăng đã qua; chọn hôm nay hoặc một ngày sau.")
        default: ("title", "Chưa gửi được: \(error.message)")
        }
    }
}
