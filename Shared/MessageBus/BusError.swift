/// A failure talking to the broker, with the broker's or the library's reason.
public struct BusError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectionFailed, connectionLost, channelClosed, publishRefused, confirmTimeout, closed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// TCP connect or login failed.
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke (broker restart, missed heartbeats, socket error).
        public static let connectionLost = Code(.connectionLost)
        /// The broker closed the channel, e.g. a declaration with other arguments (406).
        public static let channelClosed = Code(.channelClosed)
        /// The broker answered a publish with basic.nack.
        public static let publishRefused = Code(.publishRefused)
        /// Confirms did not arrive in time.
        public static let confirmTimeout = Code(.confirmTimeout)
        /// The link was shut down.
        public static let closed = Code(.closed)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String
    /// The queue or exchange concerned, when there is one.
    public let context: String?

    public init(_ code: Code, _ message: String, context: String? = nil) {
        self.code = code
        self.message = message
        self.context = context
    }

    public var description: String {
        "BusError(\(code)): \(message)" + (context.map { " [\($0)]" } ?? "")
    }
}
