/// What one item may hold, whichever way it came in: the API, the web form, a mail, or a mail
/// held in quarantine and released by an editor (which must not make an item intake would refuse).
public enum SubmissionLimits {
    /// Files with one item (a photo story has a few dozen).
    public static let attachments = 100
    /// The body's length, in Unicode scalars: a long legal document's text fits many times over.
    public static let bodyCharacters = 1_000_000
    /// The title's length, in characters.
    public static let titleCharacters = 500
    /// Any other text field (a summary, an author's name, a legal document's summary).
    public static let fieldCharacters = 5_000
    /// The files' bytes together, unless an operator sets intake's own limit.
    public static let attachmentBytes = 25 * 1024 * 1024
}
