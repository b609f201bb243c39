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
        func field(_ value: String) -> String {
            // An author's name or a title that starts as a formula stays text in a spreadsheet.
            let text = TextSafety.spreadsheetText(value)
            return text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
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

    /// A sheet whose rows come from a source that is read once (a month's ledger from the
    /// database), written as they come, before the other sheets are known.
    struct Streamed {
        var sheet: String
        var headers: [String]
        var totalColumn: Int?
    }

    typealias Emit = ([Table.Cell]) -> Void

    /// `counts`: the summary's numbers are counts, not amounts in VND.
    static func xlsx(name: String, summary: Summary, tables: [Table], counts: Bool = false) throws -> [UInt8] {
        try xlsx(name: name, sheets: tables.map(\.sheet), streamed: nil, counts: counts, produce: { _ in }) { (summary, tables) }
    }

    /// The summary sheet, the sheets named in `sheets`, then `streamed`. The streamed sheet is
    /// written first; `then` gives the summary and the named sheets' tables afterwards, so that
    /// they can be what the stream added up.
    static func xlsx(
        name: String, sheets: [String], streamed: Streamed?, counts: Bool = false, produce: (_ emit: @escaping Emit) throws -> Void,
        then: () throws -> (Summary, [Table])
    ) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "\(name)-\(UUID().uuidString.prefix(8)).xlsx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = lxw_workbook_options()
        // Rows go to disk as they are written: a month of 50,000 items stays small in memory.
        options.constant_memory = UInt8(LXW_TRUE.rawValue)
        guard let workbook = workbook_new_opt(path, &options) else { throw WriteFailure(description: "libxlsxwriter could not create \(path)") }
        let formats = Formats(workbook)
        // Sheets appear in the order they are made; they are written in any order, each row after row.
        let first = workbook_add_worksheet(workbook, "Tổng hợp")
        let named = sheets.map { workbook_add_worksheet(workbook, $0) }
        if let streamed, let sheet = workbook_add_worksheet(workbook, streamed.sheet) {
            try write(sheet, headers: streamed.headers, totalColumn: streamed.totalColumn, formats: formats, rows: produce)
        }
        let (summary, tables) = try then()
        writeSummary(first, summary, formats: formats, counts: counts)
        for (sheet, table) in zip(named, tables) {
            guard let sheet else { continue }
            try write(sheet, headers: table.headers, totalColumn: table.totalColumn, formats: formats) { emit in
                for index in 0..<table.count { emit(table.row(index)) }
            }
        }
        let result = workbook_close(workbook)
        guard result == LXW_NO_ERROR else {
            throw WriteFailure(description: "libxlsxwriter: \(String(cString: lxw_strerror(result)))")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw WriteFailure(description: "the workbook was not written") }
        return [UInt8](data)
    }

    /// The cell formats of one workbook.
    struct Formats {
        let bold, money, moneyBold, date, decimal, count: UnsafeMutablePointer<lxw_format>?

        init(_ workbook: UnsafeMutablePointer<lxw_workbook>) {
            bold = workbook_add_format(workbook)
            format_set_bold(bold)
            money = workbook_add_format(workbook)
            format_set_num_format(money, "#,##0 \"₫\"")
            moneyBold = workbook_add_format(workbook)
            format_set_num_format(moneyBold, "#,##0 \"₫\"")
            format_set_bold(moneyBold)
            date = workbook_add_format(workbook)
            format_set_num_format(date, "dd/mm/yyyy")
            decimal = workbook_add_format(workbook)
            format_set_num_format(decimal, "0.00")
            count = workbook_add_format(workbook)
            format_set_num_format(count, "#,##0")
        }
    }

    static func writeSummary(_ first: UnsafeMutablePointer<lxw_worksheet>?, _ summary: Summary, formats: Formats, counts: Bool) {
        let lineFormat = counts ? formats.count : formats.money
        worksheet_set_column(first, 0, 0, 48, nil)
        worksheet_set_column(first, 1, 1, 20, nil)
        worksheet_write_string(first, 0, 0, summary.title, formats.bold)
        worksheet_write_string(first, 1, 0, "Trạng thái", nil)
        worksheet_write_string(first, 1, 1, summary.state, nil)
        for (index, line) in summary.lines.enumerated() {
            worksheet_write_string(first, lxw_row_t(3 + index), 0, line.0, nil)
            worksheet_write_number(first, lxw_row_t(3 + index), 1, Double(line.1), lineFormat)
        }
        var next = lxw_row_t(3 + summary.lines.count)
        if let label = summary.totalLabel {
            worksheet_write_string(first, next, 0, label, formats.bold)
            worksheet_write_formula_num(first, next, 1, "=SUM(B4:B\(3 + summary.lines.count))", formats.moneyBold, Double(summary.total))
            next += 1
        }
        for (index, line) in summary.after.enumerated() {
            worksheet_write_string(first, next + lxw_row_t(index), 0, line.0, nil)
            worksheet_write_number(first, next + lxw_row_t(index), 1, Double(line.1), lineFormat)
        }
    }

    /// A header row (frozen), the rows as `rows` emits them, and the total of `totalColumn` as a formula.
    static func write(
        _ sheet: UnsafeMutablePointer<lxw_worksheet>, headers: [String], totalColumn: Int?, formats: Formats,
        rows: (_ emit: @escaping Emit) throws -> Void
    ) throws {
        worksheet_freeze_panes(sheet, 1, 0)
        for (column, header) in headers.enumerated() {
            worksheet_write_string(sheet, 0, lxw_col_t(column), header, formats.bold)
            worksheet_set_column(sheet, lxw_col_t(column), lxw_col_t(column), column == 0 || header.hasPrefix("Tin bài") ? 36 : 16, nil)
        }
        var total: Int64 = 0
        var count = 0
        try rows { cells in
            count += 1
            let r = lxw_row_t(count)
            for (column, cell) in cells.enumerated() {
                let c = lxw_col_t(column)
                switch cell {
                case .text(let text): worksheet_write_string(sheet, r, c, text, nil)
                case .number(let value): worksheet_write_number(sheet, r, c, value, value == value.rounded() ? nil : formats.decimal)
                case .money(let amount):
                    worksheet_write_number(sheet, r, c, Double(amount), formats.money)
                    if column == totalColumn { total += amount }
                case .date(let day):
                    var value = lxw_datetime(year: Int32(day.year), month: Int32(day.month), day: Int32(day.day), hour: 0, min: 0, sec: 0)
                    worksheet_write_datetime(sheet, r, c, &value, formats.date)
                }
            }
        }
        if let column = totalColumn {
            let r = lxw_row_t(count + 1)
            worksheet_write_string(sheet, r, 0, "Tổng cộng", formats.bold)
            let letter = String(UnicodeScalar(UInt8(65 + column)))
            let formula = count == 0 ? "=0" : "=SUM(\(letter)2:\(letter)\(count + 1))"
            worksheet_write_formula_num(sheet, r, lxw_col_t(column), formula, formats.moneyBold, Double(total))
        }
    }
}
