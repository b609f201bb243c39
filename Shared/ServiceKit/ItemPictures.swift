import ContentSafety
import Models

extension BodyPictures {
    /// The pictures of an item's body against the item's files, as the sites publish them.
    public init(attachments: [AttachmentRef]) {
        self.init(files: attachments.map { File(name: $0.filename, path: $0.publishedPath) })
    }
}
