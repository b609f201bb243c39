import Foundation
@testable import Intake
import ServiceKit
import XCTest

/// U+0000 in any text of a submission is refused at intake with a clear code: accepted, it
/// would be refused by approval's database after the 202 and never reach the editors.
final class SubmissionTextTests: XCTestCase {
    func request(_ json: String) throws -> SubmissionRequest {
        try JSONDecoder().decode(SubmissionRequest.self, from: Data(json.utf8))
    }

    func code(_ json: String) throws -> String? {
        do {
            _ = try request(json).validated(maxAttachmentBytes: 1_000_000)
            return nil
        } catch let error as APIError {
            return error.code
        }
    }

    func testNULInAnyTextIsRefusedByName() throws {
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
        let cases = [
            #"{"title": "Tin\u0000", "body": "B", "authors": [{"name": "A"}]}"#,
            #"{"title": "Tin", "body": "Nội dung\u0000", "authors": [{"name": "A"}]}"#,
            #"{"title": "Tin", "body": "B", "authors": [{"name": "Nguyễn\u0000 An"}]}"#,
            #"{"title": "Tin", "kind": "legal_document", "body": "B", "authors": [{"name": "A"}], "legalDocument": {"number": "12/2026/QĐ\u0000", "issuer": "UBND", "issueDate": "2026-11-01", "effectiveDate": "2026-11-15", "summary": "S"}}"#,
            #"{"title": "Tin", "body": "B", "authors": [{"name": "A"}], "attachments": [{"filename": "a\u0000.png", "contentType": "image/png", "dataBase64": "\#(png)", "altText": "x"}]}"#,
            #"{"title": "Tin", "body": "B", "authors": [{"name": "A"}], "attachments": [{"filename": "a.png", "contentType": "image/png", "dataBase64": "\#(png)", "altText": "ả\u0000nh"}]}"#,
        ]
        for json in cases {
            XCTAssertEqual(try code(json), "invalid_character", json)
        }
        // The same without it is accepted; an attachment's bytes are not text and may hold zeros.
        XCTAssertNil(try code(#"{"title": "Tin", "body": "Nội dung", "authors": [{"name": "A"}], "attachments": [{"filename": "a.png", "contentType": "image/png", "dataBase64": "\#(png)", "altText": "Ảnh"}]}"#))
    }
}
