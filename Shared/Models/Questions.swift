import Foundation

/// Where a citizen's question stands (Art. 13.4-13.6, R-6). The Center receives it; it goes to
/// the unit in charge of its field; the unit's answer is reviewed by the Center, which answers the
/// citizen and, when the answer may guide others, publishes it.
public enum QuestionState: String, Codable, Sendable, CaseIterable {
    /// With the Center, not yet sent to a unit.
    case received
    /// With the unit in charge; its officer drafts the answer.
    case routed
    /// The unit asked the citizen to clarify; the working-day clock pauses.
    case awaitingCitizen = "awaiting_citizen"
    /// The unit's answer waits for the Center's review.
    case answerDrafted = "answer_drafted"
    /// The Center answered the citizen privately.
    case answered
    /// The Center answered and published the answer on the portal.
    case published

    public var vietnamese: String {
        switch self {
        case .received: "Đã tiếp nhận"
        case .routed: "Đã chuyển đơn vị xử lý"
        case .awaitingCitizen: "Chờ người hỏi bổ sung thông tin"
        case .answerDrafted: "Đơn vị đã trả lời, chờ Trung tâm duyệt"
        case .answered: "Đã trả lời"
        case .published: "Đã công khai"
        }
    }

    public var english: String {
        switch self {
        case .received: "Received"
        case .routed: "With the responsible unit"
        case .awaitingCitizen: "Waiting for the citizen's clarification"
        case .answerDrafted: "Answered by the unit, under review"
        case .answered: "Answered"
        case .published: "Published"
        }
    }

    /// States in which the unit still owes an answer, so the due date counts.
    public var isOpen: Bool { [.received, .routed, .answerDrafted].contains(self) }
}

/// The code a citizen follows a question by: 20 characters from an alphabet without look-alikes
/// (no 0/O, 1/I/L), 100 bits from the system's random source, so it cannot be guessed. Only its
/// SHA-256 is stored; the citizen holds the code itself.
public enum TrackingCode {
    static let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    public static let length = 20

    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// The code as typed (lower case, spaces or dashes between groups) in its stored form, or nil
    /// when it cannot be a code.
    public static func normalized(_ text: String) -> String? {
        let kept = text.uppercased().filter { !$0.isWhitespace && $0 != "-" }
        guard kept.count == length, kept.allSatisfy({ alphabet.contains($0) }) else { return nil }
        return kept
    }

    /// "ABCDE-FGHJK-MNPQR-STUVW": easier to read aloud and to copy.
    public static func grouped(_ code: String) -> String {
        stride(from: 0, to: code.count, by: 5).map { start in
            let from = code.index(code.startIndex, offsetBy: start)
            return String(code[from..<code.index(from, offsetBy: min(5, code.count - start))])
        }.joined(separator: "-")
    }
}

/// Text folded as people type it without diacritics: lower case, đ → d, combining marks dropped.
/// Domain labels and the field suggestion both read names this way.
public enum Unaccented {
    public static func fold(_ text: String) -> String {
        let mapped = text.map { character -> String in
            switch character {
            case "đ", "Đ", "Ð", "ð": "d"
            default: String(character)
            }
        }.joined()
        let scalars = mapped.decomposedStringWithCanonicalMapping.lowercased().unicodeScalars
            .filter { !(0x0300...0x036F).contains($0.value) }
        return String(String.UnicodeScalarView(scalars))
    }
}

/// Suggests a question's field from its text: a field's keywords (reference data,
/// `seeds/field_keywords.csv`) are looked for as whole words, and a keyword of several words
/// weighs as many; the field with the most weight wins, ties going to the field listed first.
/// A word written with its diacritics must match them ("chợ" is not "cho"); a word written
/// without any, as many people type, matches whatever its letters are. The matched keywords are
/// the reason shown to the Center.
public struct FieldSuggester: Sendable {
    public struct Keyword: Sendable, Equatable {
        public let fieldCode: String
        public let keyword: String
        public init(fieldCode: String, keyword: String) {
            self.fieldCode = fieldCode
            self.keyword = keyword
        }
    }

    public struct Suggestion: Sendable, Equatable {
        public let fieldCode: String
        /// The keywords found, as written in the reference data.
        public let matched: [String]

        public init(fieldCode: String, matched: [String]) {
            self.fieldCode = fieldCode
            self.matched = matched
        }
    }

    /// A word as written (lower case, composed) and without its diacritics.
    struct Word: Equatable {
        let written: String
        let folded: String

        init(_ text: String) {
            written = text
            folded = Unaccented.fold(text)
        }

        /// Whether a word of the text matches a word of a keyword.
        func matches(_ keyword: Word) -> Bool {
            folded == keyword.folded && (written == keyword.written || written == folded)
        }
    }

    let keywords: [(fieldCode: String, keyword: String, words: [Word])]

    public init(_ keywords: [Keyword]) {
        self.keywords = keywords.map { ($0.fieldCode, $0.keyword, Self.words($0.keyword)) }.filter { !$0.2.isEmpty }
    }

    static func words(_ text: String) -> [Word] {
        text.precomposedStringWithCanonicalMapping.lowercased()
            .split { !$0.isLetter && !$0.isNumber }.map { Word(String($0)) }
    }

    public func suggest(_ text: String) -> Suggestion? {
        let words = Self.words(text)
        guard !words.isEmpty else { return nil }
        var weight: [String: Int] = [:], found: [String: [String]] = [:]
        var order: [String] = []
        for entry in keywords where Self.contains(words, entry.words) {
            if found[entry.fieldCode] == nil { order.append(entry.fieldCode) }
            found[entry.fieldCode, default: []].append(entry.keyword)
            weight[entry.fieldCode, default: 0] += entry.words.count
        }
        // The most weight wins; among equals, the field listed first.
        guard let top = weight.values.max(), let first = order.first(where: { weight[$0] == top }) else { return nil }
        return Suggestion(fieldCode: first, matched: found[first] ?? [])
    }

    static func contains(_ words: [Word], _ phrase: [Word]) -> Bool {
        guard phrase.count <= words.count else { return false }
        for start in 0...(words.count - phrase.count) where words[start].matches(phrase[0]) {
            if zip(words[start..<(start + phrase.count)], phrase).allSatisfy({ $0.matches($1) }) { return true }
        }
        return false
    }
}

/// The working-day clock of one question (R-6.1-6.3): due a field's number of working days after
/// receipt; paused while the case waits for the citizen, the due date moving by the working days
/// of the pause; a unit may send back a question outside its remit only within 5 working days of
/// receiving it.
public struct QuestionClock: Sendable {
    public let calendar: WorkingCalendar
    public static let forwardingWorkingDays = 5

    public init(calendar: WorkingCalendar) {
        self.calendar = calendar
    }

    public func dueDate(receivedOn: LocalDate, workingDays: Int) -> LocalDate {
        calendar.adding(workingDays: workingDays, to: receivedOn)
    }

    /// The due date after a pause from `pausedOn` until `resumedOn`.
    public func resumed(dueOn: LocalDate, pausedOn: LocalDate, resumedOn: LocalDate) -> LocalDate {
        calendar.adding(workingDays: calendar.workingDays(after: pausedOn, through: resumedOn), to: dueOn)
    }

    /// Whether a unit that received the case on `routedOn` may still say it is not theirs on `today`.
    public func mayForward(routedOn: LocalDate, today: LocalDate) -> Bool {
        calendar.workingDays(after: routedOn, through: today) <= Self.forwardingWorkingDays
    }

    /// Working days left until `dueOn` (negative when overdue).
    public func workingDaysLeft(dueOn: LocalDate, today: LocalDate) -> Int {
        dueOn >= today ? calendar.workingDays(after: today, through: dueOn) : -calendar.workingDays(after: dueOn, through: today)
    }
}

/// The notice every published answer carries, in the regulation's words (Art. 13.4).
public enum AnswerNotice {
    public static let vietnamese = "Việc trả lời của các cơ quan, đơn vị trên Cổng TTĐT tỉnh nhằm phổ biến, hướng dẫn thực hiện các văn bản, quy định của Nhà nước, không phải là cơ sở pháp lý trực tiếp để giải quyết các quan hệ dân sự, hành chính."
    public static let english = "Answers given by agencies and units on the provincial e-portal are meant to disseminate and guide the implementation of State documents and regulations; they are not a direct legal basis for settling civil or administrative matters."
}

// MARK: Events of the feedback service

/// `question.received`: a question is recorded; `unitCode` is the unit holding it (the Center
/// until it is routed), `fieldCode` the field the citizen chose, if any. No personal data.
public struct QuestionReceived: PortalEvent {
    public static let type = EventType.questionReceived
    public static let version = 1
    public var questionId: UUID
    public var unitCode: String
    public var fieldCode: String?
    public var dialogueId: UUID?
    public var receivedOn: LocalDate
    public init(questionId: UUID, unitCode: String, fieldCode: String?, dialogueId: UUID?, receivedOn: LocalDate) {
        self.questionId = questionId
        self.unitCode = unitCode
        self.fieldCode = fieldCode
        self.dialogueId = dialogueId
        self.receivedOn = receivedOn
    }
}

/// `question.routed`: the unit in charge of the field holds the case, due on `dueOn`.
public struct QuestionRouted: PortalEvent {
    public static let type = EventType.questionRouted
    public static let version = 1
    public var questionId: UUID
    public var unitCode: String
    public var fieldCode: String
    public var dueOn: LocalDate
    /// The unit that held it before, when it was forwarded.
    public var fromUnitCode: String?
    public init(questionId: UUID, unitCode: String, fieldCode: String, dueOn: LocalDate, fromUnitCode: String?) {
        self.questionId = questionId
        self.unitCode = unitCode
        self.fieldCode = fieldCode
        self.dueOn = dueOn
        self.fromUnitCode = fromUnitCode
    }
}

/// `question.answered`: the Center approved the unit's answer and the citizen has it.
public struct QuestionAnswered: PortalEvent {
    public static let type = EventType.questionAnswered
    public static let version = 1
    public var questionId: UUID
    public var unitCode: String
    public var dueOn: LocalDate?
    public var answeredOn: LocalDate
    public var published: Bool
    public init(questionId: UUID, unitCode: String, dueOn: LocalDate?, answeredOn: LocalDate, published: Bool) {
        self.questionId = questionId
        self.unitCode = unitCode
        self.dueOn = dueOn
        self.answeredOn = answeredOn
        self.published = published
    }
}

/// `answer.published`: the public texts of a question and its answer, for publishing to render.
/// It carries no name, contact or address: only what the Center approved for the public.
public struct AnswerPublished: PortalEvent {
    public static let type = EventType.answerPublished
    public static let version = 1
    public var questionId: UUID
    public var fieldCode: String
    public var fieldName: String
    public var unitCode: String
    public var unitName: String
    public var title: String
    public var question: String
    public var answer: String
    public var askedOn: LocalDate
    public var answeredOn: LocalDate
    public init(
        questionId: UUID, fieldCode: String, fieldName: String, unitCode: String, unitName: String, title: String, question: String,
        answer: String, askedOn: LocalDate, answeredOn: LocalDate
    ) {
        self.questionId = questionId
        self.fieldCode = fieldCode
        self.fieldName = fieldName
        self.unitCode = unitCode
        self.unitName = unitName
        self.title = title
        self.question = question
        self.answer = answer
        self.askedOn = askedOn
        self.answeredOn = answeredOn
    }
}

/// `question.reminded` and `question.escalated`: a deadline warning sent by email.
public struct QuestionDeadlineNotice: Codable, Sendable, Equatable {
    public var questionId: UUID
    public var unitCode: String
    public var dueOn: LocalDate
    /// `reminder` before the due date; `board_member` then `head` once overdue.
    public var level: String
    public var recipients: [String]
    public init(questionId: UUID, unitCode: String, dueOn: LocalDate, level: String, recipients: [String]) {
        self.questionId = questionId
        self.unitCode = unitCode
        self.dueOn = dueOn
        self.level = level
        self.recipients = recipients
    }
}

/// `consultation.opened`, `consultation.closed` and `comment.received` (Art. 13.5, R-6.4).
public struct ConsultationEvent: Codable, Sendable, Equatable {
    public var consultationId: UUID
    public var unitCode: String
    public var opensOn: LocalDate
    public var closesOn: LocalDate
    /// For `comment.received`: the comment and the article (Điều) it is about, if one.
    public var commentId: UUID?
    public var articleNumber: Int?
    public init(consultationId: UUID, unitCode: String, opensOn: LocalDate, closesOn: LocalDate, commentId: UUID? = nil, articleNumber: Int? = nil) {
        self.consultationId = consultationId
        self.unitCode = unitCode
        self.opensOn = opensOn
        self.closesOn = closesOn
        self.commentId = commentId
        self.articleNumber = articleNumber
    }
}

/// The articles (Điều) of a draft's text, found at the start of a line: "Điều 3. Phạm vi ..." gives
/// (3, "Phạm vi ..."). Citizens comment on the whole draft or on one of these.
public enum DraftArticles {
    public static func list(_ text: String) -> [(number: Int, title: String)] {
        var seen = Set<Int>()
        var found: [(Int, String)] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let folded = Unaccented.fold(trimmed)
            guard folded.hasPrefix("dieu ") else { continue }
            let rest = trimmed.dropFirst(5)
            let digits = rest.prefix { $0.isNumber }
            guard let number = Int(digits), number > 0, !seen.contains(number) else { continue }
            seen.insert(number)
            let title = rest.dropFirst(digits.count).drop { $0 == "." || $0 == ":" || $0 == " " }
            found.append((number, String(title.prefix(200))))
        }
        return found
    }
}

/// Whether a text shows anything: a title of zero-width spaces, joiners, direction marks or
/// control characters is as empty as a title of spaces, and a link with it has no name.
public enum VisibleText {
    public static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            let properties = scalar.properties
            if properties.isWhitespace || properties.isDefaultIgnorableCodePoint { return true }
            switch properties.generalCategory {
            case .control, .format, .nonspacingMark, .enclosingMark, .spaceSeparator, .lineSeparator, .paragraphSeparator, .unassigned,
                 .privateUse, .surrogate:
                return true
            default:
                return false
            }
        }
    }
}
