import Foundation
import Models

/// Finds a citizen's personal data in text about to be published: the asker's own name,
/// email, phone and address as held in the vault, and anything shaped like an email address, a
/// Vietnamese phone number or an identity card number (9 or 12 digits), whoever's it is.
///
/// Names and addresses are compared without case or diacritics ("tran thi be ba" is the same
/// name), and phone numbers by their digits whatever separates them.
struct PersonalDataScreen {
    /// What was found, by kind, in the words shown to the person who must remove it.
    enum Finding: String, CaseIterable, Sendable {
        case name = "họ tên"
        case email = "địa chỉ thư điện tử"
        case phone = "số điện thoại"
        case address = "địa chỉ"
        case identityNumber = "số giấy tờ tùy thân"
    }

    let person: PersonalData?

    /// The kinds of personal data in `texts`, in a fixed order; empty when there is none.
    func findings(in texts: [String]) -> [Finding] {
        let joined = texts.joined(separator: "\n")
        let folded = Self.fold(joined)
        var found = Set<Finding>()
        if let person {
            let name = Self.fold(person.name)
            // A one-word name ("An") is too common a word to refuse text for.
            if name.split(separator: " ").count >= 2, folded.contains(name) { found.insert(.name) }
            if let address = person.address.map(Self.fold), address.count >= 10, folded.contains(address) { found.insert(.address) }
            if let email = person.email?.lowercased(), !email.isEmpty, joined.lowercased().contains(email) { found.insert(.email) }
            if let phone = person.phone.map(Self.digits), phone.count >= 8,
               Self.digitRuns(joined).contains(where: { $0.digits.hasSuffix(String(phone.suffix(9))) }) {
                found.insert(.phone)
            }
        }
        if joined.firstMatch(of: Self.emailShape) != nil { found.insert(.email) }
        for run in Self.digitRuns(joined) {
            // A date ("01-12-2026 10 giờ") starts with a group of two digits; a phone number with
            // its area or network code ("0912", "028") or the country's ("84").
            if (run.digits.hasPrefix("0") && run.digits.count == 10 && run.firstGroup >= 3)
                || (run.digits.hasPrefix("84") && run.digits.count == 11) { found.insert(.phone) }
            // Identity card numbers are written in one piece.
            if run.firstGroup == run.digits.count, run.digits.count == 9 || run.digits.count == 12 { found.insert(.identityNumber) }
        }
        return Finding.allCases.filter(found.contains)
    }

    /// The refusal for text that still holds personal data.
    static func refusal(_ findings: [Finding], in what: String) -> QuestionStore.Refusal {
        QuestionStore.Refusal(
            .unprocessableContent, "personal_data_in_public_text",
            "\(what) còn thông tin cá nhân (\(findings.map(\.rawValue).joined(separator: ", "))): bỏ các thông tin này rồi gửi lại (R-5.4).")
    }

    static var emailShape: Regex<(Substring, Substring)> { #/[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+/# }

    /// Runs of digits, each read across the single spaces, dots, dashes and brackets that phone
    /// numbers are written with ("0912 345 678", "(028) 3823.4567", "+84 912-345-678"), with the
    /// length of each run's first group.
    static func digitRuns(_ text: String) -> [(digits: String, firstGroup: Int)] {
        var runs = [(digits: String, firstGroup: Int)](), current = "", firstGroup = 0, pendingSeparator = false
        func close() {
            if !current.isEmpty { runs.append((current, firstGroup == 0 ? current.count : firstGroup)) }
            current = ""
            firstGroup = 0
            pendingSeparator = false
        }
        for character in text {
            if character.isASCII, character.isNumber {
                current.append(character)
                pendingSeparator = false
            } else if !current.isEmpty, !pendingSeparator, " .-()".contains(character) {
                if firstGroup == 0 { firstGroup = current.count }
                pendingSeparator = true
            } else {
                close()
            }
        }
        close()
        return runs
    }

    static func digits(_ text: String) -> String { String(text.filter { $0.isASCII && $0.isNumber }) }

    /// As people type without diacritics (`Unaccented.fold`: lower case, đ as d), spaces collapsed.
    static func fold(_ text: String) -> String {
        Unaccented.fold(text).split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
