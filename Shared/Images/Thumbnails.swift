import CVips
import Foundation

/// Smaller copies of published photos, made once at publication with libvips, so that lists and
/// phones load a few kilobytes instead of the camera's megabytes. Never enlarged; turned upright
/// by their EXIF orientation; metadata (location, camera) removed.
public enum Thumbnails {
    /// The widths made for every image: a list's thumbnail, a phone's full width.
    public static let widths = [320, 640]

    public struct Made: Sendable {
        public let bytes: [UInt8]
        public let width: Int
        public let height: Int
    }

    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }

    /// A JPEG at most `width` pixels wide.
    public static func jpeg(_ image: [UInt8], width: Int, quality: Int = 80) throws -> Made {
        try Vips.ready()
        // Checked here too: an image accepted before the limit existed is published as it is.
        guard !verdict(image).isTooLarge else { throw Failed(description: "the image has more than \(maxPixels) pixels") }
        var out: UnsafeMutableRawPointer?
        var length = 0
        var w: Int32 = 0, h: Int32 = 0
        let rc = image.withUnsafeBytes { input in
            cvips_thumbnail(input.baseAddress, input.count, Int32(width), 0, CVIPS_JPEG, Int32(quality), &out, &length, &w, &h)
        }
        guard rc == 0, let out else { throw Failed(description: Vips.lastError()) }
        defer { cvips_free(out) }
        return Made(bytes: Array(UnsafeRawBufferPointer(start: out, count: length)), width: Int(w), height: Int(h))
    }

    /// The most pixels an accepted image may have (a 61-megapixel camera's photo fits): a small
    /// file may declare a huge picture (a decompression bomb), which would take a minute and a
    /// gigabyte to decode.
    public static let maxPixels = 64_000_000

    /// The picture's size read from its header alone; nil when libvips cannot read it.
    public static func size(_ image: [UInt8]) -> (width: Int, height: Int)? {
        guard (try? Vips.ready()) != nil else { return nil }
        var w: Int32 = 0, h: Int32 = 0
        let rc = image.withUnsafeBytes { input in cvips_image_size(input.baseAddress, input.count, &w, &h) }
        guard rc == 0 else {
            // The message libvips left is read and dropped, so that it is not blamed on the next call.
            _ = Vips.lastError()
            return nil
        }
        return (Int(w), Int(h))
    }

    /// What a received file that claims to be a picture is: one that decodes whole and is small
    /// enough to, one too large (decided from its header, before decoding anything), or one that
    /// cannot be read (a signature followed by nothing or by anything but a picture; a readable
    /// header over pixels cut off or damaged), which a browser would show broken or half grey.
    public enum Verdict: Equatable, Sendable {
        case readable(width: Int, height: Int)
        case tooLarge(width: Int, height: Int)
        case unreadable

        public var isTooLarge: Bool {
            if case .tooLarge = self { true } else { false }
        }
    }

    public static func verdict(_ image: [UInt8]) -> Verdict {
        guard let size = size(image) else { return .unreadable }
        if size.width * size.height > maxPixels { return .tooLarge(width: size.width, height: size.height) }
        return decodes(image, smallestSide: min(size.width, size.height)) ? .readable(width: size.width, height: size.height) : .unreadable
    }

    /// One check at a time in a process: `cvips_decodes` reads libvips' error buffer, which is
    /// the process's, not the thread's.
    private static let decoding = NSLock()

    /// Whether every pixel decodes (`cvips_decodes`); libvips' message is read and dropped.
    static func decodes(_ image: [UInt8], smallestSide: Int) -> Bool {
        guard (try? Vips.ready()) != nil else { return false }
        // The largest of libjpeg's shrinks that leaves 8 pixels or more on each side.
        let shrink = [8, 4, 2].first { smallestSide / $0 >= 8 } ?? 1
        return decoding.withLock {
            let rc = image.withUnsafeBytes { input in cvips_decodes(input.baseAddress, input.count, Int32(shrink)) }
            _ = Vips.lastError()
            return rc == 0
        }
    }

    /// The published name of an image's copy at `width`: beside the original, `<sha256>-<width>.jpg`.
    public static func path(sha256: String, width: Int, folder: String) -> String {
        "/\(folder)/\(sha256)-\(width).jpg"
    }
}

/// Pictures for the demonstration portal, drawn at seed time: a colour gradient with a caption,
/// so that a new installation looks like a working portal without any photo shipped in the repository.
public enum DemoPictures {
    public static func jpeg(width: Int, height: Int, caption: String, red: Int, green: Int, blue: Int) throws -> [UInt8] {
        try Vips.ready()
        var out: UnsafeMutableRawPointer?
        var length = 0
        let rc = cvips_demo_jpeg(Int32(width), Int32(height), caption, Int32(red), Int32(green), Int32(blue), &out, &length)
        guard rc == 0, let out else { throw Thumbnails.Failed(description: Vips.lastError()) }
        defer { cvips_free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: length))
    }
}

/// libvips, started once per process before its first use.
enum Vips {
    private static let started: Bool = {
        // Two worker threads (this machine's cores); no operation cache, every input is new.
        cvips_init("portal", 2, 0, 0) == 0
    }()

    static func ready() throws {
        guard started else { throw Thumbnails.Failed(description: "libvips could not start: \(lastError())") }
    }

    static func lastError() -> String {
        guard let text = cvips_error_copy() else { return "libvips error" }
        defer { cvips_free(text) }
        let message = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
        return message.isEmpty ? "libvips error" : message
    }
}
