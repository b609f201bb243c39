import Models
import Testing

@Suite("Domain labels from Vietnamese names")
struct DomainLabelTests {
    // the examples the rule itself gives.
    @Test("R-7.2 examples", arguments: [
        ("Huyện Bến Lức", "benluc"),
        ("Huyện Đức Hòa", "duchoa"),
        ("Xã Phước Vĩnh Tây", "phuocvinhtay"),
        ("Thị xã Kiến Tường", "kientuong"),
        ("Thành phố Tân An", "tanan"),
        ("Phường Khánh Hậu", "khanhhau"),
        ("Sở Tư pháp", "tuphap"),
        ("Thị trấn Đông Thành", "dongthanh"),
    ])
    func derivesLabel(name: String, label: String) {
        #expect(DomainLabel(derivingFrom: name)?.value == label)
    }

    // Đ and its look-alike Ð both map to d; decomposed input gives the same label.
    @Test func mapsDStrokeAndDecomposedInput() {
        #expect(DomainLabel(derivingFrom: "Xã Ðức Lập")?.value == "duclap")
        #expect(DomainLabel(derivingFrom: "Xã Bến Lức".decomposedStringWithCanonicalMapping)?.value == "benluc")
    }

    // two names may give one label; the derivation shows it so the loader can flag it.
    @Test func collidingNamesGiveTheSameLabel() {
        #expect(DomainLabel(derivingFrom: "Huyện Tân Thạnh") == DomainLabel(derivingFrom: "Xã Tân Thành"))
    }

    @Test func refusesWhatIsNotALabel() {
        #expect(DomainLabel(derivingFrom: "Xã ...") == nil)
        #expect(DomainLabel(validating: "Ben-Luc") == nil)
        #expect(DomainLabel(validating: String(repeating: "a", count: 64)) == nil)
        #expect(DomainLabel(validating: String(repeating: "a", count: 63)) != nil)
    }

    // component sites hang from the portal's domain.
    @Test func buildsDomains() throws {
        let benluc = try #require(DomainLabel(validating: "benluc"))
        let luonghoa = try #require(DomainLabel(validating: "luonghoa"))
        #expect(SiteDomain.domain(for: benluc) == "benluc.longan.gov.vn")
        #expect(SiteDomain.domain(for: luonghoa, under: benluc) == "luonghoa.benluc.longan.gov.vn")
    }
}
