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
        /// The unit the site belongs to, as its footer names it.
        public var ownerName: String = ""
        public var contact: Contact? = nil
    }

    /// Where the site's unit is reached, and who answers for the site (R-3.7).
    public struct Contact: Sendable {
        public var address: String
        public var phone: String
        public var email: String
        public var responsible: String
    }

    static let siteColumns = """
        SELECT s.domain, s.name, s.name_en, s.created_at, coalesce(u.name, s.name) AS owner_name,
               c.address, c.phone, c.email, c.responsible
        FROM publishing.sites s LEFT JOIN core.units u ON u.code = s.unit_code LEFT JOIN core.unit_contacts c ON c.unit_code = s.unit_code
        """

    public static func sites(_ domains: [String], on connection: Connection) throws -> [Site] {
        try connection.query(
            "\(siteColumns) WHERE s.domain = ANY($1::text[]) AND s.status = 'active' ORDER BY s.domain", [SQLArray.literal(domains)]
        ).rows.map(site)
    }

    public static func allActive(on connection: Connection) throws -> [Site] {
        try connection.query("\(siteColumns) WHERE s.status = 'active' ORDER BY s.domain").rows.map(site)
    }

    static func site(_ row: Row) throws -> Site {
        var contact: Contact?
        if let address: String = try row.decodeIfPresent("address") {
            contact = Contact(address: address, phone: try row.decode("phone"), email: try row.decode("email"), responsible: try row.decode("responsible"))
        }
        return Site(domain: try row.decode("domain"), name: try row.decode("name"), nameEn: try row.decodeIfPresent("name_en"),
                    createdAt: try row.decode("created_at"), ownerName: try row.decode("owner_name"), contact: contact)
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
