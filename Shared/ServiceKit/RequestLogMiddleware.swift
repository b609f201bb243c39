import Hummingbird
import Logging

/// One log line per request with method, path, status and duration, carrying the request's
/// `hb.request.id` and `correlation.id`. Probes (`/healthz`, `/readyz`, `/metrics`) log at
/// debug so that a load balancer's polling does not drown the rest.
struct RequestLogMiddleware<Context: PortalRequestContext>: RouterMiddleware {
    static var probes: Set<String> { ["/healthz", "/readyz", "/metrics"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let level: Logger.Level = Self.probes.contains(request.uri.path) ? .debug : .info
        do {
            let response = try await next(request, context)
            log(request, status: response.status.code, since: started, level: level, context: context)
            return response
        } catch let error as any HTTPResponseError {
            log(request, status: error.status.code, since: started, level: level, context: context)
            throw error
        }
    }

    /// Paths that carry a secret the log must not keep: a question's tracking code is what
    /// opens its status, so only its first characters are logged.
    static func redacted(_ path: String) -> String {
        let prefix = "/api/v1/questions/"
        guard path.hasPrefix(prefix) else { return path }
        let rest = path.dropFirst(prefix.count)
        let code = rest.prefix { $0 != "/" }
        return prefix + code.prefix(3) + "…" + rest.dropFirst(code.count)
    }

    private func log(_ request: Request, status: Int, since started: ContinuousClock.Instant, level: Logger.Level, context: Context) {
        let elapsed = ContinuousClock.now - started
        context.logger.log(
            level: level, "\(request.method) \(Self.redacted(request.uri.path)) \(status)",
            metadata: [
                "http.status": .stringConvertible(status),
                "http.duration_ms": .stringConvertible(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000),
            ])
    }
}
