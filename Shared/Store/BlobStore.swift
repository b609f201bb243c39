import Crypto
/// A stored blob's identity: the SHA-256 of its bytes (lower-case hex), its size and type.
public struct BlobReference: Codable, Sendable, Hashable {
    public let sha256: String
    public let size: Int
    public let contentType: String

    public init(sha256: String, size: Int, contentType: String) {
        self.sha256 = sha256
        self.size = size
        self.contentType = contentType
    }

    /// 64 lower-case hex digits.
    public static func isValidDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// Content-addressed storage for raw inputs and attachments (DESIGN.md, Data): bytes are
/// keyed by their SHA-256, the same bytes are stored once, and nothing is ever rewritten,
/// so every instance of every service on any machine reads the same bytes for a key.
public protocol BlobStore: Sendable {
    /// Stores `bytes` (once) and returns their reference.
    func put(_ bytes: [UInt8], contentType: String) async throws -> BlobReference
    /// The bytes for `sha256`, or nil when no such blob exists.
    func get(_ sha256: String) async throws -> [UInt8]?
}

/// The default backend: `core.blobs` in the portal database, shared, transactional and in the
/// same backup as the rows that refer to it. The digest is computed by PostgreSQL itself.
public struct PostgresBlobStore: BlobStore {
    let database: DatabasePool

    public init(database: DatabasePool) {
        self.database = database
    }

    /// The table; part of the `core` migrations.
    public static let migration = """
        CREATE TABLE core.blobs (
            sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
            size bigint NOT NULL CHECK (size >= 0),
            content_type text NOT NULL,
            data bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        """

    public func put(_ bytes: [UInt8], contentType: String) async throws -> BlobReference {
        try await database.withConnection { try Self.put(bytes, contentType: contentType, on: $0) }
    }

    /// Stores inside the caller's transaction, so a submission and its raw input commit together.
    public static func put(_ bytes: [UInt8], contentType: String, on connection: Connection) throws -> BlobReference {
        // One round trip in the usual cases: the row just inserted, or the row already there.
        let stored = try connection.query(
            """
            WITH incoming AS (SELECT $1::bytea AS data, encode(sha256($1::bytea), 'hex') AS digest),
            inserted AS (
                INSERT INTO core.blobs (sha256, size, content_type, data)
                SELECT digest, length(data), $2, data FROM incoming
                ON CONFLICT (sha256) DO NOTHING
                RETURNING sha256, size, content_type
            )
            SELECT sha256, size, content_type FROM inserted
            UNION ALL
            SELECT b.sha256, b.size, b.content_type FROM core.blobs b JOIN incoming i ON b.sha256 = i.digest
            WHERE NOT EXISTS (SELECT 1 FROM inserted)
            """, [ByteA(bytes), contentType]
        ).rows.first
        // A concurrent writer committed the same bytes after this statement's snapshot: the
        // conflict skipped the insert and the join could not see the row yet. Read it now.
        // The stored row keeps the type it was first stored with; the bytes are the identity.
        let row = try stored ?? connection.query(
            "SELECT sha256, size, content_type FROM core.blobs WHERE sha256 = encode(sha256($1::bytea), 'hex')", [ByteA(bytes)]
        ).one()
        return BlobReference(sha256: try row.decode("sha256"), size: try row.decode("size"), contentType: try row.decode("content_type"))
    }

    /// Stores `bytes` unless they are there already, as part of the open transaction's next
    /// round trip (`Connection.send`): the digest is computed here, so nothing waits for an
    /// answer. The reference carries `contentType` as given; a row already stored keeps the
    /// type it was first stored with, and the bytes are the identity.
    public static func send(_ bytes: [UInt8], contentType: String, on connection: Connection) throws -> BlobReference {
        let digest = SHA256.hash(data: bytes).hexString
        try connection.send(
            """
            INSERT INTO core.blobs (sha256, size, content_type, data) VALUES ($1, $2, $3, $4)
            ON CONFLICT (sha256) DO NOTHING
            """, [digest, bytes.count, contentType, ByteA(bytes)])
        return BlobReference(sha256: digest, size: bytes.count, contentType: contentType)
    }

    public func get(_ sha256: String) async throws -> [UInt8]? {
        guard BlobReference.isValidDigest(sha256) else { return nil }
        return try await database.withConnection { connection in
            try connection.query("SELECT data FROM core.blobs WHERE sha256 = $1", [sha256]).rows.first
                .map { try $0.decode("data", as: ByteA.self).bytes }
        }
    }
}

extension SHA256.Digest {
    /// Lower-case hex, the form blob keys and request fingerprints are stored in.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}
