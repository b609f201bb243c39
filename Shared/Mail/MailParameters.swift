/// Reads one parameter of a raw MIME header value (`attachment; filename="a b.pdf"`), as
/// written, so that RFC 2047 words inside it can be decoded properly (see `MailParser.filename`).
enum MailParameters {
    /// The value of `name=` (quoted or a token), unquoted; nil when absent.
    static func value(of name: String, in header: String) -> String? {
        var rest = Substring(header)
        while let semicolon = rest.firstIndex(of: ";") {
            rest = rest[rest.index(after: semicolon)...].drop(while: { $0 == " " || $0 == "\t" })
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces)
            var after = rest[rest.index(after: equals)...].drop(while: { $0 == " " || $0 == "\t" })
            var value = ""
            if after.first == "\"" {
                after = after.dropFirst()
                var escaped = false
                var end = after.endIndex
                for index in after.indices {
                    let character = after[index]
                    if escaped {
                        value.append(character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        end = index
                        break
                    } else {
                        value.append(character)
                    }
                }
                rest = end < after.endIndex ? after[after.index(after: end)...] : after[after.endIndex...]
            } else {
                let end = after.firstIndex(of: ";") ?? after.endIndex
                value = after[..<end].trimmingCharacters(in: .whitespaces)
                rest = after[end...]
            }
            if key.lowercased() == name.lowercased() { return value }
        }
        return nil
    }

    /// Whether the header carries `name` in RFC 2231 form (`name*=` or `name*0=` / `name*0*=`).
    static func hasExtended(_ name: String, in header: String) -> Bool {
        let lowered = header.lowercased(), key = name.lowercased() + "*"
        var searchFrom = lowered.startIndex
        while let found = lowered.range(of: key, range: searchFrom..<lowered.endIndex) {
            let before = found.lowerBound == lowered.startIndex ? ";" : lowered[lowered.index(before: found.lowerBound)]
            if before == ";" || before == " " || before == "\t" { return true }
            searchFrom = found.upperBound
        }
        return false
    }
}
