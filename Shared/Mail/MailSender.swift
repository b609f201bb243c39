internal import CCurl
import Foundation
import NIOPosix

/// Where outgoing mail goes.
public protocol MailSender: Sendable {
    func send(_ message: [UInt8], from sender: String, to recipient: String) async throws
}

public enum MailSenders {
    /// `PORTAL_MAIL_RELAY`: `smtp://host:port` or `smtps://user:password@host:port` for a relay,
    /// `folder:PATH` (or nothing) for a local Maildir that development and tests read.
    public static func from(relay: String?, defaultFolder: String) -> any MailSender {
        guard let relay, !relay.isEmpty else { return MaildirSender(folder: defaultFolder) }
        if relay.hasPrefix("folder:") { return MaildirSender(folder: String(relay.dropFirst("folder:".count))) }
        return SMTPRelaySender(url: relay)
    }
}

/// Delivers into a Maildir (`tmp/` then `new/`), the layout mail tools and tests read.
public struct MaildirSender: MailSender {
    public let folder: String

    public init(folder: String) {
        self.folder = folder
    }

    public func send(_ message: [UInt8], from sender: String, to recipient: String) async throws {
        let manager = FileManager.default
        for sub in ["tmp", "new", "cur"] {
            try manager.createDirectory(atPath: "\(folder)/\(sub)", withIntermediateDirectories: true)
        }
        let name = "\(Int(Date().timeIntervalSince1970)).\(UUID().uuidString.lowercased()).portal"
        let temporary = "\(folder)/tmp/\(name)"
        try Data(message).write(to: URL(fileURLWithPath: temporary))
        try manager.moveItem(atPath: temporary, toPath: "\(folder)/new/\(name)")
    }
}

/// Hands mail to an SMTP relay with libcurl, on a thread of its own so that the blocking
/// transfer never holds up Swift's shared pool.
public struct SMTPRelaySender: MailSender {
    public let url: String
    public let timeoutSeconds: Int

    public init(url: String, timeoutSeconds: Int = 30) {
        self.url = url
        self.timeoutSeconds = timeoutSeconds
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public func send(_ message: [UInt8], from sender: String, to recipient: String) async throws {
        let url = self.url, timeout = self.timeoutSeconds
        try await NIOThreadPool.singleton.runIfActive {
            try Self.transfer(message, from: sender, to: recipient, url: url, timeout: timeout)
        }
    }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    private static func transfer(_ message: [UInt8], from sender: String, to recipient: String, url: String, timeout: Int) throws {
        _ = globalInit
        guard let curl = curl_easy_init() else { throw Failure(description: "libcurl could not start a transfer") }
        defer { curl_easy_cleanup(curl) }
        let reader = Unmanaged.passRetained(MessageReader(message))
        defer { reader.release() }
        let recipients = curl_slist_append(nil, "<\(recipient)>")
        defer { curl_slist_free_all(recipients) }
        portal_curl_set_string(curl, CURLOPT_URL, url)
        portal_curl_set_string(curl, CURLOPT_MAIL_FROM, "<\(sender)>")
        portal_curl_set_pointer(curl, CURLOPT_MAIL_RCPT, UnsafeMutableRawPointer(recipients))
        portal_curl_set_long(curl, CURLOPT_UPLOAD, 1)
        portal_curl_set_long(curl, CURLOPT_TIMEOUT, timeout)
        portal_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        portal_curl_set_read_function(curl) { buffer, size, count, context in
            guard let buffer, let context else { return 0 }
            return Unmanaged<MessageReader>.fromOpaque(context).takeUnretainedValue().read(into: buffer, capacity: size * count)
        }
        portal_curl_set_pointer(curl, CURLOPT_READDATA, reader.toOpaque())
        let code = curl_easy_perform(curl)
        guard code == CURLE_OK else {
            throw Failure(description: "SMTP relay refused or failed: \(String(cString: curl_easy_strerror(code)))")
        }
    }
}

/// Feeds a message to libcurl's read callback.
private final class MessageReader: @unchecked Sendable {
    // Read only by the one libcurl transfer that owns it.
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}
