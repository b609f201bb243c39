/// What a submission is (Art. 14): the kinds intake accepts and publishing renders.
public enum ContentKind: String, Codable, Sendable, CaseIterable {
    case news
    case article
    case photo
    case video
    case legalDocument = "legal_document"
    case directiveDocument = "directive_document"
    case draftForComment = "draft_for_comment"
    case announcement

    /// The label on Vietnamese pages.
    public var vietnamese: String {
        switch self {
        case .news: "Tin"
        case .article: "Bài"
        case .photo: "Ảnh"
        case .video: "Video"
        case .legalDocument: "Văn bản quy phạm pháp luật"
        case .directiveDocument: "Văn bản chỉ đạo điều hành"
        case .draftForComment: "Dự thảo lấy ý kiến"
        case .announcement: "Thông báo"
        }
    }
}
