import Foundation
import Models
import Testing

/// The MinHash bands that let the near-duplicate pre-screen ask an index for candidates.
@Suite("Near-duplicate bands")
struct PreScreenBandsTests {
    /// A text of `count` words drawn from a fixed vocabulary by a fixed sequence, opening with the
    /// phrase that opens many of a province's news items.
    func words(_ count: Int, seed: UInt64) -> [String] {
        var state = seed
        return "Ủy ban nhân dân tỉnh Long An thông báo".split(separator: " ").map(String.init) + (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return "w\((state >> 33) % 5_000)"
        }
    }

    func shareABand(_ a: String, _ b: String) -> Bool {
        !Set(PreScreen.bands(PreScreen.shingles(a))).isDisjoint(with: PreScreen.bands(PreScreen.shingles(b)))
    }

    @Test("Equal texts, written with or without diacritics, have the same 64 bands; empty text has none")
    func equalTexts() {
        let bands = PreScreen.bands(PreScreen.shingles("Khánh thành cầu Bến Lức mới bắc qua sông Vàm Cỏ Đông"))
        #expect(bands.count == 64)
        #expect(bands == PreScreen.bands(PreScreen.shingles("khanh thanh cau ben luc moi bac qua song vam co dong")))
        #expect(Set(bands).count == 64, "a band's key carries its number")
        #expect(PreScreen.bands(PreScreen.shingles(" \n")).isEmpty)
    }

    @Test("Every pair at or above the threshold shares a band, so the index finds it; unrelated pairs that share a phrase almost never do")
    func candidatesAtTheThreshold() {
        var nearPairs = 0, unrelatedCandidates = 0
        for seed in 0..<300 {
            let original = words(200, seed: UInt64(seed))
            // Replace a run of words until the Jaccard similarity of the shingles falls to just above 0.5.
            var changed = original
            var index = 0
            while PreScreen.similarity(PreScreen.shingles(original.joined(separator: " ")),
                                       PreScreen.shingles(changed.joined(separator: " "))) > 0.55, index < changed.count {
                changed[index] = "x\(seed)-\(index)"
                index += 3
            }
            let similarity = PreScreen.similarity(
                PreScreen.shingles(original.joined(separator: " ")), PreScreen.shingles(changed.joined(separator: " ")))
            #expect(similarity >= PreScreen.duplicateThreshold)
            #expect(shareABand(original.joined(separator: " "), changed.joined(separator: " ")), "missed at similarity \(similarity)")
            nearPairs += 1
            if shareABand(original.joined(separator: " "), words(200, seed: UInt64(10_000 + seed)).joined(separator: " ")) {
                unrelatedCandidates += 1
            }
        }
        #expect(nearPairs == 300)
        #expect(unrelatedCandidates <= 3, "\(unrelatedCandidates) of 300 unrelated pairs would be read as candidates")
    }
}
