@testable import Approval
import Foundation
import Models
import Testing

/// The diff an editor and an approver read before deciding: paragraphs aligned, changes inside a
/// paragraph word by word, and the classification fields that changed, from what to what.
@Suite("Differences between revisions")
struct RevisionDiffTests {
    func revision(_ number: Int, title: String, body: String, classification: Classification = .init(), kind: String = "news") -> RevisionRecord {
        RevisionRecord(
            number: number, kind: kind, language: "vi", title: title, summary: nil, bodyFormat: "markdown", body: body, bodyHTML: "",
            attachments: [], classification: classification, details: .object([:]), changeNote: nil, createdBy: nil,
            createdByLabel: "btv.lan", createdAt: Date(), contentSHA256: "")
    }

    @Test("Two unlike bodies of 100 KB on one line each: the diff comes back at once, the middle removed and added whole, and what both share kept")
    func unlikeLongBodiesDoNotExhaustMemory() {
        let oldText = "Mở đầu chung. " + String(repeating: "x ", count: 50_000) + " Kết chung."
        let newText = "Mở đầu chung. " + String(repeating: "y ", count: 50_000) + " Kết chung."
        let started = ContinuousClock.now
        let diff = RevisionDiff(old: revision(1, title: "Tin", body: oldText), new: revision(2, title: "Tin", body: newText))
        #expect(ContinuousClock.now - started < .seconds(10), "answered without comparing 100,000 words with 100,000")
        #expect(diff.body.flatMap(\.segments).map(\.text.count).reduce(0, +) == oldText.count + newText.count, "both texts are shown whole")
        // Word by word, as within a paragraph whose words changed: the shared start and end kept.
        let segments = RevisionDiff.words(oldText, newText)
        #expect(segments.count == 4, "kept, removed, added, kept: \(segments.map(\.op))")
        #expect(segments.first == .init(op: "=", text: "Mở đầu chung. "))
        #expect(segments.last?.op == "=" && segments.last?.text.hasSuffix("Kết chung.") == true)
        #expect(segments.contains { $0.op == "-" && $0.text.hasPrefix("x x") } && segments.contains { $0.op == "+" && $0.text.hasPrefix("y y") })
        #expect(RevisionDiff.edits(Array(repeating: "a", count: 3_000), ["b"]).count == 3_001)
    }

    @Test("A word changed in one paragraph is shown as that word, not the body removed and added")
    func wordsWithinAParagraph() {
        let old = revision(1, title: "Hội nghị tổng kết năm 2025",
                           body: "Sáng 01/12, Sở Tư pháp tổ chức hội nghị.\n\nĐoạn giữ nguyên.\n\nĐoạn sẽ bị xóa hẳn, không còn gì giống.")
        let new = revision(2, title: "Hội nghị tổng kết năm 2026",
                           body: "Sáng 02/12, Sở Tư pháp tổ chức hội nghị.\n\nĐoạn giữ nguyên.\n\nMột đoạn mới.")
        let diff = RevisionDiff(old: old, new: new)
        #expect(diff.title == [.init(op: "=", text: "Hội nghị tổng kết năm "), .init(op: "-", text: "2025"), .init(op: "+", text: "2026")])
        #expect(diff.body.count == 4)
        #expect(diff.body[0].op == "~")
        #expect(diff.body[0].segments == [
            .init(op: "=", text: "Sáng "), .init(op: "-", text: "01"), .init(op: "+", text: "02"),
            .init(op: "=", text: "/12, Sở Tư pháp tổ chức hội nghị."),
        ])
        #expect(diff.body[1] == .init(op: "=", segments: [.init(op: "=", text: "Đoạn giữ nguyên.")]))
        // Too little in common to read as a change: removed, then added.
        #expect(diff.body[2].op == "-" && diff.body[3].op == "+")
        #expect(diff.classification.isEmpty)
    }

    @Test("The classification fields that changed are named with their values before and after")
    func classificationChanges() {
        let before = Classification(genre: "news", coefficientHundredths: 800, authors: [.init(name: "Nguyễn Văn An", userId: nil, share: 100)],
                                    targetSites: ["longan.gov.vn"])
        var after = before
        after.coefficientHundredths = 850
        after.categories = ["Pháp luật"]
        let diff = RevisionDiff(old: revision(1, title: "T", body: "B", classification: before),
                                new: revision(2, title: "T", body: "B", classification: after, kind: "article"))
        #expect(diff.classification == [
            .init(field: "kind", from: "news", to: "article"),
            .init(field: "coefficient", from: "8", to: "8,5"),
            .init(field: "categories", from: "", to: "Pháp luật"),
        ])
        #expect(diff.body == [.init(op: "=", segments: [.init(op: "=", text: "B")])])
    }
}
