/// The conversation of one SMTP (RFC 5321) or LMTP (RFC 2033) connection, as a pure state
/// machine: lines in, replies and deliveries out. The network code feeds it; tests drive it
/// directly.
public struct MailSession: Sendable {
    public enum Dialect: Sendable {
        case smtp, lmtp
    }

    public struct Limits: Sendable {
        /// Bytes of one message as received, after dot-unstuffing.
        public var maxMessageBytes: Int
        public var maxRecipients: Int
        /// A command line, CRLF excluded (RFC 5321 §4.5.3.1.4 sets 512 with CRLF).
        public var maxCommandLength: Int

        public init(maxMessageBytes: Int = 25 * 1024 * 1024, maxRecipients: Int = 50, maxCommandLength: Int = 510) {
            self.maxMessageBytes = maxMessageBytes
            self.maxRecipients = maxRecipients
            self.maxCommandLength = maxCommandLength
        }
    }

    public struct Reply: Sendable, Equatable, CustomStringConvertible {
        public var code: Int
        public var text: String

        public init(_ code: Int, _ text: String) {
            self.code = code
            self.text = text
        }

        public var description: String { "\(code) \(text)" }

        /// The reply as sent: a text of several lines becomes a multi-line reply (`250-…`, then `250 …`).
        public var wire: String {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            return lines.enumerated().map { index, line in
                "\(code)\(index == lines.count - 1 ? " " : "-")\(line)\r\n"
            }.joined()
        }
    }

    /// A message whose end of data has been read, for the receiver to store.
    public struct Envelope: Sendable {
        public var sender: String
        public var recipients: [String]
        public var data: [UInt8]
    }

    public enum Action: Sendable, Equatable {
        case reply([Reply])
        /// Store the message, then call `delivered(_:)` with the outcome.
        case deliver
        case close
    }

    public let dialect: Dialect
    public let limits: Limits
    public let hostname: String
    /// Decides whether an address is a mailbox this server takes mail for.
    private let acceptsRecipient: @Sendable (String) -> Bool

    private enum State: Sendable {
        case greeted, ready, mail, data, delivering
    }

    private var state = State.greeted
    private var sender = ""
    private var recipients = [String]()
    private var data = [UInt8]()
    private var overSize = false

    public init(dialect: Dialect, hostname: String, limits: Limits = Limits(), acceptsRecipient: @escaping @Sendable (String) -> Bool) {
        self.dialect = dialect
        self.hostname = hostname
        self.limits = limits
        self.acceptsRecipient = acceptsRecipient
    }

    public var greeting: Reply {
        Reply(220, "\(hostname) \(dialect == .lmtp ? "LMTP" : "ESMTP") Cổng TTĐT tỉnh Long An - webmaster intake")
    }

    public var isReadingData: Bool { state == .data }

    /// The envelope of the message waiting for `delivered(_:)`.
    public var pendingEnvelope: Envelope? {
        state == .delivering ? Envelope(sender: sender, recipients: recipients, data: data) : nil
    }

    /// One line as received, without its CRLF. `tooLong` marks a line cut at the reader's limit.
    public mutating func receive(line: [UInt8], tooLong: Bool = false) -> Action {
        switch state {
        case .data: return receiveData(line: line, tooLong: tooLong)
        case .delivering: return .reply([Reply(503, "5.5.1 Wait for the reply to the previous message")])
        default: break
        }
        if tooLong || line.count > limits.maxCommandLength {
            return .reply([Reply(500, "5.5.2 Line too long")])
        }
        let text = String(decoding: line, as: UTF8.self)
        let verb = text.prefix(while: { $0 != " " }).uppercased()
        let argument = text.dropFirst(verb.count).trimmingCharacters(in: .whitespaces)
        switch verb {
        case "LHLO" where dialect == .lmtp, "EHLO" where dialect == .smtp:
            reset()
            state = .ready
            return .reply([Reply(250, [hostname, "PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8", "SIZE \(limits.maxMessageBytes)"].joined(separator: "\n"))])
        case "HELO" where dialect == .smtp:
            reset()
            state = .ready
            return .reply([Reply(250, hostname)])
        case "HELO", "EHLO", "LHLO":
            return .reply([Reply(500, dialect == .lmtp ? "5.5.1 This is LMTP: say LHLO" : "5.5.1 This is SMTP: say EHLO or HELO")])
        case "MAIL":
            guard state == .ready else {
                return .reply([Reply(503, state == .greeted ? "5.5.1 Say \(dialect == .lmtp ? "LHLO" : "EHLO") first" : "5.5.1 Nested MAIL command")])
            }
            guard let (address, parameters) = Self.path(argument, keyword: "FROM") else {
                return .reply([Reply(501, "5.5.4 Syntax: MAIL FROM:<address>")])
            }
            if let size = parameters["SIZE"].flatMap(Int.init), size > limits.maxMessageBytes {
                return .reply([Reply(552, "5.3.4 \(Self.tooLarge(limits.maxMessageBytes)) (\(size) bytes)")])
            }
            sender = address
            state = .mail
            return .reply([Reply(250, "2.1.0 Sender OK")])
        case "RCPT":
            guard state == .mail else { return .reply([Reply(503, "5.5.1 Need MAIL before RCPT")]) }
            guard let (address, _) = Self.path(argument, keyword: "TO"), !address.isEmpty else {
                return .reply([Reply(501, "5.5.4 Syntax: RCPT TO:<address>")])
            }
            guard recipients.count < limits.maxRecipients else {
                return .reply([Reply(452, "4.5.3 Too many recipients")])
            }
            guard acceptsRecipient(address.lowercased()) else {
                return .reply([Reply(550, "5.1.1 No such mailbox here: \(address)")])
            }
            recipients.append(address.lowercased())
            return .reply([Reply(250, "2.1.5 Recipient OK")])
        case "DATA":
            guard state == .mail else { return .reply([Reply(503, "5.5.1 Need MAIL before DATA")]) }
            guard !recipients.isEmpty else { return .reply([Reply(554, "5.5.1 No valid recipients")]) }
            state = .data
            data = []
            overSize = false
            return .reply([Reply(354, "Start mail input; end with <CRLF>.<CRLF>")])
        case "RSET":
            reset()
            if state != .greeted { state = .ready }
            return .reply([Reply(250, "2.0.0 OK")])
        case "NOOP":
            return .reply([Reply(250, "2.0.0 OK")])
        case "VRFY":
            return .reply([Reply(252, "2.5.2 Cannot verify the user; send the message and it will be tried")])
        case "QUIT":
            return .close
        default:
            return .reply([Reply(500, "5.5.2 Command not recognised")])
        }
    }

    private mutating func receiveData(line: [UInt8], tooLong: Bool) -> Action {
        if line == [UInt8(ascii: ".")] {
            if overSize {
                let replies = Array(repeating: Reply(552, "5.3.4 \(Self.tooLarge(limits.maxMessageBytes))"), count: dialect == .lmtp ? recipients.count : 1)
                reset()
                state = .ready
                return .reply(replies)
            }
            state = .delivering
            return .deliver
        }
        // A line that reached the reader's limit counts as too large: the message is refused whole.
        if tooLong { overSize = true }
        guard !overSize else { return .reply([]) }
        let content = line.first == UInt8(ascii: ".") ? line.dropFirst() : line[...]
        if data.count + content.count + 2 > limits.maxMessageBytes {
            overSize = true
            data = []
            return .reply([])
        }
        data.append(contentsOf: content)
        data.append(contentsOf: [13, 10])
        return .reply([])
    }

    /// The receiver's outcome for the pending message: one reply in SMTP, one per recipient in LMTP.
    public mutating func delivered(_ outcome: Reply) -> Action {
        let count = dialect == .lmtp ? recipients.count : 1
        reset()
        state = .ready
        return .reply(Array(repeating: outcome, count: count))
    }

    private mutating func reset() {
        sender = ""
        recipients = []
        data = []
        overSize = false
    }

    /// The refusal of a message over the limit, Vietnamese first: the MTA puts this text in the
    /// bounce the sender reads. The limit is of the whole message as sent, in which base64 makes
    /// attachments a third larger: about 18 MB of files fit in 25 MiB.
    static func tooLarge(_ limit: Int) -> String {
        let megabytes = limit / (1024 * 1024)
        let attachments = limit / 4 * 3 / 1_000_000 - 1
        return "Thư vượt quá \(megabytes) MB (tệp đính kèm tổng cộng khoảng \(attachments) MB); xin gửi tệp lớn qua đường dẫn tải về hoặc chia thành nhiều thư. "
            + "Message exceeds the limit of \(limit) bytes (about \(attachments) MB of attachments)."
    }

    /// `FROM:<a@b> SIZE=10` → ("a@b", ["SIZE": "10"]). The null path `<>` is an empty address.
    static func path(_ argument: String, keyword: String) -> (String, [String: String])? {
        guard argument.uppercased().hasPrefix(keyword + ":") else { return nil }
        let rest = argument.dropFirst(keyword.count + 1).trimmingCharacters(in: .whitespaces)
        guard rest.hasPrefix("<"), let close = rest.firstIndex(of: ">") else { return nil }
        let address = String(rest[rest.index(after: rest.startIndex)..<close])
        guard !address.contains(" "), address.isEmpty || address.contains("@") else { return nil }
        var parameters = [String: String]()
        for item in rest[rest.index(after: close)...].split(separator: " ") {
            // "=", "=x": a parameter without a keyword is malformed (RFC 5321 §4.1.2).
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let keyword = pair.first, !keyword.isEmpty else { return nil }
            parameters[keyword.uppercased()] = pair.count > 1 ? String(pair[1]) : ""
        }
        return (address, parameters)
    }
}
