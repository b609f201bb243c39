import MessageBus
import Testing

@Suite("Broker URL and topology rules")
struct BrokerConfigurationTests {
    @Test func readsAFullURL() throws {
        let configuration = try #require(BrokerConfiguration(url: "amqp://portal:s%40cret@10.0.0.5:5673/portal%2fprod"))
        #expect(configuration.host == "10.0.0.5")
        #expect(configuration.port == 5673)
        #expect(configuration.user == "portal")
        #expect(configuration.password == "s@cret")
        #expect(configuration.virtualHost == "portal/prod")
    }

    @Test func readsIPv6AndDefaults() throws {
        let configuration = try #require(BrokerConfiguration(url: "amqp://[::1]:35672/"))
        #expect(configuration.host == "::1")
        #expect(configuration.port == 35672)
        #expect(configuration.user == "guest")
        #expect(configuration.virtualHost == "/")
    }

    @Test("Comma-separated URLs are the nodes of one cluster, with the first one's login")
    func readsTheNodesOfACluster() throws {
        let configuration = try #require(BrokerConfiguration(
            url: "amqp://portal-intake:pw@127.0.0.1:36101/, amqp://portal-intake:pw@127.0.0.1:36102/,amqp://[::1]:36103/"))
        #expect(configuration.nodes.map(\.port) == [36101, 36102, 36103])
        #expect(configuration.nodes.map(\.host) == ["127.0.0.1", "127.0.0.1", "::1"])
        #expect(configuration.user == "portal-intake")
        let third = configuration.at(configuration.nodes[2])
        #expect(third.host == "::1" && third.port == 36103 && third.user == "portal-intake" && third.nodes.count == 1)
        #expect(BrokerConfiguration(url: "amqp://a:1/,http://b/") == nil)
    }

    @Test func refusesWhatIsNotAnAMQPURL() {
        #expect(BrokerConfiguration(url: "http://localhost") == nil)
        #expect(BrokerConfiguration(url: "amqp://host:notaport/") == nil)
        #expect(BrokerConfiguration(url: "amqp://host:70000/") == nil)
    }

    @Test func retryDelaysGrowThenRepeat() {
        let queue = Topology.Queue(name: "publishing.events", bindings: [], retryDelaysMilliseconds: [100, 1_000], maxAttempts: 5)
        #expect(queue.retryTier(afterAttempt: 1) == 0)
        #expect(queue.retryTier(afterAttempt: 2) == 1)
        #expect(queue.retryTier(afterAttempt: 4) == 1)
        // The attempt header is anyone's who may publish: no value of it overflows the retry path.
        #expect(queue.retryTier(afterAttempt: Int.min) == 0)
        #expect(queue.retryTier(afterAttempt: Int.max) == 1)
        #expect(Delivery.attempt(header: .int(Int64.min)) == 1)
        #expect(Delivery.attempt(header: .string("-9223372036854775808")) == 1)
        #expect(Delivery.attempt(header: .int(Int64.max)) == 1_000_000)
        #expect(Delivery.attempt(header: .string("not a number")) == 1)
        #expect(Delivery.attempt(header: nil) == 1)
        #expect(Delivery.attempt(header: .int(3)) == 3)
        #expect(queue.retryQueue(tier: 0) == "publishing.events.delay.1")
        #expect(queue.deadQueue == "publishing.events.dead")
    }

    @Test func backoffGrowsToItsCap() {
        var backoff = Backoff(initialMilliseconds: 100, capMilliseconds: 1_000)
        let delays = (0..<8).map { _ in backoff.next() }
        #expect(delays.allSatisfy { $0 <= .milliseconds(1_000) })
        #expect(delays.last! >= .milliseconds(500))
        backoff.reset()
        #expect(backoff.next() <= .milliseconds(100))
    }
}
