import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A site's sitemaps read as a search engine reads them: `sitemap.xml` is an index, and every
/// sitemap it lists is fetched, checked and read in turn.
enum Sitemaps {
    typealias Fetch = (String) -> (status: Int?, body: String, headers: [String: String])

    struct Crawl {
        /// Every page address found, in the order the sitemaps list them.
        var addresses: [String] = []
        /// What a search engine would reject: a sitemap missing, not XML, of the wrong kind.
        var problems: [String] = []
    }

    static func crawl(domain: String, fetch: Fetch) -> Crawl {
        var crawl = Crawl()
        let root = "https://\(domain)"
        func read(_ path: String, kind: String) -> [String] {
            let answer = fetch(path)
            guard answer.status == 200 else { crawl.problems.append("\(path): \(answer.status ?? 0)"); return [] }
            guard answer.headers["content-type"]?.hasPrefix("application/xml") == true else {
                crawl.problems.append("\(path): \(answer.headers["content-type"] ?? "no type")")
                return []
            }
            guard let document = try? XMLDocument(data: Data(answer.body.utf8)), document.rootElement()?.name == kind,
                  let locations = try? document.nodes(forXPath: "//*[local-name()='loc']") else {
                crawl.problems.append("\(path) is not a well-formed \(kind)")
                return []
            }
            return locations.compactMap(\.stringValue)
        }
        for sitemap in read("/sitemap.xml", kind: "sitemapindex") {
            guard sitemap.hasPrefix(root + "/") else { crawl.problems.append("\(sitemap) is not on \(domain)"); continue }
            crawl.addresses += read(String(sitemap.dropFirst(root.count)), kind: "urlset")
        }
        return crawl
    }
}
