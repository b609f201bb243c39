import Crypto
import Foundation
import Logging
import Models
import ServiceKit
import Store

/// A citizen's name, contact and address: what the Center needs to answer them, and
/// nothing of it ever published.
struct PersonalData: Codable, Sendable, Equatable {
    var name: String
    var email: String?
    var phone: String?
    var address: String?
}

/// Seals personal data with AES-GCM (swift-crypto) before it reaches the database, the
/// question's id bound as associated data so that a sealed row copied onto another case does not
/// open. Keys come from `FEEDBACK_DATA_KEYS`, "id:base64,id:base64": the first seals, every one
/// opens, so a key is rotated by putting a new one first and re-sealing (`reseal`) before the old
/// one is removed. Every opening by a person is written to the audit log.
struct PersonalDataVault: Sendable {
    /// The keys' bytes: `SymmetricKey` is not `Sendable`, so one is made for each use.
    let keys: [(id: String, raw: [UInt8])]

    init(keys: [(id: String, raw: [UInt8])]) {
        precondition(!keys.isEmpty, "at least one key")
        self.keys = keys
    }

    /// The keys from the environment, or, without them, a key made for this data folder (development).
    static func fromEnvironment(_ environment: [String: String], dataDirectory: String, logger: Logger) throws -> PersonalDataVault {
        if let text = environment["FEEDBACK_DATA_KEYS"], !text.isEmpty {
            return PersonalDataVault(keys: try parse(text))
        }
        let folder = "\(dataDirectory)/secrets"
        let path = "\(folder)/feedback-data-keys"
        if let existing = FileManager.default.contents(atPath: path), !existing.isEmpty {
            return PersonalDataVault(keys: try parse(String(decoding: existing, as: UTF8.self)))
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let text = "k1:" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        logger.warning("FEEDBACK_DATA_KEYS is not set; using a key made for this data folder (set it in production)", metadata: ["path": .string(path)])
        return PersonalDataVault(keys: try parse(text))
    }

    struct KeyError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ text: String) throws -> [(id: String, raw: [UInt8])] {
        let keys = try text.split(separator: ",").map { item -> (String, [UInt8]) in
            let pair = item.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[0].isEmpty, let bytes = Data(base64Encoded: pair[1]), bytes.count == 32 else {
                throw KeyError(description: "FEEDBACK_DATA_KEYS: each key is id:base64 of 32 bytes")
            }
            return (pair[0], [UInt8](bytes))
        }
        guard !keys.isEmpty else { throw KeyError(description: "FEEDBACK_DATA_KEYS names no key") }
        return keys
    }

    func seal(_ data: PersonalData, question: UUID) throws -> (keyId: String, sealed: [UInt8]) {
        let plain = try JSONEncoder().encode(data)
        let box = try AES.GCM.seal(plain, using: SymmetricKey(data: keys[0].raw), authenticating: Data(question.uuidString.lowercased().utf8))
        guard let combined = box.combined else { throw KeyError(description: "AES-GCM gave no combined form") }
        return (keys[0].id, Array(combined))
    }

    func open(_ sealed: [UInt8], keyId: String, question: UUID) throws -> PersonalData {
        guard let key = keys.first(where: { $0.id == keyId }).map({ SymmetricKey(data: $0.raw) }) else {
            throw KeyError(description: "personal data sealed under key \(keyId), which FEEDBACK_DATA_KEYS no longer holds")
        }
        let box = try AES.GCM.SealedBox(combined: sealed)
        let plain = try AES.GCM.open(box, using: key, authenticating: Data(question.uuidString.lowercased().utf8))
        return try JSONDecoder().decode(PersonalData.self, from: plain)
    }

    /// Stores the data of a new question, sealed beforehand (`seal`), in the caller's transaction,
    /// without waiting for an answer.
    func send(_ sealed: (keyId: String, sealed: [UInt8]), question: UUID, on connection: Connection) throws {
        try connection.send(
            "INSERT INTO feedback.personal_data (question_id, key_id, sealed) VALUES ($1, $2, $3)",
            [question, sealed.keyId, ByteA(sealed.sealed)])
    }

    /// Opens a question's personal data for `reader` and writes the reading to the audit log in
    /// the same transaction; nil once deleted.
    func read(question: UUID, reader: String, purpose: String, correlationId: String?, on connection: Connection) throws -> PersonalData? {
        guard let row = try connection.query(
            "SELECT key_id, sealed FROM feedback.personal_data WHERE question_id = $1 AND sealed IS NOT NULL", [question]
        ).rows.first else { return nil }
        let data = try open(try row.decode("sealed", as: ByteA.self).bytes, keyId: try row.decode("key_id"), question: question)
        try AuditLog.append(
            service: "feedback", actor: reader, action: "personal_data.read", subject: question.uuidString.lowercased(),
            correlationId: correlationId, detail: ["purpose": purpose], on: connection)
        return data
    }

    /// Replaces the data (R-5.3, a correction by the person), sealed under the current key.
    func correct(_ data: PersonalData, question: UUID, on connection: Connection) throws {
        let sealed = try seal(data, question: question)
        try connection.query(
            "UPDATE feedback.personal_data SET key_id = $2, sealed = $3 WHERE question_id = $1 AND sealed IS NOT NULL",
            [question, sealed.keyId, ByteA(sealed.sealed)])
    }

    /// Erases the data, keeping the row that says when and why.
    func erase(question: UUID, why: String, on connection: Connection) throws {
        try connection.query(
            "UPDATE feedback.personal_data SET sealed = NULL, key_id = NULL, deleted_at = now(), deleted_why = $2 WHERE question_id = $1 AND sealed IS NOT NULL",
            [question, why])
    }

    /// Re-seals up to `limit` rows sealed under an older key with the current one; returns how many.
    func reseal(limit: Int, on connection: Connection) throws -> Int {
        let rows = try connection.query(
            "SELECT question_id, key_id, sealed FROM feedback.personal_data WHERE sealed IS NOT NULL AND key_id <> $1 LIMIT $2 FOR UPDATE SKIP LOCKED",
            [keys[0].id, limit]
        ).rows
        for row in rows {
            let id: UUID = try row.decode("question_id")
            let data = try open(try row.decode("sealed", as: ByteA.self).bytes, keyId: try row.decode("key_id"), question: id)
            try correct(data, question: id, on: connection)
        }
        return rows.count
    }
}
