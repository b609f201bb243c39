import ContentSafety
import Testing

// R-3.8: a page never shows a broken picture; each picture keeps its text alternative.
@Suite("The pictures of a body and the item's files")
struct BodyPicturesTests {
    let pictures = BodyPictures(files: [
        .init(name: "ban-do.png", path: "/tep/aaaa.png"),
        .init(name: "Ảnh hội nghị.JPG", path: "/tep/bbbb.jpg"),
        .init(name: "IMG_0412.heic", path: "/tep/cccc.heic"),
    ])

    @Test("A picture names a file by its name, wherever the body's folder put it, or by its published path")
    func aPictureNamesAFile() {
        #expect(HTMLSanitizer.fileName(of: "ban-do.png") == "ban-do.png")
        #expect(HTMLSanitizer.fileName(of: "./hinh/ban-do.png?v=2#top") == "ban-do.png")
        #expect(HTMLSanitizer.fileName(of: "%E1%BA%A2nh%20h%E1%BB%99i%20ngh%E1%BB%8B.JPG") == "Ảnh hội nghị.JPG")
        #expect(HTMLSanitizer.fileName(of: "/tep/aaaa.png") == nil, "a path from the site's root is no file name")
        #expect(HTMLSanitizer.fileName(of: "https://example.com/ban-do.png") == nil)
        #expect(HTMLSanitizer.fileName(of: "data:image/png;base64,AAAA") == nil)
        #expect(HTMLSanitizer.fileName(of: "hinh/") == "hinh", "the last part is all that names a file")

        #expect(pictures.file(for: "ban-do.png")?.path == "/tep/aaaa.png")
        #expect(pictures.file(for: " /tep/bbbb.jpg ")?.name == "Ảnh hội nghị.JPG")
        #expect(pictures.file(for: "ảnh hội nghị.jpg")?.path == "/tep/bbbb.jpg", "a name in other letter case")
        // The same name in decomposed form (NFD), as some systems write file names.
        #expect(pictures.file(for: "A\u{309}nh ho\u{323}\u{302}i nghi\u{323}.JPG")?.path == "/tep/bbbb.jpg")
        #expect(pictures.file(for: "so-do.png") == nil)
        #expect(pictures.file(for: "/tep/dddd.png") == nil, "another item's file")
    }

    @Test("The pictures that name no file of the item are named; another site's pictures and the item's own are not")
    func unattachedPictures() {
        let html = HTMLSanitizer.sanitize(
            #"<p><img src="ban-do.png" alt="Bản đồ"><img src="so-do.png" alt="Sơ đồ"><img src="/tep/bbbb.jpg"></p>"#
                + #"<p><img src="https://example.com/a.png" alt="Cầu"><img src="/anh/logo.png"><img src="so-do.png"></p>"#)
        #expect(pictures.unattached(in: html) == ["so-do.png", "/anh/logo.png"])
        #expect(pictures.unattached(in: "<p>Không có ảnh.</p>").isEmpty)
        #expect(BodyPictures(files: []).unattached(in: HTMLSanitizer.sanitize(#"<img src="ban-do.png" alt="x">"#)) == ["ban-do.png"])
    }

    func drawnUnlessHEIC(_ file: BodyPictures.File) -> HTMLSanitizer.PicturePlace {
        file.name.hasSuffix(".heic") ? .link(href: file.path, name: file.name) : .picture(source: file.path)
    }

    @Test("On a page: a drawn file of the item points at its published path; another file is a link; a picture naming no file is its alt text")
    func placedOnAPage() {
        let html = HTMLSanitizer.sanitize(
            #"<p>Trước <img src="ban-do.png" alt="Bản đồ khu vực" width="300"> sau.</p>"#
                + #"<p><img src="IMG_0412.heic" alt=""><img src="so-do.png" alt=" Sơ đồ tổ chức "><img src="thieu.png"></p>"#
                + #"<p><a href="/tin"><img src="so-do.png" alt="Xem tin"></a><img src="https://example.com/a.png" alt="Cầu"></p>"#)
        let page = pictures.placed(html, drawnUnlessHEIC)
        #expect(page == #"<p>Trước <img src="/tep/aaaa.png" alt="Bản đồ khu vực" width="300"> sau.</p>"#
            + #"<p><a href="/tep/cccc.heic">IMG_0412.heic</a>Sơ đồ tổ chức</p>"#
            + #"<p><a href="/tin">Xem tin</a><a href="https://example.com/a.png">Cầu</a></p>"#, "\(page)")
        #expect(!page.contains("so-do.png") && !page.contains("thieu.png"), "no picture the page does not have")
        // A body without pictures is the signed text itself, not parsed again.
        let plain = "<p>Nội dung <strong>chính</strong>.</p>"
        #expect(pictures.placed(plain) { .picture(source: $0.path) } == plain)
        // Placing twice changes nothing.
        #expect(pictures.placed(page, drawnUnlessHEIC) == page)
        // Elsewhere (the editors' console) the same file is drawn from where that place serves it.
        #expect(pictures.placed(#"<img src="ban-do.png" alt="Bản đồ">"#) { .picture(source: "/console/articles/1/attachments/" + $0.path.dropFirst(5)) }
            == #"<img src="/console/articles/1/attachments/aaaa.png" alt="Bản đồ">"#)
    }

    @Test("The pictures a body takes from other sites are named for the editors, in markdown and HTML, once each")
    func picturesFromOtherSitesAreNamed() {
        #expect(BodyRenderer.picturesFromOtherSites(
            format: "markdown", body: "![Bản đồ](https://example.com/ban-do.png) ![Logo](//cdn.example.com/l.png) ![Ảnh](anh.png) ![Bản đồ](https://example.com/ban-do.png)")
            == ["https://example.com/ban-do.png", "//cdn.example.com/l.png"])
        #expect(BodyRenderer.picturesFromOtherSites(format: "html", body: #"<p><img src="HTTP://example.com/x.jpg" alt="x"><img src="/tep/a.png"></p>"#)
            == ["HTTP://example.com/x.jpg"])
        #expect(BodyRenderer.picturesFromOtherSites(format: "text", body: "https://example.com/a.png").isEmpty)
        #expect(BodyRenderer.picturesFromOtherSites(format: "markdown", body: "Không có ảnh.").isEmpty)
    }
}
