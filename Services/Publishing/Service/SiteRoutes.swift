import Foundation
import Hummingbird
import Models
import PublishingCore
import ServiceKit
import Store

/// The site registry and publication status as an API (`docs/openapi.yaml`): the sites and their
/// compliance with Art. 3, registering a site an operator settles, and the publications
/// that failed or wait for their time.
struct SiteRoutes {
    let database: DatabasePool
    let files: SiteFiles
    let renderer: PageRenderer

    func register(on router: Router<PortalContext>) {
        let api = router.group("/api/v1")
        api.get("/sites") { _, _ in Listing(items: try await sites()) }
        api.get("/sites/compliance") { _, _ in try await compliance() }
        api.post("/sites") { request, context in
            let user = try Self.requireOperator(context.identity)
            let buffer = try await request.body.collect(upTo: 64 * 1024)
            let body = try EventCoding.decoder.decode(NewSite.self, from: Data(buffer.readableBytesView))
            let site = try await create(body, by: user, correlationId: context.correlationId)
            var response = try site.response(from: request, context: context)
            response.status = .created
            return response
        }
        api.get("/publications/failures") { _, context in
            _ = try Self.requireStaff(context.identity)
            return Listing(items: try await failures())
        }
        api.get("/publications/:id") { _, context in
            guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
                throw APIError.badRequest("invalid_id", "The publication id is a UUID.")
            }
            guard let status = try await publication(id) else {
                throw APIError.notFound("publication_not_found", "Publishing has no approved item \(id.uuidString.lowercased()).")
            }
            return status
        }
        // The compliance report as a page for people (Art. 3.3), Vietnamese with English terms.
        router.get("/bao-cao/ten-mien") { _, _ in
            let report = try await compliance()
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: compliancePage(report))))
        }
    }

    struct Listing<Item: Codable & Sendable>: ResponseEncodable {
        let items: [Item]
    }

    struct SiteView: Codable, Sendable, ResponseEncodable {
        var domain: String
        var unitCode: String?
        var name: String
        var nameEn: String?
        var kind: String
        var status: String
        var redirectTo: String?
        var compliant: Bool
        var problems: [SiteCompliance.Problem]
    }

    struct UnitWithoutSite: Codable, Sendable {
        var unitCode: String
        var name: String
        var labelStatus: String
        var message: String
    }

    struct ComplianceReport: Codable, Sendable, ResponseEncodable {
        var checkedAt: Date
        var sites: Int
        var nonCompliant: [SiteView]
        var unitsWithoutSite: [UnitWithoutSite]
    }

    struct NewSite: Codable, Sendable {
        var domain: String
        var unitCode: String
        var name: String?
        var nameEn: String?
    }

    static func requireOperator(_ user: AuthenticatedUser?) throws -> AuthenticatedUser {
        guard let user else { throw APIError.unauthorized }
        guard user.has(.operator) || user.has(.admin) else {
            throw APIError.forbidden("operator_role_required", "Registering a site needs the operator or admin role.")
        }
        return user
    }

    static func requireStaff(_ user: AuthenticatedUser?) throws -> AuthenticatedUser {
        guard let user else { throw APIError.unauthorized }
        guard !user.roles.isDisjoint(with: [.operator, .admin, .editor, .boardHead, .boardDeputy, .boardMember]) else {
            throw APIError.forbidden("staff_role_required", "Publication failures are shown to editors, the Board and operators.")
        }
        return user
    }

    static let siteColumns = """
        s.domain, s.unit_code, s.name, s.name_en, s.kind, s.status, s.redirect_to,
        u.kind AS unit_kind, u.label AS unit_label, p.kind AS parent_kind, p.label AS parent_label,
        (u.code IS NOT NULL AND (u.valid_to IS NULL OR u.valid_to >= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)) AS in_force
        FROM publishing.sites s LEFT JOIN core.units u ON u.code = s.unit_code LEFT JOIN core.units p ON p.code = u.parent_code
        """

    static func view(_ row: Row) throws -> SiteView {
        let domain: String = try row.decode("domain"), status: String = try row.decode("status")
        let unit: SiteCompliance.UnitFacts? = try row.decodeIfPresent("unit_kind", as: String.self).map {
            SiteCompliance.UnitFacts(
                kind: $0, label: try row.decodeIfPresent("unit_label"), parentKind: try row.decodeIfPresent("parent_kind"),
                parentLabel: try row.decodeIfPresent("parent_label"), inForce: try row.decode("in_force"))
        }
        let kind: String = try row.decode("kind")
        let problems = kind == "portal" ? [] : SiteCompliance.problems(domain: domain, status: status, unit: unit)
        return SiteView(
            domain: domain, unitCode: try row.decodeIfPresent("unit_code"), name: try row.decode("name"),
            nameEn: try row.decodeIfPresent("name_en"), kind: kind, status: status, redirectTo: try row.decodeIfPresent("redirect_to"),
            compliant: problems.isEmpty, problems: problems)
    }

    func sites() async throws -> [SiteView] {
        let files = self.files
        return try await database.withTransaction { connection in
            try SiteRegistry.sync(on: connection)
            try SiteRegistry.writeRedirects(files, on: connection)
            return try connection.query("SELECT \(Self.siteColumns) ORDER BY s.domain").rows.map(Self.view)
        }
    }

    func compliance() async throws -> ComplianceReport {
        let files = self.files
        return try await database.withTransaction { connection in
            try SiteRegistry.sync(on: connection)
            try SiteRegistry.writeRedirects(files, on: connection)
            let all = try connection.query("SELECT \(Self.siteColumns) ORDER BY s.domain").rows.map(Self.view)
            // Units in force that should have a site and have none: their label is missing or collides.
            let missing = try connection.query(
                """
                SELECT u.code, u.name, u.label_status FROM core.units u
                WHERE u.kind NOT IN ('province') AND (u.valid_to IS NULL OR u.valid_to >= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)
                  AND NOT EXISTS (SELECT 1 FROM publishing.sites s WHERE s.unit_code = u.code AND s.status = 'active')
                ORDER BY u.code
                """
            ).rows.map { row in
                let status: String = try row.decode("label_status")
                return UnitWithoutSite(
                    unitCode: try row.decode("code"), name: try row.decode("name"), labelStatus: status,
                    message: status == "collision"
                        ? "Its label would repeat another unit's (R-7.2); an operator sets one with POST /api/v1/sites."
                        : "It has no site; an operator registers one with POST /api/v1/sites.")
            }
            return ComplianceReport(checkedAt: Date(), sites: all.count, nonCompliant: all.filter { !$0.compliant }, unitsWithoutSite: missing)
        }
    }

    /// Registers the site an operator settled, for a unit whose label collided or that needs
    /// another domain. Checked against R-7 before anything is stored; never replaces a site.
    func create(_ body: NewSite, by user: AuthenticatedUser, correlationId: String) async throws -> SiteView {
        let domain = body.domain.trimmingCharacters(in: .whitespaces).lowercased()
        let files = self.files
        return try await database.withTransaction { connection in
            guard let unit = try connection.query(
                """
                SELECT u.code, u.kind, u.name, u.name_en, p.kind AS parent_kind, p.label AS parent_label,
                       (u.valid_to IS NULL OR u.valid_to >= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) AS in_force
                FROM core.units u LEFT JOIN core.units p ON p.code = u.parent_code WHERE u.code = $1
                """, [body.unitCode]
            ).rows.first else {
                throw APIError(.unprocessableContent, code: "unknown_unit", message: "No unit has the code “\(body.unitCode)”.")
            }
            let facts = SiteCompliance.UnitFacts(
                kind: try unit.decode("kind"), label: nil, parentKind: try unit.decodeIfPresent("parent_kind"),
                parentLabel: try unit.decodeIfPresent("parent_label"), inForce: try unit.decode("in_force"))
            guard facts.inForce else {
                throw APIError(.unprocessableContent, code: "unit_not_in_force", message: "The unit is no longer in force (R-7.3).")
            }
            let problems = SiteCompliance.problems(domain: domain, status: "active", unit: facts)
            if let first = problems.first {
                throw APIError(.unprocessableContent, code: first.code, message: problems.map(\.message).joined(separator: " "))
            }
            if try connection.query("SELECT 1 FROM publishing.sites WHERE domain = $1", [domain]).rows.first != nil {
                throw APIError.conflict("domain_taken", "\(domain) is already registered; a site is never overwritten (R-7.2).")
            }
            if let held: String = try connection.query(
                "SELECT domain FROM publishing.sites WHERE unit_code = $1 AND status = 'active' AND kind <> 'portal'", [body.unitCode]
            ).rows.first?.decode("domain") {
                throw APIError.conflict("unit_has_site", "The unit already has the site \(held).")
            }
            let unitName: String = try unit.decode("name"), unitNameEn: String? = try unit.decodeIfPresent("name_en")
            let name = body.name?.trimmingCharacters(in: .whitespaces).nilIfEmpty ?? unitName
            let nameEn = body.nameEn?.trimmingCharacters(in: .whitespaces).nilIfEmpty ?? unitNameEn
            try connection.query(
                "INSERT INTO publishing.sites (domain, unit_code, name, name_en, kind) VALUES ($1, $2, $3, $4, $5)",
                [domain, body.unitCode, name, nameEn, try unit.decode("kind", as: String.self)])
            try AuditLog.append(
                service: "publishing", actor: user.login, action: "site.registered", subject: domain, correlationId: correlationId,
                detail: ["unitCode": body.unitCode], on: connection)
            try SiteIndexes.markStale(domain, on: connection)
            try SiteRegistry.writeRedirects(files, on: connection)
            return try Self.view(try connection.query("SELECT \(Self.siteColumns) WHERE s.domain = $1", [domain]).one())
        }
    }

    func compliancePage(_ report: ComplianceReport) -> String {
        renderer.render("compliance", [
            "checkedAt": PortalCalendar.dateTime(report.checkedAt), "checkedAtISO": Timestamp.format(report.checkedAt), "sites": VietnameseNumber.grouped(report.sites),
            "nonCompliantCount": VietnameseNumber.grouped(report.nonCompliant.count), "missingCount": VietnameseNumber.grouped(report.unitsWithoutSite.count),
            "hasNonCompliant": !report.nonCompliant.isEmpty, "hasMissing": !report.unitsWithoutSite.isEmpty,
            "nonCompliant": report.nonCompliant.map { site -> [String: Any] in
                ["domain": site.domain, "name": site.name,
                 "status": ["active": "Đang hoạt động", "redirect": "Chuyển hướng", "closed": "Đã đóng"][site.status] ?? site.status,
                 "problems": site.problems.map { ["message": $0.vietnamese] }]
            },
            "unitsWithoutSite": report.unitsWithoutSite.map {
                ["name": $0.name, "message": $0.labelStatus == "collision"
                    ? "Nhãn tên miền trùng với đơn vị khác; quản trị hệ thống đặt nhãn khác rồi đăng ký trang (Điều 3 khoản 1)."
                    : "Đơn vị chưa có trang thành phần; quản trị hệ thống đăng ký trang cho đơn vị."]
            },
        ])
    }

    struct FailureView: Codable, Sendable {
        var articleId: UUID
        var eventType: String
        var reason: String
        var permanent: Bool
        var attempts: Int
        var firstFailedAt: Date
        var lastFailedAt: Date
    }

    func failures() async throws -> [FailureView] {
        try await database.withConnection { connection in
            try connection.query(
                """
                SELECT article_id, event_type, reason, permanent, attempts, first_failed_at, last_failed_at
                FROM publishing.failures ORDER BY last_failed_at DESC LIMIT 500
                """
            ).rows.map {
                FailureView(
                    articleId: try $0.decode("article_id"), eventType: try $0.decode("event_type"), reason: try $0.decode("reason"),
                    permanent: try $0.decode("permanent"), attempts: try $0.decode("attempts"),
                    firstFailedAt: try $0.decode("first_failed_at"), lastFailedAt: try $0.decode("last_failed_at"))
            }
        }
    }

    struct PublicationStatus: Codable, Sendable, ResponseEncodable {
        var articleId: UUID
        var state: String
        var revision: Int
        var publishedAt: Date?
        var publishAt: Date?
        var urls: [String]
        var failure: String?
    }

    func publication(_ id: UUID) async throws -> PublicationStatus? {
        try await database.withConnection { connection in
            guard let row = try connection.query(
                """
                SELECT a.state, a.revision, a.published_at, a.publish_at, a.path, array_to_json(a.domains)::text AS domains, f.reason
                FROM publishing.articles a LEFT JOIN publishing.failures f ON f.article_id = a.id WHERE a.id = $1
                """, [id]
            ).rows.first else { return nil }
            let state: String = try row.decode("state"), path: String = try row.decode("path")
            let domains = try JSONDecoder().decode([String].self, from: Data(try row.decode("domains", as: String.self).utf8))
            return PublicationStatus(
                articleId: id, state: state, revision: try row.decode("revision"),
                publishedAt: state == "scheduled" ? nil : try row.decode("published_at"), publishAt: try row.decodeIfPresent("publish_at"),
                urls: state == "published" ? domains.map { "https://\($0)\(path)" } : [], failure: try row.decodeIfPresent("reason"))
        }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
