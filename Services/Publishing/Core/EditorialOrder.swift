import Foundation
import Store

/// Applies an item's editorial events in their order, whatever order they arrive in.
///
/// Approval numbers every `article.*` event of an item (its editorial sequence). An approval
/// delayed by a retry, relayed twice, or replayed from the dead letters can reach publishing
/// after a takedown or after a newer revision's approval; applied as it comes, it would bring
/// the page back or put an older text in place of the newer. So publishing keeps, per item, the
/// newest event it applied, and applies an event only if it is newer: by sequence, then
/// revision, then a takedown after the approval of the same revision (which orders events of
/// before the sequence existed, whose sequence is 0). A taken-down item comes back only by an
/// approval made after the takedown, which has a higher sequence.
enum EditorialOrder {
    enum Step: Int {
        case approval = 0
        case takedown = 1
    }

    /// Records the event as the item's newest and returns true, or returns false (and changes
    /// nothing) when the item has already had this event or a newer one. Runs in the handler's
    /// transaction: if the handler fails, the record goes with it.
    static func claim(_ article: UUID, sequence: Int64, revision: Int, step: Step, on connection: Connection) throws -> Bool {
        let claim = statement(article, sequence: sequence, revision: revision, step: step)
        return try connection.query(claim.sql, claim.parameters).rows.count == 1
    }

    /// The claim as a statement, for a batch that sends several at once: it returns a row when
    /// the event is the item's newest, and none when it is not.
    static func statement(_ article: UUID, sequence: Int64, revision: Int, step: Step) -> (sql: String, parameters: [any SQLParameter]) {
        (claimSQL, [article, sequence, revision, step.rawValue])
    }

    private static let claimSQL = """
        INSERT INTO publishing.editorial_order (article_id, sequence, revision, step) VALUES ($1, $2, $3, $4)
        ON CONFLICT (article_id) DO UPDATE
            SET sequence = EXCLUDED.sequence, revision = EXCLUDED.revision, step = EXCLUDED.step, applied_at = now()
            WHERE (publishing.editorial_order.sequence, publishing.editorial_order.revision, publishing.editorial_order.step)
                < (EXCLUDED.sequence, EXCLUDED.revision, EXCLUDED.step)
        RETURNING article_id
        """
}
