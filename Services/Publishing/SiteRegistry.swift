import Foundation
import Models
import Store

/// The portal and its component sites (Art. 3; ): `longan.gov.vn`, `<unit>.longan.gov.vn`,
/// `<commune>.<district>.longan.gov.vn`. Derived from the units and their labels (R-7.2, settled at
/// seed time); added to `publishing.sites` when missing, never overwritten.
enum SiteRegistry {
    /// Adds the site of every unit in force that has a label, and the portal itself.
    static func sync(on connection: Connection) throws {
        try connection.query(
            """
            INSERT INTO publishing.sites (domain, unit_code, name, name_en, kind)
            SELECT $1, code, 'Cổng Thông tin điện tử tỉnh Long An', 'Long An Provincial Portal', 'portal' FROM core.units WHERE kind = 'province'
            ON CONFLICT (domain) DO NOTHING
            """, [SiteDomain.portal])
        try connection.query(
            """
            INSERT INTO publishing.sites (domain, unit_code, name, name_en, kind)
            SELECT domain, unit_code, name, name_en, kind FROM core.unit_sites
            ON CONFLICT (domain) DO NOTHING
            """)
    }

    struct Site: Sendable {
        var domain: String
        var name: String
        var nameEn: String?
    }

    static func sites(_ domains: [String], on connection: Connection) throws -> [Site] {
        try connection.query(
            "SELECT domain, name, name_en FROM publishing.sites WHERE domain = ANY($1::text[]) AND status = 'active' ORDER BY domain",
            [SQLArray.literal(domains)]
        ).rows.map { Site(domain: try $0.decode("domain"), name: try $0.decode("name"), nameEn: try $0.decodeIfPresent("name_en")) }
    }

    /// The unit's own site, for items it also publishes there.
    static func domain(ofUnit unit: String, on connection: Connection) throws -> String? {
        try connection.query("SELECT domain FROM publishing.sites WHERE unit_code = $1 AND kind <> 'portal' LIMIT 1", [unit])
            .rows.first?.decode("domain")
    }
}
