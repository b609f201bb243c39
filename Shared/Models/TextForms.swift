import Foundation

extension String {
    /// The text in Unicode's composed form (NFC), as Foundation's
    /// `precomposedStringWithCanonicalMapping` makes it. Text whose every scalar is one that NFC
    /// keeps as it is wherever it stands (ASCII, Latin-1 and the Latin letters up to U+02FF, the
    /// precomposed Vietnamese letters of U+1E00-U+1EFF, the common punctuation of U+2010-U+205E
    /// without the two quads that NFC replaces) is already composed and comes back as it is:
    /// nearly every text the portal receives, which Foundation would copy and walk again.
    public var composed: String {
        for scalar in unicodeScalars where !Self.staysComposed(scalar.value) {
            return precomposedStringWithCanonicalMapping
        }
        return self
    }

    /// A scalar whose NFC quick check is Yes and whose combining class is 0: it neither changes
    /// nor combines with what precedes it (`ComposedTextTests` asks Foundation about each).
    static func staysComposed(_ value: UInt32) -> Bool {
        value < 0x300 || (0x1E00...0x1EFF).contains(value) || (0x2010...0x2027).contains(value) || (0x2030...0x205E).contains(value)
    }
}

extension String {
    /// The text without the white space and line breaks at its ends, as Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)` gives it; a text that neither starts nor
    /// ends with one (nearly every field people send) comes back as it is, without Foundation's copy.
    public var trimmed: String {
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return self }
        let spaces = CharacterSet.whitespacesAndNewlines
        if !spaces.contains(first) && !spaces.contains(last) { return self }
        return trimmingCharacters(in: spaces)
    }
}
