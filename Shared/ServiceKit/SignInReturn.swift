import Foundation
import Hummingbird

/// Where a person goes after signing in: back to the page of the area they asked for (a link in a
/// deadline email, a bookmark), never anywhere else. The page travels as `next`, a path of the
/// area itself, checked both when it is put in the sign-in form and when it is followed.
public enum SignInReturn {
    /// The sign-in form's address for a person who asked for `request` without a session: with
    /// the page as `next` when it is a page (a GET); a form posted without a session has no page
    /// to come back to that would not send it again.
    public static func loginLocation(_ loginPath: String, pages: [String], for request: Request) -> String {
        // The area's first page is where a sign-in leads anyway: its address stays plain.
        guard request.method == .get, let next = page(request.uri.description, within: pages), next != pages.first,
              let encoded = next.addingPercentEncoding(withAllowedCharacters: queryValue) else { return loginPath }
        return loginPath + "?next=" + encoded
    }

    static let queryValue: CharacterSet = {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return allowed
    }()

    /// `value` when it is a page of the area (`/console`, `/console/articles/…?lang=en`): a path
    /// that starts with the area's own, with no scheme, host, `//`, backslash, `..` or control
    /// character that a browser could read as another site or another page; nil otherwise.
    public static func page(_ value: String?, within pages: [String]) -> String? {
        guard let value, value.count <= 2_000,
              pages.contains(where: { value == $0 || value.hasPrefix($0 + "/") || value.hasPrefix($0 + "?") }),
              !value.contains("//"), !value.contains("\\"), !value.contains("/.."), !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return nil }
        // The sign-in form itself is no page to come back to.
        guard !pages.contains(where: { value.hasPrefix($0 + "/login") }) else { return nil }
        return value
    }

    /// `next` of a sign-in form's address, for the form to carry.
    public static func next(_ request: Request, within pages: [String]) -> String {
        page(request.uri.queryParameters.get("next").map { String($0) }, within: pages) ?? ""
    }
}
