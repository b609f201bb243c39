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
        guard let size = size(image) else { throw Failed(description: "libvips cannot read the picture's header") }
        guard size.width * size.height <= maxPixels else { throw Failed(description: "the image has more than \(maxPixels) pixels") }
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
        return Vips.errorBuffer.withLock { headerSize(image) }
    }

    /// Whether the header declares more pixels than `maxPixels` (nothing decoded).
    public static func isTooLarge(_ image: [UInt8]) -> Bool {
        size(image).map { $0.width * $0.height > maxPixels } ?? false
    }

    private static func headerSize(_ image: [UInt8]) -> (width: Int, height: Int)? {
        var w: Int32 = 0, h: Int32 = 0
        let rc = image.withUnsafeBytes { input in cvips_image_size(input.baseAddress, input.count, &w, &h) }
        // The message libvips left is read and dropped, so that it is not blamed on the next call.
        guard rc == 0 else { _ = Vips.takeError(); return nil }
        return (Int(w), Int(h))
    }

    /// What a received file that claims to be a picture is: one that decodes (or one left
    /// undecoded past the request's budget), one too large (decided from its header, before
    /// decoding anything), or one that cannot be read: a signature followed by nothing or by
    /// anything but a picture; a readable header over data cut off, or, in a PNG, GIF or WebP,
    /// damaged. A browser shows those broken or half grey. (A JPEG whose data is damaged but
    /// complete is drawn with blotches by libjpeg and by browsers alike, and is kept.)
    public enum Verdict: Equatable, Sendable {
        case readable(width: Int, height: Int)
        case tooLarge(width: Int, height: Int)
        case unreadable

        public var isTooLarge: Bool {
            if case .tooLarge = self { true } else { false }
        }
    }

    /// Pixels one request may have decoded to check its pictures (a 64-megapixel PNG, or that
    /// many JPEG pixels after libjpeg's shrink): a few kilobytes of PNG may declare as many
    /// pixels as the limit allows, and a request may carry a hundred files. Past the budget a
    /// picture is judged by its header, as before; the publisher still draws only what it could
    /// make smaller copies of.
    public static let decodeBudget = 64_000_000

    /// One picture's verdict, decoding it if `budget` (pixels) allows, which it then spends.
    public static func verdict(_ image: [UInt8], budget: inout Int) -> Verdict {
        guard (try? Vips.ready()) != nil else { return .unreadable }
        return Vips.errorBuffer.withLock {
            guard let size = headerSize(image) else { return .unreadable }
            let pixels = size.width * size.height
            if pixels > maxPixels { return .tooLarge(width: size.width, height: size.height) }
            // A JPEG (libvips knows it by the same three bytes) is decoded at the largest of
            // libjpeg's shrinks that leaves 8 pixels or more on each side: libvips 8.14 aborts the
            // process on a JPEG shrunk to nothing. Anything else is decoded whole (0: no shrink).
            let jpegShrink = image.starts(with: [0xFF, 0xD8, 0xFF]) ? [8, 4, 2].first { min(size.width, size.height) / $0 >= 8 } ?? 1 : 0
            let cost = pixels / max(jpegShrink * jpegShrink, 1)
            guard cost <= budget else { return .readable(width: size.width, height: size.height) }
            budget -= cost
            let rc = image.withUnsafeBytes { input in cvips_decodes(input.baseAddress, input.count, Int32(jpegShrink)) }
            _ = Vips.takeError()
            return rc == 0 ? .readable(width: size.width, height: size.height) : .unreadable
        }
    }

    /// The verdict on a picture sent alone.
    public static func verdict(_ image: [UInt8]) -> Verdict {
        var budget = decodeBudget
        return verdict(image, budget: &budget)
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

    /// libvips' error buffer is the process's, not the thread's: the picture checks read it while
    /// they hold this lock, so that another thread's message or clearing does not change their
    /// verdict. (The publisher's smaller copies do not take it; a message of theirs can only make
    /// a rare check there refuse a picture, which is then linked rather than drawn.)
    static let errorBuffer = NSLock()

    static func lastError() -> String {
        errorBuffer.withLock { takeError() }
    }

    /// The buffer's text, which clears it; for a caller that holds `errorBuffer`.
    static func takeError() -> String {
        guard let text = cvips_error_copy() else { return "libvips error" }
        defer { cvips_free(text) }
        let message = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
        return message.isEmpty ? "libvips error" : message
    }
}
