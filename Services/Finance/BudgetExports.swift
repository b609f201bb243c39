import Foundation
import Models

/// The budget estimate as CSV and XLSX: each line with its drafted and appraised amounts.
enum BudgetExports {
    static func table(_ estimate: BudgetEstimates.Estimate) -> Spreadsheet.Table {
        Spreadsheet.Table(
            sheet: "Dự toán \(estimate.year)",
            headers: ["Nhóm chi (Điều 17)", "Nội dung", "Dự toán (VND)", "Ghi chú", "Thẩm định (VND)", "Ý kiến thẩm định"],
            items: estimate.lines, cells: {
                [.text($0.categoryLabel), .text($0.description), .money($0.amountVND), .text($0.note),
                 $0.appraisedAmountVND.map { .money($0) } ?? .text(""), .text($0.appraisalComment ?? "")]
            },
            totalColumn: 2)
    }

    static func csv(_ estimate: BudgetEstimates.Estimate) -> String { Spreadsheet.csv(table(estimate)) }

    static func xlsx(_ estimate: BudgetEstimates.Estimate) throws -> [UInt8] {
        var lines = [(String, Int64)]()
        for category in BudgetEstimates.categories {
            let sum = estimate.lines.filter { $0.category == category.code }.reduce(Int64(0)) { $0 + $1.amountVND }
            lines.append((category.vietnamese, sum))
        }
        let summary = Spreadsheet.Summary(
            title: "Dự toán kinh phí Cổng Thông tin điện tử năm \(estimate.year)", state: BudgetEstimates.stateLabel(estimate.state), lines: lines,
            totalLabel: "Tổng dự toán", total: estimate.totalVND,
            after: estimate.appraisedTotalVND.map { [("Tổng sau thẩm định", $0)] } ?? [])
        return try Spreadsheet.xlsx(name: "budget-\(estimate.year)", summary: summary, tables: [table(estimate)])
    }
}
