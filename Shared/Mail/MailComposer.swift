internal import CGMime
import Foundation
import Models

/// A plain-text message that the portal sends: acknowledgements, decisions, answers.
public struct OutgoingMail: Codable, Sendable, Equatable {
    public var from: String
    public var fromName: String?
    public var to: String
    public var subject: String
    public var text: String
    /// The Message-ID of the message this one answers, without angle brackets.
    public var inReplyTo: String?

    public init(from: String, fromName: String? = nil, to: String, subject: String, text: String, inReplyTo: String? = nil) {
        self.from = from
        self.fromName = fromName
        self.to = to
        self.subject = subject
        self.text = text
        self.inReplyTo = inReplyTo
    }
}

/// Writes outgoing mail as RFC 5322 bytes with GMime, which encodes Vietnamese subjects
/// (RFC 2047) and bodies (quoted-printable, UTF-8) as mail clients expect.
public enum MailComposer {
    public static func compose(_ mail: OutgoingMail, messageId: String, date: Date) -> [UInt8] {
        GMimeLibrary.ensureInitialised()
        let message = g_mime_message_new(1)!
        defer { portal_g_object_unref(message) }
        g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_FROM, mail.fromName, mail.from)
        g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_TO, nil, mail.to)
        g_mime_message_set_subject(message, mail.subject, "utf-8")
        g_mime_message_set_message_id(message, messageId)
        // Dated in the portal's time zone, as its readers live by it.
        let utc = g_date_time_new_from_unix_utc(gint64(date.timeIntervalSince1970))
        let zone = g_time_zone_new_identifier("Asia/Ho_Chi_Minh") ?? g_time_zone_new_utc()
        let timestamp = g_date_time_to_timezone(utc, zone)
        defer {
            g_date_time_unref(timestamp)
            g_date_time_unref(utc)
            g_time_zone_unref(zone)
        }
        g_mime_message_set_date(message, timestamp)
        if let inReplyTo = mail.inReplyTo {
            g_mime_object_set_header(portal_gmime_object(message), "In-Reply-To", "<\(inReplyTo)>", nil)
            g_mime_object_set_header(portal_gmime_object(message), "References", "<\(inReplyTo)>", nil)
        }
        // An automatic reply must not start a loop of automatic replies (RFC 3834).
        g_mime_object_set_header(portal_gmime_object(message), "Auto-Submitted", "auto-replied", nil)
        let body = g_mime_text_part_new_with_subtype("plain")!
        defer { portal_g_object_unref(body) }
        g_mime_text_part_set_text(body, mail.text.composed)
        g_mime_part_set_content_encoding(portal_gmime_part(portal_gmime_object(body)), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
        g_mime_message_set_mime_part(message, portal_gmime_object(body))
        let options = g_mime_format_options_new()
        defer { g_mime_format_options_free(options) }
        g_mime_format_options_set_newline_format(options, GMIME_NEWLINE_FORMAT_DOS)
        guard let text = g_mime_object_to_string(portal_gmime_object(message), options) else { return [] }
        defer { g_free(text) }
        return Array(UnsafeRawBufferPointer(start: text, count: strlen(text)))
    }
}
