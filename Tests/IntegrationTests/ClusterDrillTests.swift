import Foundation
import Store
import Testing

/// Scale-out on the distributed engine (`deploy/cluster drill` runs this, against the cluster it
/// starts): two instances of each service on a three-node RabbitMQ cluster and a PostgreSQL
/// primary with a streaming replica. Under submissions, approvals and questions through both
/// instances, a broker node is stopped and started again, then the primary is stopped and the
/// replica promoted: nothing accepted is lost or doubled, and both publishing instances (each
/// with its own folder, as on two machines) serve the same bytes.
@Suite("The drill on a cluster", .serialized)
struct ClusterDrillTests {
    static let ports: [String: Int] = [
        "intake": 18_401, "intake-b": 18_402, "approval": 18_403, "approval-b": 18_404, "publishing": 18_405, "publishing-b": 18_406,
        "feedback": 18_407, "feedback-b": 18_408, "finance": 18_409, "finance-b": 18_410,
    ]

    /// `deploy/cluster`, set by it; the drill has nothing to run against without it.
    var control: String? { ProcessInfo.processInfo.environment["PORTAL_CLUSTER_CTL"] }

    func cluster(_ arguments: [String], _ env: TestEnvironment) throws {
        guard let control else { return }
        let run = try env.run(control, arguments)
        try #require(run.status == 0, "deploy/cluster \(arguments.joined(separator: " ")): \(run.output)")
    }

    @Test("R-1.7: a broker node stopped, then the database primary stopped and its replica promoted, under load through two instances of each service: every accepted submission and question kept, every approval published once with its ledger entries once, the same bytes from both publishing instances")
    func brokerNodeAndPrimaryLost() async throws {
        guard control != nil else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("PORTAL_CLUSTER_CTL is not set: run this through deploy/cluster drill") }
            return
        }
        let env = try TestEnvironment()
        let work = NSTemporaryDirectory() + "portal-cluster-drill-\(UUID().uuidString.prefix(8))"
        let environment = KillDrillTests.serviceEnvironment(work)
        let portalctl = try env.executable("portalctl")
        let deadBefore = try KillDrillTests.deadLetters(env, portalctl)
        // The second publishing instance has a folder of its own, as on a second machine.
        let fleet = KillDrillTests.Fleet(env: env, ports: Self.ports, environment: environment,
                                         overrides: ["publishing-b": ["PORTAL_DATA_DIR": "\(work)/data-b"]])
        do {
            for name in Self.ports.keys.sorted() { try fleet.start(name) }
            for service in fleet.services.values { try await service.waitUntilReady(within: 120) }
            let urls = Self.ports.mapValues { "http://127.0.0.1:\($0)" }
            @Sendable func url(_ name: String) -> String { urls[name]! }
            let tokens = try ["ctv.tuphap", "btv.lan", "gd.tuphap"].reduce(into: [String: String]()) { $0[$1] = try IntakeAPITests().token($1, env) }
            let load = KillDrillTests.Load()
            let tag = String(UUID().uuidString.prefix(6).lowercased())
            let threads = [
                KillDrillTests.thread { KillDrillTests.submit(load, url: url("intake"), token: tokens["ctv.tuphap"]!, tag: tag, worker: 1) },
                KillDrillTests.thread { KillDrillTests.submit(load, url: url("intake-b"), token: tokens["ctv.tuphap"]!, tag: tag, worker: 2) },
                KillDrillTests.thread { KillDrillTests.approve(load, url: url("approval"), editor: tokens["btv.lan"]!, board: tokens["gd.tuphap"]!) },
                KillDrillTests.thread { KillDrillTests.approve(load, url: url("approval-b"), editor: tokens["btv.lan"]!, board: tokens["gd.tuphap"]!) },
                KillDrillTests.thread { KillDrillTests.ask(load, url: url("feedback"), tag: tag) },
                KillDrillTests.thread { KillDrillTests.ask(load, url: url("feedback-b"), tag: tag + "b") },
            ]
            // A broker node goes away and comes back: the links on it move to the other nodes.
            try await Task.sleep(for: .seconds(4))
            try cluster(["stop-node", "1"], env)
            try await Task.sleep(for: .seconds(6))
            try await fleet.waitUntil(ready: true, within: 90)
            try cluster(["start-node", "1"], env)
            // The primary goes away; the replica is promoted; the pools find it by themselves.
            try await Task.sleep(for: .seconds(4))
            try cluster(["stop-primary"], env)
            try await fleet.waitUntil(ready: false, within: 30)
            try cluster(["promote"], env)
            try await fleet.waitUntil(ready: true, within: 90)
            try await Task.sleep(for: .seconds(4))
            load.stop()
            for thread in threads { while !thread.isFinished { try await Task.sleep(for: .milliseconds(100)) } }

            try await KillDrillTests.verify(
                load, env: env, portalctl: portalctl, tag: tag, deadBefore: deadBefore, poisons: [],
                sites: ["\(work)/data/sites", "\(work)/data-b/sites"], logs: fleet.services.map { ($0.key, $0.value.logPath) })
            // Both instances serve the same bytes: every page of the drill, and the lists.
            let approved = load.locked { load.approved }
            func same(_ path: String) -> Bool {
                let a = httpRequest("GET", url("publishing") + path, headers: ["Host": "longan.gov.vn"])
                let b = httpRequest("GET", url("publishing-b") + path, headers: ["Host": "longan.gov.vn"])
                return a.status == 200 && b.status == 200 && a.body == b.body
            }
            try await eventually("both publishing instances serve the same pages and lists", within: 60) {
                approved.allSatisfy { same("/bai-viet/\($0).html") } && same("/") && same("/sitemap-trang.xml") && same("/rss.xml")
            }
        } catch {
            for service in fleet.services.values { _ = try? await service.terminate() }
            throw error
        }
        for name in Self.ports.keys.sorted() {
            #expect(try await fleet.services[name]?.terminate() == 0, "\(name) stops cleanly after the drill")
        }
    }
}
