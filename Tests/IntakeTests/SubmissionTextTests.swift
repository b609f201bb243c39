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

    /// Every text field, found by reflection as the checks once found them: the written-out list
    /// must hold each of them, so that a field added to the request is checked too.
    func testTheChecksSeeEveryTextFieldOfTheRequest() throws {
        let full = try request(#"""
            {"title": "T", "summary": "S", "body": "B", "bodyFormat": "text", "kind": "legal_document", "language": "vi",
             "authors": [{"name": "A1", "share": 60}, {"name": "A2"}], "targetSites": ["longan.gov.vn", "stp.longan.gov.vn"],
             "alsoOnOwnSite": true, "attachments": [{"filename": "a.png", "contentType": "image/png", "dataBase64": "", "altText": "x"}],
             "legalDocument": {"number": "N", "issuer": "I", "issueDate": "2026-01-01", "effectiveDate": "2026-01-02", "summary": "LS", "form": "F"},
             "draft": {"opensOn": "2026-01-03", "closesOn": "2026-02-03"}, "wishedPublicationDate": "2026-01-04"}
            """#)
        var reflected = [String]()
        func walk(_ value: Any, path: [String]) {
            if let text = value as? String {
                reflected.append("\(path.joined(separator: "."))=\(text)")
                return
            }
            for child in Mirror(reflecting: value).children {
                guard let label = child.label else {
                    walk(child.value, path: path)
                    continue
                }
                if label == "attachments" { continue }
                walk(child.value, path: label.hasPrefix("some") ? path : path + [label])
            }
        }
        walk(full, path: [])
        XCTAssertEqual(full.textFields().map { "\($0.path)=\($0.text)" }, reflected)
        XCTAssertEqual(reflected.count, 19)
    }
}
