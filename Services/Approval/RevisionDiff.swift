import Foundation
import Models

/// What changed from one revision to another: the body paragraph by paragraph, and within a
/// paragraph that changed, word by word; the title the same way; and each classification field
/// that changed, from what to what.
struct RevisionDiff: Codable, Sendable {
    /// A run of text: `=` kept, `-` removed, `+` added.
    struct Segment: Codable, Sendable, Equatable {
        var op: String
        var text: String
    }

    /// A paragraph: `=` unchanged, `-` removed, `+` added, `~` changed (its segments say how).
    struct Paragraph: Codable, Sendable, Equatable {
        var op: String
        var segments: [Segment]
    }

    /// A classification field that changed; values as the editors wrote them.
    struct FieldChange: Codable, Sendable, Equatable {
        var field: String
        var from: String
        var to: String
    }

    var from: Int
    var to: Int
    var title: [Segment]
    var body: [Paragraph]
    var classification: [FieldChange]

    init(old: RevisionRecord, new: RevisionRecord) {
        from = old.number
        to = new.number
        title = Self.words(old.title, new.title)
        body = Self.paragraphs(old.body, new.body)
        classification = Self.changes(old, new)
    }

    // MARK: Text

    /// Paragraphs aligned as a whole; a run of removed paragraphs next to a run of added ones is
    /// read as those paragraphs changed, and shown word by word when enough of them was kept.
    static func paragraphs(_ old: String, _ new: String) -> [Paragraph] {
        var result = [Paragraph]()
        var gone = [String](), added = [String]()
        func flushChanges() {
            for index in 0..<max(gone.count, added.count) {
                switch (index < gone.count ? gone[index] : nil, index < added.count ? added[index] : nil) {
                case (let before?, let after?):
                    let segments = words(before, after)
                    let kept = segments.filter { $0.op == "=" }.reduce(0) { $0 + $1.text.count }
                    if Double(kept) >= 0.3 * Double(max(before.count, after.count)) {
                        result.append(Paragraph(op: "~", segments: segments))
                    } else {
                        result.append(Paragraph(op: "-", segments: [Segment(op: "-", text: before)]))
                        result.append(Paragraph(op: "+", segments: [Segment(op: "+", text: after)]))
                    }
                case (let before?, nil): result.append(Paragraph(op: "-", segments: [Segment(op: "-", text: before)]))
                case (nil, let after?): result.append(Paragraph(op: "+", segments: [Segment(op: "+", text: after)]))
                case (nil, nil): break
                }
            }
            gone = []
            added = []
        }
        for edit in edits(split(old), split(new)) {
            switch edit.op {
            case "-": gone.append(edit.text)
            case "+": added.append(edit.text)
            default:
                flushChanges()
                result.append(Paragraph(op: "=", segments: [Segment(op: "=", text: edit.text)]))
            }
        }
        flushChanges()
        return result
    }

    /// Word by word: runs of letters and digits are words; spaces and punctuation count one by one.
    static func words(_ old: String, _ new: String) -> [Segment] {
        var segments = [Segment]()
        for edit in edits(tokens(old), tokens(new)) {
            if let last = segments.last, last.op == edit.op {
                segments[segments.count - 1].text += edit.text
            } else {
                segments.append(Segment(op: edit.op, text: edit.text))
            }
        }
        return segments
    }

    /// The most elements, of both sides together once their common start and end are set aside,
    /// that are compared one by one. Swift's `difference` (Myers) keeps memory that grows with the
    /// square of the edits: two unlike bodies of 100 KB on one line would need tens of gigabytes.
    /// Past this, the differing middle is shown removed and added whole.
    static let largestComparison = 2_000

    /// The edit script from `a` to `b`: each element kept (`=`), removed (`-`) or added (`+`), in
    /// reading order, removals before additions where both happen.
    static func edits(_ a: [String], _ b: [String]) -> [(op: String, text: String)] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let middleA = Array(a[prefix..<(a.count - suffix)]), middleB = Array(b[prefix..<(b.count - suffix)])
        var result = a[..<prefix].map { (op: "=", text: $0) }
        if middleA.count + middleB.count > largestComparison {
            result += middleA.map { (op: "-", text: $0) } + middleB.map { (op: "+", text: $0) }
        } else {
            result += script(middleA, middleB)
        }
        result += b[(b.count - suffix)...].map { (op: "=", text: $0) }
        return result
    }

    /// Swift's `difference` as an edit script, for sequences within `largestComparison`.
    static func script(_ a: [String], _ b: [String]) -> [(op: String, text: String)] {
        var removed = Set<Int>(), inserted = Set<Int>()
        for change in b.difference(from: a) {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var result = [(op: String, text: String)]()
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, removed.contains(i) {
                result.append(("-", a[i]))
                i += 1
            } else if j < b.count, inserted.contains(j) {
                result.append(("+", b[j]))
                j += 1
            } else {
                if j < b.count { result.append(("=", b[j])) }
                i += 1
                j += 1
            }
        }
        return result
    }

    static func split(_ body: String) -> [String] {
        body.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
            .split(whereSeparator: { $0.trimmingCharacters(in: .whitespaces).isEmpty })
            .map { $0.joined(separator: "\n") }
    }

    static func tokens(_ text: String) -> [String] {
        var tokens = [String](), word = ""
        for character in text {
            if character.isLetter || character.isNumber {
                word.append(character)
            } else {
                if !word.isEmpty { tokens.append(word); word = "" }
                tokens.append(String(character))
            }
        }
        if !word.isEmpty { tokens.append(word) }
        return tokens
    }

    // MARK: Classification

    static func changes(_ old: RevisionRecord, _ new: RevisionRecord) -> [FieldChange] {
        let a = old.classification, b = new.classification
        func authors(_ list: [AuthorShare]) -> String {
            list.map { "\($0.name)\($0.share.map { " (\($0)%)" } ?? "")" }.joined(separator: "; ")
        }
        let pairs: [(String, String, String)] = [
            ("kind", old.kind, new.kind),
            ("genre", a.genre ?? "", b.genre ?? ""),
            ("coefficient", a.coefficientHundredths.map(VietnameseNumber.hundredths) ?? "", b.coefficientHundredths.map(VietnameseNumber.hundredths) ?? ""),
            ("surcharges", a.surcharges.joined(separator: ", "), b.surcharges.joined(separator: ", ")),
            ("authors", authors(a.authors), authors(b.authors)),
            ("fields", a.fields.joined(separator: ", "), b.fields.joined(separator: ", ")),
            ("categories", a.categories.joined(separator: ", "), b.categories.joined(separator: ", ")),
            ("targetSites", a.targetSites.joined(separator: ", "), b.targetSites.joined(separator: ", ")),
            ("alsoOnOwnSite", a.alsoOnOwnSite ? "có" : "không", b.alsoOnOwnSite ? "có" : "không"),
            ("publishAt", a.publishAt.map(PortalCalendar.dateTime) ?? "", b.publishAt.map(PortalCalendar.dateTime) ?? ""),
            ("summary", old.summary ?? "", new.summary ?? ""),
        ]
        return pairs.filter { $0.1 != $0.2 }.map { FieldChange(field: $0.0, from: $0.1, to: $0.2) }
    }
}
