import Models
import Testing

@Suite("Component-site domains against Art. 3 (R-7)")
struct SiteComplianceTests {
    func codes(_ domain: String, kind: String = "department", label: String? = nil, parentKind: String? = "province",
               parentLabel: String? = nil, inForce: Bool = true, status: String = "active") -> [String] {
        SiteCompliance.problems(
            domain: domain, status: status,
            unit: .init(kind: kind, label: label, parentKind: parentKind, parentLabel: parentLabel, inForce: inForce)).map(\.code)
    }

    @Test("R-7.1: a department, and a commune under the province after R-7.3, have one label under the portal")
    func compliant() {
        #expect(codes("sotuphap.longan.gov.vn", label: "sotuphap").isEmpty)
        #expect(codes("hungdien.longan.gov.vn", kind: "commune", label: "hungdien").isEmpty)
        #expect(codes("longan.gov.vn").isEmpty, "the portal itself")
    }

    @Test("R-7.1: a commune under a district has <commune>.<district>.longan.gov.vn")
    func communeUnderDistrict() {
        #expect(codes("tanbuu.benluc.longan.gov.vn", kind: "commune", label: "tanbuu", parentKind: "district", parentLabel: "benluc").isEmpty)
        #expect(codes("tanbuu.longan.gov.vn", kind: "commune", parentKind: "district", parentLabel: "benluc") == ["wrong_level"])
        #expect(codes("tanbuu.canduoc.longan.gov.vn", kind: "commune", parentKind: "district", parentLabel: "benluc") == ["wrong_parent"])
        #expect(codes("a.b.longan.gov.vn", kind: "department") == ["wrong_level"])
    }

    @Test("R-7.2: labels are 1-63 characters of a-z and 0-9, and the unit's own")
    func labels() {
        #expect(codes("sở-tư-pháp.longan.gov.vn").contains("invalid_label"))
        #expect(codes("SoTuPhap.longan.gov.vn").contains("invalid_label"))
        #expect(codes(String(repeating: "a", count: 64) + ".longan.gov.vn").contains("invalid_label"))
        #expect(codes(String(repeating: "a", count: 63) + ".longan.gov.vn").isEmpty)
        #expect(codes("stp.longan.gov.vn", label: "sotuphap") == ["label_mismatch"])
        #expect(codes("sotuphap.example.vn") == ["outside_portal_domain"])
    }

    @Test("R-7.3: a site whose unit ended must redirect")
    func ended() {
        #expect(codes("chauthanh.longan.gov.vn", kind: "district", label: "chauthanh", inForce: false) == ["unit_not_in_force"])
        #expect(codes("chauthanh.longan.gov.vn", kind: "district", label: "chauthanh", inForce: false, status: "redirect").isEmpty)
    }

    @Test("R-3.5: a legal document's form is read from its number when not given")
    func legalForm() {
        func form(_ number: String, _ given: String? = nil) -> String {
            LegalDocumentDetails(number: number, issuer: "UBND tỉnh", issueDate: LocalDate(year: 2026, month: 11, day: 20)!,
                                 effectiveDate: LocalDate(year: 2026, month: 12, day: 1)!, summary: "…", form: given).formName
        }
        #expect(form("12/2026/QĐ-UBND") == "Quyết định")
        #expect(form("05/2026/NQ-HĐND") == "Nghị quyết")
        #expect(form("1234/UBND-KT") == "Văn bản", "a letter without a form code")
        #expect(form("12/2026/QĐ-UBND", "Quyết định quy phạm pháp luật") == "Quyết định quy phạm pháp luật")
    }
}
