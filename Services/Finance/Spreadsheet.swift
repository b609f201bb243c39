import CXlsxWriter
import Foundation
import Models

/// Spreadsheets for finance staff, as libxlsxwriter writes them: typed number and date cells,
/// amounts in VND format, totals as formulas (with their values, for readers that do not
/// recalculate), a frozen header row on every sheet; and the same tables as CSV.
enum Spreadsheet {
    struct Table {
        enum Cell {
            case text(String)
            case number(Double)
            case money(Int64)
            case date(LocalDate)
        }

        var sheet: String
        var headers: [String]
        var count: Int
        /// Each row made when it is written, so that a month of 50,000 items is never held twice.
        var row: (Int) -> [Cell]
        /// The column whose total closes the sheet.
        var totalColumn: Int?

        init<Item>(sheet: String, headers: [String], items: [Item], cells: @escaping (Item) -> [Cell], totalColumn: Int?) {
            self.sheet = sheet
            self.headers = headers
            count = items.count
            row = { cells(items[$0]) }
            self.totalColumn = totalColumn
        }
    }

    /// The first sheet: a few amounts and their total as a formula.
    struct Summary {
        var title: String
        var state: String
        var lines: [(String, Int64)]
        /// A total of the lines, as a formula; none when the lines do not add up to anything.
        var totalLabel: String?
        var total: Int64
        var after: [(String, Int64)]
    }

    struct WriteFailure: Error, CustomStringConvertible {
        var description: String
    }

    static func csv(_ table: Table) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var lines = [table.headers.map(field).joined(separator: ",")]
        for index in 0..<table.count {
            lines.append(table.row(index).map { cell -> String in
                switch cell {
                case .text(let text): field(text)
                case .number(let value): value == value.rounded() ? String(Int64(value)) : String(format: "%.2f", value)
                case .money(let amount): String(amount)
                case .date(let day): day.description
                }
            }.joined(separator: ","))
        }
        // Excel and LibreOffice read UTF-8 with a byte order mark as UTF-8.
        return "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n"
    }

    /// `counts`: the summary's numbers are counts, not amounts in VND.
    static func xlsx(name: String, summary: Summary, tables: [Table], counts: Bool = false) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "\(name)-\(UUID().uuidString.prefix(8)).xlsx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = lxw_workbook_options()
        // Rows go to disk as they are written: a month of 50,000 items stays small in memory.
        options.constant_memory = UInt8(LXW_TRUE.rawValue)
        guard let workbook = workbook_new_opt(path, &options) else { throw WriteFailure(description: "libxlsxwriter could not create \(path)") }
        let bold = workbook_add_format(workbook)
        format_set_bold(bold)
        let money = workbook_add_format(workbook)
        format_set_num_format(money, "#,##0 \"₫\"")
        let moneyBold = workbook_add_format(workbook)
        format_set_num_format(moneyBold, "#,##0 \"₫\"")
        format_set_bold(moneyBold)
        let date = workbook_add_format(workbook)
        format_set_num_format(date, "dd/mm/yyyy")
        let decimal = workbook_add_format(workbook)
        format_set_num_format(decimal, "0.00")
        let count = workbook_add_format(workbook)
        format_set_num_format(count, "#,##0")
        let lineFormat = counts ? count : money

        let first = workbook_add_worksheet(workbook, "Tổng hợp")
        worksheet_set_column(first, 0, 0, 48, nil)
        worksheet_set_column(first, 1, 1, 20, nil)
        worksheet_write_string(first, 0, 0, summary.title, bold)
        worksheet_write_string(first, 1, 0, "Trạng thái", nil)
        worksheet_write_string(first, 1, 1, summary.state, nil)
        for (index, line) in summary.lines.enumerated() {
            worksheet_write_string(first, lxw_row_t(3 + index), 0, line.0, nil)
            worksheet_write_number(first, lxw_row_t(3 + index), 1, Double(line.1), lineFormat)
        }
        var next = lxw_row_t(3 + summary.lines.count)
        if let label = summary.totalLabel {
            worksheet_write_string(first, next, 0, label, bold)
            worksheet_write_formula_num(first, next, 1, "=SUM(B4:B\(3 + summary.lines.count))", moneyBold, Double(summary.total))
            next += 1
        }
        for (index, line) in summary.after.enumerated() {
            worksheet_write_string(first, next + lxw_row_t(index), 0, line.0, nil)
            worksheet_write_number(first, next + lxw_row_t(index), 1, Double(line.1), lineFormat)
        }

        for table in tables {
            guard let sheet = workbook_add_worksheet(workbook, table.sheet) else { continue }
            worksheet_freeze_panes(sheet, 1, 0)
            for (column, header) in table.headers.enumerated() {
                worksheet_write_string(sheet, 0, lxw_col_t(column), header, bold)
                worksheet_set_column(sheet, lxw_col_t(column), lxw_col_t(column), column == 0 || header.hasPrefix("Tin bài") ? 36 : 16, nil)
            }
            var total: Int64 = 0
            for index in 0..<table.count {
                let r = lxw_row_t(index + 1)
                for (column, cell) in table.row(index).enumerated() {
                    let c = lxw_col_t(column)
                    switch cell {
                    case .text(let text): worksheet_write_string(sheet, r, c, text, nil)
                    case .number(let value): worksheet_write_number(sheet, r, c, value, value == value.rounded() ? nil : decimal)
                    case .money(let amount):
                        worksheet_write_number(sheet, r, c, Double(amount), money)
                        if column == table.totalColumn { total += amount }
                    case .date(let day):
                        var value = lxw_datetime(year: Int32(day.year), month: Int32(day.month), day: Int32(day.day), hour: 0, min: 0, sec: 0)
                        worksheet_write_datetime(sheet, r, c, &value, date)
                    }
                }
            }
            if let column = table.totalColumn {
                let r = lxw_row_t(table.count + 1)
                worksheet_write_string(sheet, r, 0, "Tổng cộng", bold)
                let letter = String(UnicodeScalar(UInt8(65 + column)))
                let formula = table.count == 0 ? "=0" : "=SUM(\(letter)2:\(letter)\(table.count + 1))"
                worksheet_write_formula_num(sheet, r, lxw_col_t(column), formula, moneyBold, Double(total))
            }
        }
        let result = workbook_close(workbook)
        guard result == LXW_NO_ERROR else {
            throw WriteFailure(description: "libxlsxwriter: \(String(cString: lxw_strerror(result)))")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw WriteFailure(description: "the workbook was not written") }
        return [UInt8](data)
    }
}
