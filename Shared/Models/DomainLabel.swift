import Foundation

/// A DNS label for a component site, derived from a Vietnamese unit name by.
public struct DomainLabel: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String

    /// Administrative prefixes that strips, longest first so "Thị xã" wins over "Thị".
    static let prefixes = ["Thành phố", "Thị trấn", "Thị xã", "Phường", "Huyện", "Sở", "Xã"]

    /// Accepts a label an operator typed: 1-63 characters of `[a-z0-9]`.
    public init?(validating text: String) {
        guard (1...63).contains(text.count),
              text.unicodeScalars.allSatisfy({ DomainLabel.isAllowed($0) })
        else { return nil }
        value = text
    }

    /// Derives the label by: strip the prefix, đ → d, drop diacritics, lower-case,
    /// keep `[a-z0-9]`. Nil when nothing usable is left or the result is longer than 63.
    public init?(derivingFrom name: String) {
        var rest = name.precomposedStringWithCanonicalMapping
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for prefix in Self.prefixes {
            let candidate = prefix.precomposedStringWithCanonicalMapping
            if rest.lowercased().hasPrefix(candidate.lowercased() + " ") {
                rest = String(rest.dropFirst(candidate.count))
                break
            }
        }
        let scalars = Unaccented.fold(rest).unicodeScalars.filter { DomainLabel.isAllowed($0) }
        self.init(validating: String(String.UnicodeScalarView(scalars)))
    }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    public var description: String { value }
}

/// The kinds of unit that own a component site or submit content.
public enum UnitKind: String, Codable, Sendable, CaseIterable {
    case province, center, council, department, district, commune, ward
}

/// The portal's domain and how component-site domains hang from it.
public enum SiteDomain {
    public static let portal = "longan.gov.vn"

    /// `<label>.longan.gov.vn` for departments, districts and the post-2025 communes;
    /// `<commune>.<district>.longan.gov.vn` when a commune sits under a district.
    public static func domain(for label: DomainLabel, under parent: DomainLabel? = nil) -> String {
        if let parent { return "\(label.value).\(parent.value).\(portal)" }
        return "\(label.value).\(portal)"
    }

    /// `site` as a target site (lower-cased, trimmed), when it is the portal or a name of its
    /// form: labels of ASCII letters, digits and hyphens under longan.gov.vn. Whether such a site
    /// is registered is asked of `core.unit_sites` apart. Intake and an editor's edit apply the
    /// same rule, so what one refuses the other cannot let through.
    public static func targetSite(_ site: String) -> String? {
        let domain = site.lowercased().trimmingCharacters(in: .whitespaces)
        if domain == portal { return domain }
        guard domain.hasSuffix("." + portal) else { return nil }
        let labels = domain.dropLast(portal.count + 1).split(separator: ".", omittingEmptySubsequences: false)
        guard !labels.isEmpty, labels.allSatisfy({ DomainLabel(validating: String($0)) != nil }) else { return nil }
        return domain
    }
}
