/// The `?page=` of a server-rendered list: 1 when absent or unreadable, and never so large that
/// the offset it makes overflows (a page past the end is simply empty).
public struct PageNumber: Sendable, Equatable {
    /// Far beyond any list the portal shows at 20 to 50 rows a page.
    public static let last = 1_000_000

    public let number: Int

    public init(_ text: String?) {
        number = min(Self.last, max(1, text.flatMap { Int($0) } ?? 1))
    }

    public func offset(pageSize: Int) -> Int { (number - 1) * pageSize }
    public var previous: Int? { number > 1 ? number - 1 : nil }
    public var next: Int? { number < Self.last ? number + 1 : nil }
}
