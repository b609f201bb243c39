import Models
import Testing

@Suite("Text that reads as it is")
struct TextSafetyTests {
    @Test("A right-to-left override or an isolate makes a file name unsafe; the plain direction marks do not")
    func directionControls() {
        #expect(!TextSafety.isSafeFileName("bao-cao\u{202E}fdp.exe"))
        #expect(!TextSafety.isSafeFileName("a\u{2067}b.pdf"))
        #expect(TextSafety.isSafeFileName("Quyết định 12\u{200F}.pdf"))
        #expect(!TextSafety.isSafeFileName("a/b") && !TextSafety.isSafeFileName("a\\b"))
        #expect(!TextSafety.isSafeFileName(""))
        #expect(!TextSafety.isSafeFileName(String(repeating: "a", count: 256)))
        #expect(TextSafety.hasDirectionControl("Báo cáo \u{202E}gnp.exe"))
        #expect(!TextSafety.hasDirectionControl("Báo cáo quý"))
    }

    @Test("R-4.8: a spreadsheet cell that would start a formula starts with an apostrophe instead")
    func spreadsheetCells() {
        #expect(TextSafety.spreadsheetText("=HYPERLINK(\"http://x\",\"y\")") == "'=HYPERLINK(\"http://x\",\"y\")")
        for first in ["+", "-", "@", "\t", "\r"] { #expect(TextSafety.spreadsheetText(first + "1") == "'" + first + "1") }
        #expect(TextSafety.spreadsheetText("Nguyễn Văn An") == "Nguyễn Văn An")
    }

    @Test("R-7.1, R-7.2: target sites are the portal or ASCII labels under it, the same rule for intake and for an editor's edit")
    func targetSites() {
        #expect(SiteDomain.targetSite(" LongAn.gov.vn ") == "longan.gov.vn")
        #expect(SiteDomain.targetSite("sotuphap.longan.gov.vn") == "sotuphap.longan.gov.vn")
        for bad in ["s\u{043E}tuphap.longan.gov.vn", "../../etc.longan.gov.vn", "a..longan.gov.vn", ".longan.gov.vn",
                    "<b>x</b>.longan.gov.vn", "evil.com", "longan.gov.vn.evil.com"] {
            #expect(SiteDomain.targetSite(bad) == nil, "\(bad)")
        }
    }
}
