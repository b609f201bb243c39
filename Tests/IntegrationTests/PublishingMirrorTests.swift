import Foundation
import Store
import Testing

/// Two publishing instances, each with its own folder as on two machines, taking turns at the
/// events of one queue: each writes the pages the other published (SiteMirror), so both serve
/// the same bytes; a folder that starts empty is written whole from the database first.
@Suite("Publishing on two machines", .serialized)
struct PublishingMirrorTests {
    static let firstPort = 18_288
    static let secondPort = 18_289

    @Test("R-1.7: two publishing instances with folders of their own serve the same bytes for every page, list and takedown, whichever of them took the approval")
    func twoInstancesServeTheSameBytes() async throws {
        try await EditorialFlowTests().withServices { s in
            let sites = PublishingSitesTests(publishingPort: Self.firstPort)
            try await sites.withPublishing(s) { first in
                // The second folder starts empty: the mirror writes every site from the database.
                let second = try ServiceProcess("publishing", port: Self.secondPort, environment: ["PORTAL_DATA_DIR": "\(s.work)/data-b"], in: s.env)
                do {
                    try await second.waitUntilReady()
                    try await check(s, sites, first, second)
                } catch {
                    _ = try? await second.terminate()
                    throw error
                }
                #expect(try await second.terminate() == 0)
            }
        }
    }

    func check(_ s: EditorialFlowTests.Services, _ sites: PublishingSitesTests, _ first: ServiceProcess, _ second: ServiceProcess) async throws {
        let tag = UUID().uuidString.prefix(4).lowercased()
        var ids = [String]()
        for index in 1...8 {
            ids.append(try await sites.approved(s, title: "Tin hai máy \(tag) số \(index)", classification: #""targetSites": ["longan.gov.vn"]"#))
        }
        func same(_ path: String, status: Int = 200) -> Bool {
            let a = sites.page(first, "longan.gov.vn", path), b = sites.page(second, "longan.gov.vn", path)
            return a.status == status && b.status == status && a.body == b.body
        }
        try await eventually("both instances serve every article page, byte for byte", within: 60) {
            ids.allSatisfy { same("/bai-viet/\($0).html") && same("/bai-viet/\($0).in.html") }
        }
        try await eventually("both draw the same lists: home page, sitemap of pages, feed", within: 60) {
            let home = sites.page(first, "longan.gov.vn", "/").body
            return ids.allSatisfy { home.contains($0) } && same("/") && same("/sitemap-trang.xml") && same("/rss.xml")
        }
        // Each took some of the approvals: what one published, the other wrote from the database.
        let idList = "{" + ids.joined(separator: ",") + "}"
        let writers = try await s.pool.withConnection {
            try $0.query(
                "SELECT count(DISTINCT writer)::int AS n FROM publishing.page_changes WHERE kind = 'article' AND id = ANY($1::uuid[])",
                [idList]
            ).one().decode("n", as: Int.self)
        }
        #expect(writers == 2, "the approvals were published by \(writers) instance(s); the queue should have given each some")

        let removed = ids[0]
        #expect(try s.api("POST", "/articles/\(removed)/take-down", as: "truongban",
                          body: #"{"reason": "Hết hiệu lực", "publicExplanation": "Đã gỡ (\#(tag))."}"#).status == 200)
        try await eventually("both answer 410 with the same explanation", within: 60) {
            same("/bai-viet/\(removed).html", status: 410) && sites.page(second, "longan.gov.vn", "/bai-viet/\(removed).html").body.contains("Đã gỡ (\(tag)).")
        }
    }
}
