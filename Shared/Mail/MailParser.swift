internal import CGMime
import Foundation

/// Parses RFC 5322 messages with GMime: RFC 2047 headers, RFC 2231 parameters, quoted-printable and
/// base64, charsets (legacy Vietnamese ones included, through iconv), nested multiparts and
/// forwarded messages.
public enum MailParser {
    /// The deepest forwarding chain followed; deeper messages stay attachments.
    static let maxForwardDepth = 5

    public enum Failure: Error, CustomStringConvertible {
        /// GMime could not make a message of the bytes at all.
        case notAMessage

        public var description: String { "the bytes are not an RFC 5322 message" }
    }

    public static func parse(_ bytes: [UInt8]) throws -> ParsedMail {
        GMimeLibrary.ensureInitialised()
        let collector = DefectCollector()
        let stream = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { g_mime_stream_mem_new_with_buffer($0.baseAddress, $0.count) }
        }
        defer { portal_g_object_unref(stream) }
        guard let parser = g_mime_parser_new_with_stream(stream) else { throw Failure.notAMessage }
        defer { portal_g_object_unref(parser) }
        let options = g_mime_parser_options_new()
        defer { g_mime_parser_options_free(options) }
        let context = Unmanaged.passRetained(collector)
        defer { context.release() }
        g_mime_parser_options_set_warning_callback(options, { _, code, item, userData in
            guard let userData else { return }
            let collector = Unmanaged<DefectCollector>.fromOpaque(userData).takeUnretainedValue()
            collector.record(code: code, item: item.map { String(cString: $0) })
        }, context.toOpaque())
        guard let message = g_mime_parser_construct_message(parser, options) else { throw Failure.notAMessage }
        defer { portal_g_object_unref(message) }
        var parsed = read(message, depth: 0)
        parsed.defects = collector.defects
        return parsed
    }

    private static func read(_ message: UnsafeMutablePointer<GMimeMessage>, depth: Int) -> ParsedMail {
        let headers = headers(of: portal_gmime_object(message))
        var mail = ParsedMail(
            messageId: string(g_mime_message_get_message_id(message)), from: from(of: message),
            subject: headers.first { $0.name.lowercased() == "subject" }?.value ?? "", text: nil, html: nil, forwarded: [],
            attachments: [], headers: headers, defects: [])
        if let body = g_mime_message_get_mime_part(message) {
            walk(body, into: &mail, depth: depth)
        }
        return mail
    }

    private static func walk(_ object: UnsafeMutablePointer<GMimeObject>, into mail: inout ParsedMail, depth: Int) {
        if portal_gmime_is_multipart(object) != 0 {
            let multipart = portal_gmime_multipart(object)
            for index in 0..<max(0, g_mime_multipart_get_count(multipart)) {
                if let child = g_mime_multipart_get_part(multipart, index) {
                    walk(child, into: &mail, depth: depth)
                }
            }
            return
        }
        if portal_gmime_is_message_part(object) != 0 {
            if depth < maxForwardDepth, let inner = g_mime_message_part_get_message(portal_gmime_message_part(object)) {
                mail.forwarded.append(read(inner, depth: depth + 1))
            }
            return
        }
        guard portal_gmime_is_part(object) != 0, let part = portal_gmime_part(object) else { return }
        let contentType = mimeType(of: object)
        let filename = filename(of: object, part: part)
        let disposition = string(g_mime_object_get_disposition(object))?.lowercased()
        let isAttachment = disposition == "attachment" || filename != nil
        if !isAttachment, portal_gmime_is_text_part(object) != 0, contentType == "text/plain" || contentType == "text/html" {
            let text = g_mime_text_part_get_text(portal_gmime_text_part(object)).map { pointer -> String in
                defer { g_free(pointer) }
                return String(cString: pointer)
            }
            if contentType == "text/plain", mail.text == nil {
                mail.text = text ?? ""
                // RFC 3676: soft line breaks to join, as Thunderbird sends by default.
                let format = string(g_mime_object_get_content_type_parameter(object, "format"))?.lowercased()
                mail.textIsFlowed = format == "flowed"
                mail.textDeletesSpace = string(g_mime_object_get_content_type_parameter(object, "delsp"))?.lowercased() == "yes"
                return
            }
            if contentType == "text/html", mail.html == nil {
                mail.html = text ?? ""
                return
            }
        }
        mail.attachments.append(ParsedMail.Attachment(
            filename: filename, contentType: contentType, bytes: decodedContent(of: part),
            description: headers(of: object).first { $0.name.lowercased() == "content-description" }?.value,
            contentId: string(g_mime_object_get_content_id(object)), isInline: disposition == "inline" || (disposition == nil && filename == nil)))
    }

    /// The part's bytes with the transfer encoding undone.
    private static func decodedContent(of part: UnsafeMutablePointer<GMimePart>) -> [UInt8] {
        guard let wrapper = g_mime_part_get_content(part), let output = g_mime_stream_mem_new() else { return [] }
        defer { portal_g_object_unref(output) }
        guard g_mime_data_wrapper_write_to_stream(wrapper, output) >= 0,
              let array = g_mime_stream_mem_get_byte_array(portal_gmime_stream_mem(output))
        else { return [] }
        let count = Int(portal_byte_array_length(array))
        guard count > 0, let data = portal_byte_array_data(array) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: count))
    }

    private static func mimeType(of object: UnsafeMutablePointer<GMimeObject>) -> String {
        guard let type = g_mime_object_get_content_type(object), let text = g_mime_content_type_get_mime_type(type) else {
            return "application/octet-stream"
        }
        defer { g_free(text) }
        return String(cString: text).lowercased()
    }

    /// The first mailbox of From. Parsed from the raw header after joining adjacent base64
    /// words (`EncodedWords`): GMime's own decoding cuts a long Vietnamese display name short.
    private static func from(of message: UnsafeMutablePointer<GMimeMessage>) -> ParsedMail.Address? {
        if let raw = rawHeader("From", of: portal_gmime_object(message)),
           let list = internet_address_list_parse(nil, EncodedWords.mergingAdjacentBase64(raw)) {
            defer { portal_g_object_unref(list) }
            if let mailbox = firstMailbox(list) { return mailbox }
        }
        return firstMailbox(g_mime_message_get_from(message))
    }

    /// A header's raw value, unfolded; nil when the object has no such header.
    private static func rawHeader(_ name: String, of object: UnsafeMutablePointer<GMimeObject>) -> String? {
        guard let list = g_mime_object_get_header_list(object) else { return nil }
        for index in 0..<max(0, g_mime_header_list_get_count(list)) {
            guard let header = g_mime_header_list_get_header_at(list, index),
                  string(g_mime_header_get_name(header))?.lowercased() == name.lowercased(),
                  let raw = g_mime_header_get_raw_value(header), let unfolded = g_mime_utils_header_unfold(raw)
            else { continue }
            defer { g_free(unfolded) }
            return String(cString: unfolded)
        }
        return nil
    }

    /// The part's file name. RFC 2231 names (`filename*=`, `filename*0*=` …) are GMime's, which
    /// reads them right. A plain `filename=` or `name=` holding RFC 2047 words, as Outlook writes
    /// long Vietnamese names, is decoded here after joining adjacent base64 words: GMime decodes
    /// such a run as one stream and loses everything after the first padded word, `.pdf` too.
    static func filename(of object: UnsafeMutablePointer<GMimeObject>, part: UnsafeMutablePointer<GMimePart>) -> String? {
        let library = string(g_mime_part_get_filename(part))
        for (header, parameter) in [("Content-Disposition", "filename"), ("Content-Type", "name")] {
            guard let raw = rawHeader(header, of: object) else { continue }
            if MailParameters.hasExtended(parameter, in: raw) { return library }
            guard let value = MailParameters.value(of: parameter, in: raw) else { continue }
            guard value.contains("=?") else { return library ?? value }
            let merged = EncodedWords.mergingAdjacentBase64(value)
            guard let decoded = g_mime_utils_header_decode_text(nil, merged) else { return library }
            defer { g_free(decoded) }
            return string(decoded) ?? library
        }
        return library
    }

    private static func firstMailbox(_ list: UnsafeMutablePointer<InternetAddressList>?) -> ParsedMail.Address? {
        guard let list else { return nil }
        for index in 0..<max(0, internet_address_list_length(list)) {
            guard let address = internet_address_list_get_address(list, index), portal_gmime_is_mailbox(address) != 0,
                  let addr = string(internet_address_mailbox_get_addr(portal_gmime_mailbox(address))), addr.contains("@")
            else { continue }
            return ParsedMail.Address(name: string(internet_address_get_name(address)), address: addr.lowercased())
        }
        return nil
    }

    private static func headers(of object: UnsafeMutablePointer<GMimeObject>) -> [ParsedMail.Header] {
        guard let list = g_mime_object_get_header_list(object) else { return [] }
        return (0..<max(0, g_mime_header_list_get_count(list))).compactMap { index in
            guard let header = g_mime_header_list_get_header_at(list, index), let name = string(g_mime_header_get_name(header))
            else { return nil }
            return ParsedMail.Header(name: name, value: decodedValue(of: header))
        }
    }

    /// The header's text, unfolded and RFC 2047-decoded (see `EncodedWords` for why not GMime's own value).
    private static func decodedValue(of header: UnsafeMutablePointer<GMimeHeader>) -> String {
        guard let raw = g_mime_header_get_raw_value(header), let unfolded = g_mime_utils_header_unfold(raw) else {
            return string(g_mime_header_get_value(header)) ?? ""
        }
        defer { g_free(unfolded) }
        let merged = EncodedWords.mergingAdjacentBase64(String(cString: unfolded))
        guard let decoded = g_mime_utils_header_decode_text(nil, merged) else { return merged }
        defer { g_free(decoded) }
        return string(decoded) ?? ""
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        let value = String(cString: pointer).trimmingCharacters(in: .whitespacesAndNewlines)
        return value.isEmpty ? nil : value
    }
}

/// Collects GMime's warnings while one message is parsed.
private final class DefectCollector: @unchecked Sendable {
    // Touched only on the thread that parses, inside `MailParser.parse`.
    var defects: [String] = []

    func record(code: GMimeParserWarning, item: String?) {
        let name: String
        switch code {
        case GMIME_CRIT_INVALID_HEADER_NAME: name = "invalid_header_name"
        case GMIME_CRIT_CONFLICTING_HEADER: name = "conflicting_header"
        case GMIME_CRIT_CONFLICTING_PARAMETER: name = "conflicting_parameter"
        case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY: name = "multipart_without_boundary"
        case GMIME_CRIT_NESTING_OVERFLOW: name = "nesting_overflow"
        case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: name = "part_without_headers_or_content"
        case GMIME_WARN_TRUNCATED_MESSAGE: name = "truncated_message"
        case GMIME_WARN_MALFORMED_MESSAGE: name = "malformed_message"
        case GMIME_WARN_MALFORMED_MULTIPART: name = "malformed_multipart"
        default: return
        }
        defects.append(item.map { "\(name): \($0)" } ?? name)
    }
}

/// `g_mime_init` must run once per process before any other GMime call.
enum GMimeLibrary {
    private static let initialised: Bool = {
        g_mime_init()
        return true
    }()

    static func ensureInitialised() { _ = initialised }
}
