import Foundation

/// Checks a component site's domain against Art. 3: under the portal's domain,
/// labels of 1-63 characters of `[a-z0-9]`, one label for a department, agency or a commune under the
/// province, two for a commune under a district (`<commune>.<district>.longan.gov.vn`), and the label
/// the unit's name gives or an operator set.
public enum SiteCompliance {
    public struct Problem: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        /// The same, as the report's readers read it, citing the regulation by its articles.
        public var vietnamese: String

        public init(code: String, message: String, vietnamese: String) {
            self.code = code
            self.message = message
            self.vietnamese = vietnamese
        }
    }

    /// What the check needs to know of the site's unit.
    public struct UnitFacts: Sendable {
        public var kind: String
        public var label: String?
        public var parentKind: String?
        public var parentLabel: String?
        public var inForce: Bool

        public init(kind: String, label: String?, parentKind: String?, parentLabel: String?, inForce: Bool) {
            self.kind = kind
            self.label = label
            self.parentKind = parentKind
            self.parentLabel = parentLabel
            self.inForce = inForce
        }
    }

    public static func problems(domain: String, status: String, unit: UnitFacts?) -> [Problem] {
        var found = [Problem]()
        if domain == SiteDomain.portal { return [] }
        let suffix = "." + SiteDomain.portal
        guard domain.hasSuffix(suffix) else {
            return [Problem(code: "outside_portal_domain", message: "The domain is not under \(SiteDomain.portal) (R-7.1).",
                            vietnamese: "Tên miền không thuộc \(SiteDomain.portal) (Điều 3 khoản 1).")]
        }
        let labels = domain.dropLast(suffix.count).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for label in labels where DomainLabel(validating: label) == nil {
            found.append(Problem(
                code: "invalid_label",
                message: "“\(label)” is not 1-63 characters of a-z and 0-9: no diacritics, capitals, hyphens or other signs (R-7.2).",
                vietnamese: "“\(label)” phải gồm 1 đến 63 chữ cái a-z hoặc chữ số, không dấu, không viết hoa, không gạch nối hay ký hiệu khác (Điều 3 khoản 1)."))
        }
        guard let unit else {
            found.append(Problem(code: "no_unit", message: "The site belongs to no unit of the province.",
                                 vietnamese: "Trang không thuộc đơn vị nào của tỉnh."))
            return found
        }
        let underDistrict = unit.kind == "commune" && unit.parentKind == "district"
        let expectedDepth = underDistrict ? 2 : 1
        if labels.count != expectedDepth {
            found.append(Problem(
                code: "wrong_level",
                message: underDistrict
                    ? "A commune under a district has <commune>.<district>.\(SiteDomain.portal) (R-7.1)."
                    : "A \(unit.kind) site has one label before \(SiteDomain.portal) (R-7.1, R-7.3).",
                vietnamese: underDistrict
                    ? "Trang của xã thuộc huyện có dạng <xã>.<huyện>.\(SiteDomain.portal) (Điều 3 khoản 1 điểm d)."
                    : "Trang của đơn vị này có một nhãn trước \(SiteDomain.portal) (Điều 3 khoản 1)."))
        } else if underDistrict, let parent = unit.parentLabel, labels[1] != parent {
            found.append(Problem(code: "wrong_parent", message: "The second label should be the district's, “\(parent)” (R-7.1).",
                                 vietnamese: "Nhãn thứ hai phải là nhãn của huyện, “\(parent)” (Điều 3 khoản 1 điểm d)."))
        }
        if let label = unit.label, labels.first != label {
            found.append(Problem(code: "label_mismatch", message: "The unit's label is “\(label)” (R-7.2).",
                                 vietnamese: "Nhãn của đơn vị là “\(label)” (Điều 3 khoản 1)."))
        }
        if !unit.inForce, status == "active" {
            found.append(Problem(code: "unit_not_in_force", message: "The unit is no longer in force; the site should redirect (R-7.3).",
                                 vietnamese: "Đơn vị không còn hoạt động; trang cần chuyển hướng về trang kế thừa."))
        }
        return found
    }
}
