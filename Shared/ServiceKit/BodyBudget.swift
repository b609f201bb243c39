import Hummingbird
import Metrics
import NIOConcurrencyHelpers

/// Bounds the request bodies a process holds at once, in bytes.
///
/// A handler collects its body into memory (intake's up to ~35 MB, for attachments in base64).
/// Without a bound, many large uploads at once grow the process until the machine runs out
/// of memory. Each request with a body reserves its declared length (or, sent in chunks, the
/// largest body any route takes) before its handler runs and returns it when the handler is
/// done; when the budget is spent the request is answered at once `503 busy` with
/// `Retry-After`, and nothing is stored.
public final class BodyBudget: Sendable {
    private let capacity: Int
    private let assumedWithoutLength: Int
    private let inUse = NIOLockedValueBox(0)
    private let refused = Counter(label: "portal_http_bodies_refused_total")

    /// `capacity`: bytes of bodies in flight at once; `assumedWithoutLength`: what a chunked
    /// body reserves (its route will refuse more than that anyway).
    public init(capacity: Int, assumedWithoutLength: Int) {
        self.capacity = max(1, capacity)
        self.assumedWithoutLength = max(1, assumedWithoutLength)
    }

    /// Reserves `bytes` (at most the whole capacity, so one request alone always fits).
    func reserve(_ bytes: Int) -> Int? {
        let amount = min(max(0, bytes), capacity)
        return inUse.withLockedValue { used in
            guard used + amount <= capacity else { return nil }
            used += amount
            return amount
        }
    }

    func release(_ amount: Int) {
        inUse.withLockedValue { $0 -= amount }
    }

    var bytesInUse: Int { inUse.withLockedValue { $0 } }

    func reservation(for request: Request) -> Int {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }) { return length }
        switch request.method {
        case .get, .head, .delete, .options: return 0
        default: return assumedWithoutLength
        }
    }

    func refuse() -> APIError {
        refused.increment()
        return .unavailable(
            "busy", "Too many uploads are being received at once; nothing was stored. Send it again in a few seconds.",
            retryAfterSeconds: 2)
    }
}

struct BodyBudgetMiddleware<Context: RequestContext>: RouterMiddleware {
    let budget: BodyBudget

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let wanted = budget.reservation(for: request)
        guard wanted > 0 else { return try await next(request, context) }
        guard let reserved = budget.reserve(wanted) else { throw budget.refuse() }
        defer { budget.release(reserved) }
        return try await next(request, context)
    }
}
