import Foundation
import Models

/// The report for finance staff: CSV (one view at a time) and XLSX (one sheet per view, typed
/// number and date cells, amounts in VND format, totals as formulas, frozen header), made with
/// libxlsxwriter.
enum ReportExports {
    static let views = ["authors", "units", "unit-paid", "adjustments", "remuneration", "entries"]

    static func tables(_ report: RoyaltyReport) -> [String: Spreadsheet.Table] {
        return [
            "authors": Spreadsheet.Table(
                sheet: "Tác giả", headers: ["Họ và tên", "Đơn vị", "Số tin bài", "Tổng hệ số", "Nhuận bút (VND)"],
                items: report.authors, cells: { [.text($0.name), .text($0.unitName), .number(Double($0.items)), .number(Double($0.coefficients) ?? 0), .money($0.amountVND)] },
                totalColumn: 4),
            "units": Spreadsheet.Table(
                sheet: "Đơn vị", headers: ["Mã đơn vị", "Đơn vị", "Số tin bài", "Nhuận bút (VND)"],
                items: report.units, cells: { [.text($0.unitCode), .text($0.unitName), .number(Double($0.items)), .money($0.amountVND)] }, totalColumn: 3),
            "unit-paid": Spreadsheet.Table(
                sheet: "Đơn vị tự chi trả", headers: ["Đơn vị chi trả", "Tin bài", "Tác giả", "Ngày đăng", "Nhuận bút (VND)"],
                items: report.unitPaid, cells: { [.text($0.unitName), .text($0.title), .text($0.payeeName), .date($0.publishedOn), .money($0.amountVND)] },
                totalColumn: 4),
            "adjustments": Spreadsheet.Table(
                sheet: "Điều chỉnh", headers: ["Tin bài", "Người nhận", "Lý do", "Ngày đăng", "Bên chi trả", "Số tiền (VND)"],
                items: report.adjustments, cells: {
                    [.text($0.title), .text($0.payeeName), .text($0.reason), .date($0.publishedOn), .text($0.payer == "portal" ? "Cổng TTĐT" : $0.unitName),
                     .money($0.amountVND)]
                }, totalColumn: 5),
            "remuneration": Spreadsheet.Table(
                sheet: "Thù lao", headers: ["Họ và tên", "Công việc", "Số tin bài", "Thù lao (VND)"],
                items: report.remuneration, cells: { [.text($0.name), .text(roles[$0.role] ?? $0.role), .number(Double($0.items)), .money($0.amountVND)] },
                totalColumn: 3),
            "entries": Spreadsheet.Table(sheet: "Chi tiết", headers: entryHeaders, items: report.entries, cells: entryCells, totalColumn: 11),
        ]
    }

    static func csv(_ report: RoyaltyReport, view: String) -> String {
        tables(report)[view].map(Spreadsheet.csv) ?? ""
    }

    static let roles = ["author": "Tác giả", "reviewer": "Duyệt tin bài", "editor": "Biên tập"]
    static let kinds = ["royalty": "Nhuận bút", "remuneration": "Thù lao", "adjustment": "Điều chỉnh"]

    static let entryHeaders = ["Loại", "Người nhận", "Vai trò", "Đơn vị", "Bên chi trả", "Tin bài", "Thể loại", "Hệ số", "Tỷ lệ (%)",
                               "Lương cơ sở (VND)", "Ngày đăng", "Số tiền (VND)"]

    static func entryCells(_ entry: RoyaltyReport.Entry) -> [Spreadsheet.Table.Cell] {
        [.text(kinds[entry.kind] ?? entry.kind), .text(entry.payeeName), .text(roles[entry.role] ?? entry.role), .text(entry.unitName),
         .text(entry.payer == "portal" ? "Cổng TTĐT" : entry.unitName), .text(entry.title), .text(entry.genreName ?? entry.genre ?? ""),
         entry.coefficientHundredths.map { .number(Double($0) / 100) } ?? .text(""),
         entry.shareBasisPoints.map { .number(Double($0) / 100) } ?? .text(""),
         entry.baseSalaryVND.map { .money($0) } ?? .text(""), .date(entry.publishedOn), .money(entry.amountVND)]
    }

    static func summary(_ report: RoyaltyReport) -> Spreadsheet.Summary {
        Spreadsheet.Summary(
            title: "Báo cáo nhuận bút, thù lao tháng \(report.month.vietnamese)", state: FinancePages.stateLabel(report.state),
            lines: [("Nhuận bút do Cổng TTĐT chi trả", report.totals.royaltiesVND),
                    ("Thù lao biên tập, duyệt tin bài", report.totals.remunerationVND),
                    ("Điều chỉnh (Cổng TTĐT)", report.totals.adjustmentsVND)],
            totalLabel: "Tổng Cổng TTĐT chi trả", total: report.totals.portalVND,
            after: [("Các đơn vị tự chi trả (Điều 13 khoản 1 điểm b)", report.totals.unitPaidVND)])
    }

    /// The month's report as an XLSX workbook: a summary sheet first, one sheet per view, and the
    /// detail last. `rows` gives the month's ledger rows once, in reading order; they go into the
    /// detail sheet as they come while the totals are added up, so the month is never held.
    static func xlsx(month: YearMonth, state: String, rows: ((RoyaltyReport.Entry) throws -> Void) throws -> Void) throws -> [UInt8] {
        var accumulator = RoyaltyReport.Accumulator(state: state, today: LocalDate.today)
        let streamed = Spreadsheet.Streamed(sheet: "Chi tiết", headers: entryHeaders, totalColumn: 11)
        let summaryViews = views.filter { $0 != "entries" }
        let empty = tables(RoyaltyReport.Accumulator(state: state, today: LocalDate.today).report(month: month))
        return try Spreadsheet.xlsx(
            name: "royalties-\(month)", sheets: summaryViews.compactMap { empty[$0]?.sheet }, streamed: streamed,
            produce: { emit in
                try rows { entry in
                    accumulator.add(entry)
                    emit(entryCells(entry))
                }
            }
        ) {
            let report = accumulator.report(month: month)
            let tables = tables(report)
            return (summary(report), summaryViews.compactMap { tables[$0] })
        }
    }
}
