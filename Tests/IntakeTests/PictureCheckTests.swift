import Foundation
import Images
@testable import Intake
import ServiceKit
import XCTest

/// A file sent as a picture must be one a browser can show: its first bytes saying PNG or JPEG
/// are not enough. Accepted, a signature followed by nothing became a broken lead picture on the
/// portal's home page.
final class PictureCheckTests: XCTestCase {
    /// 1×1 pictures of each type the portal shows, as cameras and editors' tools write them.
    static let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    static let gif = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
    static let webp = "UklGRiQAAABXRUJQVlA4IBgAAAAwAQCdASoBAAEAAwA0JaQAA3AA/vuUAAA="

    func code(type: String, base64: String, filename: String = "anh.png") throws -> String? {
        let json = #"""
            {"title": "Hội nghị", "body": "Nội dung", "authors": [{"name": "A"}],
             "attachments": [{"filename": "\#(filename)", "contentType": "\#(type)", "dataBase64": "\#(base64)", "altText": "Ảnh"}]}
            """#
        do {
            _ = try JSONDecoder().decode(SubmissionRequest.self, from: Data(json.utf8)).validated(maxAttachmentBytes: 1_000_000)
            return nil
        } catch let error as APIError {
            return error.code
        }
    }

    func testRealPicturesOfEveryShownTypeAreAccepted() throws {
        let jpeg = Data(try DemoPictures.jpeg(width: 8, height: 6, caption: "", red: 30, green: 110, blue: 180)).base64EncodedString()
        XCTAssertNil(try code(type: "image/png", base64: Self.png))
        XCTAssertNil(try code(type: "image/jpeg", base64: jpeg, filename: "anh.jpg"))
        XCTAssertNil(try code(type: "image/gif", base64: Self.gif, filename: "anh.gif"))
        XCTAssertNil(try code(type: "image/webp", base64: Self.webp, filename: "anh.webp"))
        XCTAssertNil(try code(type: "image/png; name=anh.png", base64: Self.png))
    }

    func testASignatureWithoutAPictureIsRefusedByName() throws {
        let png = Data(base64Encoded: Self.png)!
        let cases: [(String, [UInt8])] = [
            ("image/png", Array(png.prefix(8))),  // the signature alone: what intake used to accept
            ("image/png", Array(png.prefix(8)) + Array("<html><script>alert(1)</script></html>".utf8)),
            ("image/png", Array(png.prefix(30))),  // cut off inside the header
            ("image/jpeg", [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0x41, count: 200)),
            ("image/gif", Array("GIF89a".utf8) + [0, 0]),
            ("image/webp", Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBP".utf8) + Array("VP8 ".utf8)),
        ]
        for (type, bytes) in cases {
            XCTAssertEqual(try code(type: type, base64: Data(bytes).base64EncodedString()), "unreadable_image", "\(type) \(bytes.prefix(12))")
        }
    }

    /// A header that reads as a picture, then data that does not decode: a photo cut off in
    /// transfer, a file whose pixels were overwritten. Its size can be read, so a check of the
    /// header alone let it through, and the browser drew it broken or half grey.
    func testAReadableHeaderOverBrokenDataIsRefusedByName() throws {
        let png = Array(Data(base64Encoded: Self.png)!)
        // The IHDR chunk intact (33 bytes), the IDAT's compressed pixels replaced by noise.
        var scrambled = png
        for index in 41..<54 { scrambled[index] = 0xA5 }
        let jpeg = try DemoPictures.jpeg(width: 640, height: 480, caption: "Hội nghị", red: 30, green: 110, blue: 180)
        let cases: [(String, String, [UInt8])] = [
            ("image/png", "anh.png", scrambled),
            ("image/jpeg", "anh.jpg", Array(jpeg.prefix(jpeg.count / 2))),  // cut off halfway
        ]
        for (type, name, bytes) in cases {
            XCTAssertNotNil(Thumbnails.size(bytes), "\(name): its header still reads")
            XCTAssertEqual(try code(type: type, base64: Data(bytes).base64EncodedString(), filename: name), "unreadable_image", name)
        }
    }

    /// A request's pictures decode at most `Thumbnails.decodeBudget` pixels: past it a picture is
    /// judged by its header, so a hundred small PNGs declaring huge pictures cost no minute of CPU.
    func testDecodingStopsAtTheRequestsBudget() throws {
        var scrambled = Array(Data(base64Encoded: Self.png)!)
        for index in 41..<54 { scrambled[index] = 0xA5 }
        var budget = 1
        XCTAssertEqual(Thumbnails.verdict(scrambled, budget: &budget), .unreadable, "one pixel fits the budget: decoded")
        XCTAssertEqual(budget, 0, "and spent")
        XCTAssertEqual(Thumbnails.verdict(scrambled, budget: &budget), .readable(width: 1, height: 1), "past the budget: the header alone")
        XCTAssertEqual(budget, 0)
    }

    /// A picture of a kind the portal does not draw (HEIC from a phone) is kept, to be offered as
    /// a file; the publisher never shows a file libvips cannot read as a picture.
    func testAPictureOfAnotherKindIsKept() throws {
        XCTAssertNil(try code(type: "image/heic", base64: Data("not read here".utf8).base64EncodedString(), filename: "IMG_0001.heic"))
        XCTAssertEqual(Thumbnails.verdict(Array("not read here".utf8)), .unreadable)
    }
}
