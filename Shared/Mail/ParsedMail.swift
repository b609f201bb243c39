/// A message as the portal understands it, decoded by GMime: text in UTF-8, attachments as bytes.
public struct ParsedMail: Sendable {
    public struct Address: Sendable, Equatable {
        public var name: String?
        /// Lower-cased `local@domain`.
        public var address: String

        public init(name: String?, address: String) {
            self.name = name
            self.address = address
        }
    }

    public struct Attachment: Sendable {
        /// RFC 2231 and RFC 2047 names decoded; nil when the part has none.
        public var filename: String?
        /// Lower-cased `type/subtype`, without parameters.
        public var contentType: String
        public var bytes: [UInt8]
        /// `Content-Description`, which mail clients use as the description of an image.
        public var description: String?
        /// `Content-ID` without angle brackets, for images that an HTML body shows inline.
        public var contentId: String?
        public var isInline: Bool
    }

    public struct Header: Sendable {
        public var name: String
        public var value: String
    }

    /// Without angle brackets; nil when the message has none.
    public var messageId: String?
    public var from: Address?
    public var subject: String
    /// The first plain-text body, converted to UTF-8 from whatever charset it declared.
    public var text: String?
    /// The first HTML body, converted to UTF-8; never trusted, always sanitised before use.
    public var html: String?
    /// The plain text is `format=flowed` (RFC 3676), and with `delsp=yes`.
    public var textIsFlowed = false
    public var textDeletesSpace = false
    /// Messages forwarded as `message/rfc822` parts, parsed the same way.
    public var forwarded: [ParsedMail]
    public var attachments: [Attachment]
    /// Every header of the top-level message, in order, values unfolded and decoded.
    public var headers: [Header]
    /// What the parser found wrong in the structure. Only problems that make other software
    /// read the message differently are kept (GMime's critical warnings).
    public var defects: [String]

    /// The first value of a header, if the message has it.
    public func header(_ name: String) -> String? { headerValues(name).first }

    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }
}
