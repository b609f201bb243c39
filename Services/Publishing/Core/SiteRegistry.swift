import Foundation
import Models
import Store

/// The portal and its component sites (Art. 3; R-7.1): `longan.gov.vn`, `<unit>.longan.gov.vn`,
/// `<commune>.<district>.longan.gov.vn`. Derived from the units and their labels (R-7.2, settled at
/// seed time); added to `publishing.sites` when missing, never overwritten. A site whose unit is no
/// longer in force (the districts after 2025-07-01, R-7.3) redirects, to the portal unless an
/// operator named another site.
public enum SiteRegistry {
    /// Adds the site of every unit in force that has a label, and the portal itself; turns the
    /// sites of units that ended into redirects.
    public static func sync(on connection: Connection) throws {
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
        try connection.query(
            """
            UPDATE publishing.sites s SET status = 'redirect', redirect_to = coalesce(s.redirect_to, $1)
            FROM core.units u
            WHERE u.code = s.unit_code AND s.status = 'active' AND s.kind <> 'portal'
              AND u.valid_to < (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
            """, [SiteDomain.portal])
    }

    public struct Site: Sendable {
        public var domain: String
        public var name: String
        public var nameEn: String?
        public var createdAt: Date
    }

    public static func sites(_ domains: [String], on connection: Connection) throws -> [Site] {
        try connection.query(
            "SELECT domain, name, name_en, created_at FROM publishing.sites WHERE domain = ANY($1::text[]) AND status = 'active' ORDER BY domain",
            [SQLArray.literal(domains)]
        ).rows.map(site)
    }

    public static func allActive(on connection: Connection) throws -> [Site] {
        try connection.query("SELECT domain, name, name_en, created_at FROM publishing.sites WHERE status = 'active' ORDER BY domain")
            .rows.map(site)
    }

    static func site(_ row: Row) throws -> Site {
        Site(domain: try row.decode("domain"), name: try row.decode("name"), nameEn: try row.decodeIfPresent("name_en"),
             createdAt: try row.decode("created_at"))
    }

    /// The unit's own site, for items it also publishes there (R-4.7).
    static func domain(ofUnit unit: String, on connection: Connection) throws -> String? {
        try connection.query("SELECT domain FROM publishing.sites WHERE unit_code = $1 AND kind <> 'portal' AND status = 'active' LIMIT 1", [unit])
            .rows.first?.decode("domain")
    }

    /// Sites that redirect, and where to: the publishing service reads it, and nginx includes it as a
    /// `map` (deploy/nginx), from `<data>/sites/redirects.map`.
    public static func writeRedirects(_ files: SiteFiles, on connection: Connection) throws {
        let lines = try connection.query(
            "SELECT domain, redirect_to FROM publishing.sites WHERE status = 'redirect' AND redirect_to IS NOT NULL ORDER BY domain"
        ).rows.map { "\(try $0.decode("domain", as: String.self)) \(try $0.decode("redirect_to", as: String.self));\n" }
        try files.writeRedirects("# Sites that redirect (R-7.3), written by the publishing service.\n" + lines.joined())
    }
}
