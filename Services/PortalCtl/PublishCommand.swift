import ArgumentParser
import Foundation
import PublishingCore

/// `portalctl publish rebuild [--site DOMAIN]`: every page of one site or of all, written again
/// from what is published, with a progress bar.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish", abstract: "The published sites.", subcommands: [RebuildCommand.self])
}

struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Write every page of the sites again from the published items (same bytes as publication).",
        discussion: "Writes under $PORTAL_DATA_DIR/sites/<domain>/; safe while the publishing service runs.")

    @Option(help: "Only this site, e.g. sgtvt.longan.gov.vn.")
    var site: String?

    func run() async throws {
        try await ToolContext().run { tool in
            let files = SiteFiles(dataDirectory: tool.configuration.dataDirectory)
            let rebuild = SiteRebuild(renderer: PageRenderer(library: try await PageRenderer.templates()), files: files)
            let started = ContinuousClock.now
            let bar = ProgressBar(total: 1, label: "items")
            let outcome = try await rebuild.run(site: site?.lowercased(), database: tool.database) { done, total in
                bar.update(done, of: total)
            }
            bar.finish()
            let seconds = (ContinuousClock.now - started).seconds
            print(String(format: "Rebuilt %d items and the lists of %d sites in %.1f s (%.0f items/s).",
                         outcome.articles, outcome.sites, seconds, Double(outcome.articles) / max(seconds, 0.001)))
        }
    }
}
