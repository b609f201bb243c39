import ContentSafety
import Foundation
import Hummingbird
import NIOCore
import MessageBus
import Models
import Store

/// An error the caller can act on, rendered as `{"error": {"code", "message"}}` with a 4xx
/// status (DESIGN.md, External contract). The code is stable; the message explains.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// For a 503: when to try again, sent as `Retry-After`.
    public let retryAfterSeconds: Int?

    public init(_ status: HTTPResponse.Status, code: String, message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Nothing was stored; the same request may be sent again after `seconds`.
    public static func unavailable(_ code: String, _ message: String, retryAfterSeconds seconds: Int) -> APIError {
        APIError(.serviceUnavailable, code: code, message: message, retryAfterSeconds: seconds)
    }

    public static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code: code, message: message) }
    public static func notFound(_ code: String, _ message: String) -> APIError { APIError(.notFound, code: code, message: message) }
    public static func forbidden(_ code: String, _ message: String) -> APIError { APIError(.forbidden, code: code, message: message) }
    public static func conflict(_ code: String, _ message: String) -> APIError { APIError(.conflict, code: code, message: message) }
    public static let unauthorized = APIError(
        .unauthorized, code: "unauthorized", message: "Send a valid token: Authorization: Bearer <token> (portalctl token create --user LOGIN)")

    struct Body: Encodable {
        struct Detail: Encodable {
            let code: String
            let message: String
        }
        let error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        if Self.isPageRequest(request) { return htmlResponse() }
        let data = try JSONEncoder().encode(Body(error: .init(code: code, message: message)))
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    /// A person's browser sent this (a form posted, a page asked for), not a program calling the API:
    /// the answer is a page they can read, not JSON. The API's paths always answer JSON.
    static func isPageRequest(_ request: Request) -> Bool {
        !request.uri.path.hasPrefix("/api/") && (request.headers[.accept] ?? "").contains("text/html")
    }

    /// What a person reads, in Vietnamese first, for the codes a page can meet before its own
    /// handler could answer (a form too large to read, a server too busy).
    static let pageMessages: [String: String] = [
        "payload_too_large": "Nội dung hoặc tệp đính kèm gửi lên quá lớn. Bấm nút Quay lại của trình duyệt để trở về biểu mẫu (nội dung đã nhập vẫn còn), chọn tệp nhỏ hơn rồi gửi lại.",
        "too_large": "Nội dung hoặc tệp đính kèm gửi lên quá lớn. Bấm nút Quay lại của trình duyệt để trở về biểu mẫu, chọn tệp nhỏ hơn rồi gửi lại.",
        "busy": "Hệ thống đang bận; chưa có gì được lưu. Bấm nút Quay lại của trình duyệt rồi gửi lại sau ít giây.",
        "database_unavailable": "Hệ thống tạm thời gián đoạn; chưa có gì được lưu. Bấm nút Quay lại của trình duyệt rồi gửi lại sau ít phút.",
        "database_full": "Hệ thống tạm thời không lưu được; chưa có gì được lưu. Vui lòng gửi lại sau.",
        "timeout": "Yêu cầu mất quá nhiều thời gian nên đã dừng; chưa có gì được lưu. Bấm nút Quay lại của trình duyệt rồi gửi lại.",
        "broker_unavailable": "Hệ thống tạm thời gián đoạn; chưa có gì được lưu. Bấm nút Quay lại của trình duyệt rồi gửi lại sau ít giây.",
        "not_found": "Không tìm thấy trang này.",
        "method_not_allowed": "Không thực hiện được thao tác này từ trang này; vui lòng mở lại trang rồi làm lại.",
        "unsupported_media_type": "Biểu mẫu gửi lên không đúng dạng; vui lòng mở lại trang rồi gửi lại.",
        "invalid_character": "Nội dung có ký tự không lưu được; vui lòng bỏ ký tự đó rồi gửi lại.",
        "internal_error": "Đã có lỗi ở phía hệ thống; chưa có gì được lưu. Vui lòng thử lại; nếu vẫn lỗi, báo quản trị kèm mã lỗi dưới đây.",
    ]

    func htmlResponse() -> Response {
        let vietnamese = Self.pageMessages[code]
            ?? "Không thực hiện được yêu cầu. Bấm nút Quay lại của trình duyệt để trở về trang trước và thử lại."
        let html = """
            <!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="icon" href="data:,"><title>Chưa thực hiện được</title></head>
            <body><main><h1>Chưa thực hiện được</h1><p role="alert">\(HTMLSanitizer.escape(vietnamese))</p>
            <p class="hint">Mã lỗi: <code>\(HTMLSanitizer.escape(code))</code></p>
            <p lang="en">\(HTMLSanitizer.escape(message))</p></main></body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// Makes every error a JSON error body: framework errors keep their status with a code
/// derived from it; anything else is a bug, logged with the correlation id, and a 500.
struct ErrorMiddleware<Context: PortalRequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            throw APIError(error.status, code: Self.code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        } catch let error as DecodingError {
            throw APIError.badRequest("invalid_json", "The request body is not the JSON this endpoint takes: \(Self.describe(error))")
        } catch let error as StoreError where error.isUnavailable || error.sqlState == "57014" || error.sqlState?.hasPrefix("53") == true {
            // Nothing was committed (a transaction either commits or is rolled back): the
            // client should simply send the same request again a little later.
            context.logger.warning("database unavailable", metadata: ["error": .string("\(error)")])
            throw Self.unavailable(error)
        } catch let error as StoreError where error.sqlState == "22021" {
            throw APIError.badRequest(
                "invalid_character", "A text in the request contains a character that cannot be stored (U+0000, or bytes that are not UTF-8): remove it.")
        } catch let error as StoreError where error.sqlState?.hasPrefix("22") == true {
            // A data exception (a number out of range, a malformed value) comes from what the
            // request sent, which a handler let through unchecked: the client can fix it.
            context.logger.warning("request value refused by the database", metadata: ["error": .string("\(error)")])
            throw APIError.badRequest(
                "invalid_value", "A value in the request is out of range or malformed: \(error.message)")
        } catch let error as NIOTooManyBytesError {
            // Hummingbird's limit on a collected body: a response of its own, but an empty one.
            let limit = error.maxBytes.map { " (at most \(VietnameseNumber.grouped($0)) bytes)" } ?? ""
            throw APIError(.contentTooLarge, code: "payload_too_large", message: "The request body is larger than this endpoint takes\(limit).")
        } catch let error as any HTTPResponseError {
            // A response of its own (the sign-in redirect of a staff page): not an error to hide.
            throw error
        } catch let error as BusError {
            context.logger.warning("broker unavailable", metadata: ["error": .string("\(error)")])
            throw APIError.unavailable(
                "broker_unavailable", "The message broker cannot be reached; nothing was stored. Try again in a few seconds.",
                retryAfterSeconds: 5)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": .string("\(error)")])
            throw APIError(
                .internalServerError, code: "internal_error",
                message: "Something went wrong on our side; quote correlation id \(context.correlationId) when reporting it.")
        }
    }

    static func unavailable(_ error: StoreError) -> APIError {
        if error.sqlState?.hasPrefix("53") == true {
            return .unavailable(
                "database_full", "The database has no room left (disk or memory); nothing was stored. Operators are told by /readyz; try again later.",
                retryAfterSeconds: 60)
        }
        if error.code == .busy {
            return .unavailable(
                "busy", "The server is busy with other requests; nothing was stored. Try again in a second.", retryAfterSeconds: 1)
        }
        if error.sqlState == "57014" {
            return .unavailable(
                "timeout", "The request took too long and was cancelled; nothing was stored. Try again shortly.", retryAfterSeconds: 5)
        }
        return .unavailable(
            "database_unavailable", "The database cannot be reached; nothing was stored. Try again in a few seconds.",
            retryAfterSeconds: 5)
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .contentTooLarge: "too_large"
        case .unsupportedMediaType: "unsupported_media_type"
        default: status.code < 500 ? "bad_request" : "internal_error"
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing field '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            "field '\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
        @unknown default: "malformed"
        }
    }
}
