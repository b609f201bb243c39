import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `portalctl mail import PATH`: hands old mail to the intake service exactly as the MTA would,
/// over LMTP, so that imported mail is parsed, checked, deduplicated and quarantined the same way.
struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "Mail sent to webmaster@.", subcommands: [MailImportCommand.self])
}

struct MailImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a Maildir, an mbox file, .eml files or a folder of them through intake's LMTP listener.",
        discussion: "A message already received (same Message-ID) is not submitted twice, so an interrupted import can be run again.")

    @Argument(help: "A Maildir (with cur/ and new/), an mbox file, an .eml file, or a folder of .eml files.")
    var path: String

    @Option(help: "The intake LMTP listener, host:port.")
    var lmtp = "127.0.0.1:8024"

    @Option(help: "The intake mailbox to deliver to.")
    var recipient = "webmaster@longan.gov.vn"

    func run() throws {
        let messages = try MailboxReader.messages(at: path)
        guard !messages.isEmpty else { throw ValidationError("no messages found at \(path)") }
        let (host, port) = try Self.endpoint(lmtp)
        let client = try LMTPClient(host: host, port: port)
        defer { client.close() }
        var tally = [String: Int]()
        var failures = [String]()
        let progress = ProgressBar(total: messages.count, label: "messages")
        for (index, message) in messages.enumerated() {
            let reply = try client.deliver(message.bytes, to: recipient)
            tally[Self.outcome(of: reply), default: 0] += 1
            if !(200..<300).contains(reply.code) { failures.append("\(message.name): \(reply.code) \(reply.text)") }
            progress.update(index + 1)
        }
        progress.finish()
        print(tally.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n"))
        if !failures.isEmpty {
            print("not delivered (run the import again once the cause is fixed):\n" + failures.joined(separator: "\n"))
            throw ExitCode(1)
        }
    }

    static func outcome(of reply: LMTPClient.Reply) -> String {
        if reply.text.contains("Already") { return "already received" }
        if reply.text.contains("Received as submission") { return "submitted" }
        if reply.text.contains("Kept for review") { return "quarantined" }
        return reply.code < 500 ? "failed, temporary" : "refused"
    }

    static func endpoint(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw ValidationError("--lmtp must be host:port, e.g. 127.0.0.1:8024")
        }
        return (String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
    }
}

/// Finds the messages of a Maildir, an mbox file, or .eml files.
enum MailboxReader {
    struct Message {
        var name: String
        var bytes: [UInt8]
    }

    static func messages(at path: String) throws -> [Message] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ValidationError("\(path) does not exist") }
        if isDirectory.boolValue {
            let folders = ["cur", "new"].map { "\(path)/\($0)" }.filter { manager.fileExists(atPath: $0) }
            let files = folders.isEmpty
                ? try manager.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".eml") }.sorted().map { "\(path)/\($0)" }
                : try folders.flatMap { folder in try manager.contentsOfDirectory(atPath: folder).sorted().map { "\(folder)/\($0)" } }
            return try files.map { Message(name: $0, bytes: try read($0)) }
        }
        let bytes = try read(path)
        return bytes.starts(with: Array("From ".utf8)) ? splitMbox(bytes, name: path) : [Message(name: path, bytes: bytes)]
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        return [UInt8](data)
    }

    /// mboxrd: a message starts at a line "From "; ">From " (with any number of '>') loses one '>'.
    static func splitMbox(_ bytes: [UInt8], name: String) -> [Message] {
        var messages = [Message]()
        var current: [UInt8]?
        let from = Array("From ".utf8)
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if line.starts(with: from) {
                if let message = current { messages.append(Message(name: "\(name)#\(messages.count + 1)", bytes: message)) }
                current = []
                continue
            }
            guard current != nil else { continue }
            var content = Array(line)
            if content.last == UInt8(ascii: "\r") { content.removeLast() }
            if let firstNonQuote = content.firstIndex(where: { $0 != UInt8(ascii: ">") }), firstNonQuote > 0,
               content[firstNonQuote...].starts(with: from) {
                content.removeFirst()
            }
            current! += content + [13, 10]
        }
        if let message = current {
            // The blank line that separates messages belongs to the mbox, not to the message.
            var trimmed = message
            while trimmed.suffix(2) == [13, 10], trimmed.dropLast(2).suffix(2) == [13, 10] { trimmed.removeLast(2) }
            messages.append(Message(name: "\(name)#\(messages.count + 1)", bytes: trimmed))
        }
        return messages
    }
}

/// A blocking LMTP client (RFC 2033), enough to hand messages to intake one after another.
final class LMTPClient {
    struct Reply {
        var code: Int
        var text: String
    }

    private let socket: Int32
    private var buffer = [UInt8]()

    init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let first = info else {
            throw ValidationError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(info) }
        var candidate = first as UnsafeMutablePointer<addrinfo>?
        var connected: Int32 = -1
        while let entry = candidate, connected < 0 {
            let fd = Glibc.socket(entry.pointee.ai_family, entry.pointee.ai_socktype, entry.pointee.ai_protocol)
            if fd >= 0, connect(fd, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 {
                connected = fd
            } else if fd >= 0 {
                Glibc.close(fd)
            }
            candidate = entry.pointee.ai_next
        }
        guard connected >= 0 else { throw ValidationError("cannot connect to the LMTP listener at \(host):\(port); is intake running?") }
        socket = connected
        let greeting = try readReply()
        guard greeting.code == 220 else { throw ValidationError("unexpected greeting: \(greeting.code) \(greeting.text)") }
        try command("LHLO portalctl", expect: 250)
    }

    func close() {
        try? write("QUIT\r\n")
        Glibc.close(socket)
    }

    /// One message; returns the server's reply to it (one recipient, so one reply).
    func deliver(_ message: [UInt8], to recipient: String) throws -> Reply {
        for (line, expected) in [("MAIL FROM:<>", 250), ("RCPT TO:<\(recipient)>", 250)] {
            let reply = try sendCommand(line)
            guard reply.code == expected else {
                _ = try? sendCommand("RSET")
                return reply
            }
        }
        let go = try sendCommand("DATA")
        guard go.code == 354 else { return go }
        var data = [UInt8]()
        data.reserveCapacity(message.count + message.count / 50 + 5)
        for line in message.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            var content = Array(line)
            if content.last == UInt8(ascii: "\r") { content.removeLast() }
            if content.first == UInt8(ascii: ".") { data.append(UInt8(ascii: ".")) }
            data += content + [13, 10]
        }
        // The split leaves an empty last line when the message ends with a newline.
        if message.last == UInt8(ascii: "\n") { data.removeLast(2) }
        data += Array(".\r\n".utf8)
        try write(data)
        return try readReply()
    }

    @discardableResult
    private func command(_ line: String, expect code: Int) throws -> Reply {
        let reply = try sendCommand(line)
        guard reply.code == code else { throw ValidationError("\(line): \(reply.code) \(reply.text)") }
        return reply
    }

    private func sendCommand(_ line: String) throws -> Reply {
        try write(line + "\r\n")
        return try readReply()
    }

    private func write(_ text: String) throws { try write(Array(text.utf8)) }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw ValidationError("the LMTP connection closed while sending") }
            offset += written
        }
    }

    /// A reply, possibly of several lines (`250-…` then `250 …`).
    private func readReply() throws -> Reply {
        var lines = [String]()
        while true {
            let line = try readLine()
            lines.append(String(line.dropFirst(4)))
            guard line.count >= 4, line[line.index(line.startIndex, offsetBy: 3)] == "-" else {
                return Reply(code: Int(line.prefix(3)) ?? 0, text: lines.joined(separator: "\n"))
            }
        }
    }

    private func readLine() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw ValidationError("the LMTP connection closed") }
            buffer += chunk[..<count]
        }
    }
}

/// A progress bar on standard error: redrawn in place on a terminal, a line per tenth otherwise.
final class ProgressBar {
    var total: Int
    let label: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastTenth = -1

    init(total: Int, label: String) {
        self.total = max(1, total)
        self.label = label
    }

    func update(_ done: Int) {
        let fraction = Double(done) / Double(total)
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) \(label)".utf8))
        } else if Int(fraction * 10) > lastTenth {
            lastTenth = Int(fraction * 10)
            FileHandle.standardError.write(Data("\(done)/\(total) \(label)\n".utf8))
        }
    }

    /// For work whose size is known only once it starts.
    func update(_ done: Int, of total: Int) {
        self.total = max(1, total)
        update(done)
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
