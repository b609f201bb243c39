import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import ServiceKit

/// Counts what one address or one contact does in a fixed window and refuses past a limit, so
/// that nobody floods the Center's inbox or guesses tracking codes. Counted in this process: with
/// several instances the limit holds per instance (docs/decisions.md), which still bounds a
/// flood while costing no database write per request. Contacts are counted by a keyed hash, so the
/// counters hold no personal data.
final class RateLimiter: Sendable {
    let limit: Int
    let window: Duration
    private let counters = NIOLockedValueBox<[String: (start: ContinuousClock.Instant, count: Int)]>([:])
    private let salt = SymmetricKey(size: .bits256).withUnsafeBytes { [UInt8]($0) }

    init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// Counts one more for `key`; false when the limit was already reached in this window.
    func allow(_ key: String) -> Bool {
        guard limit > 0 else { return true }
        let now = ContinuousClock.now
        let window = self.window, limit = self.limit
        return counters.withLockedValue { counters in
            if counters.count > 100_000 { counters = counters.filter { now - $0.value.start < window } }
            var entry = counters[key] ?? (now, 0)
            if now - entry.start >= window { entry = (now, 0) }
            guard entry.count < limit else { return false }
            entry.count += 1
            counters[key] = entry
            return true
        }
    }

    /// A key for a contact (email or phone) that does not keep it.
    func contactKey(_ contact: String) -> String {
        "contact:" + Data(HMAC<SHA256>.authenticationCode(for: Data(contact.lowercased().utf8), using: SymmetricKey(data: salt))).base64EncodedString()
    }
}

/// The limits of the public side, from the environment.
struct PublicLimits: Sendable {
    /// Questions and comments per address per hour (`FEEDBACK_QUESTIONS_PER_ADDRESS_HOUR`, 20).
    let questionsByAddress: RateLimiter
    /// Questions per email or phone per day (`FEEDBACK_QUESTIONS_PER_CONTACT_DAY`, 10).
    let questionsByContact: RateLimiter
    /// Lookups of tracking codes per address per minute (`FEEDBACK_LOOKUPS_PER_ADDRESS_MINUTE`, 30).
    let lookupsByAddress: RateLimiter

    init(environment: [String: String]) {
        func number(_ name: String, _ fallback: Int) -> Int { environment[name].flatMap(Int.init) ?? fallback }
        questionsByAddress = RateLimiter(limit: number("FEEDBACK_QUESTIONS_PER_ADDRESS_HOUR", 20), window: .seconds(3_600))
        questionsByContact = RateLimiter(limit: number("FEEDBACK_QUESTIONS_PER_CONTACT_DAY", 10), window: .seconds(86_400))
        lookupsByAddress = RateLimiter(limit: number("FEEDBACK_LOOKUPS_PER_ADDRESS_MINUTE", 30), window: .seconds(60))
    }

    static let tooManyQuestions = APIError(
        .tooManyRequests, code: "too_many_questions",
        message: "Ông/bà đã gửi nhiều câu hỏi trong thời gian ngắn; vui lòng thử lại sau một giờ. / Too many questions from this address or contact; try again later.",
        retryAfterSeconds: 3_600)
    static let tooManyLookups = APIError(
        .tooManyRequests, code: "too_many_lookups",
        message: "Tra cứu quá nhiều lần trong một phút; vui lòng đợi một phút rồi thử lại. / Too many lookups; wait a minute.",
        retryAfterSeconds: 60)

    /// The citizen's address, through nginx when it is in front (`ForwardedRequest`).
    static func clientAddress(_ request: Request, _ context: PortalContext) -> String {
        context.clientAddress(request)
    }
}
