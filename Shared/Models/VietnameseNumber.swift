/// Numbers as Vietnamese write them: a dot between thousands, a comma before decimals
/// (1.505.350 ₫; 8,5), with no trailing zeros after the comma.
public enum VietnameseNumber {
    /// "1.505.350"
    public static func grouped(_ value: some BinaryInteger) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped += "." }
            grouped.append(character)
        }
        return (value < 0 ? "−" : "") + grouped
    }

    /// "1.505.350 ₫"
    public static func vnd(_ amount: some BinaryInteger) -> String { grouped(amount) + " ₫" }

    /// "8,5" for 850 hundredths; "8" for 800.
    public static func hundredths(_ value: Int) -> String {
        decimal(Double(value) / 100, fractionDigits: 2)
    }

    /// "2,5"; at most `fractionDigits` decimals, trailing zeros dropped.
    public static func decimal(_ value: Double, fractionDigits: Int) -> String {
        guard value.isFinite, fractionDigits >= 0 else { return "—" }
        var scale = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        let scaled = Int((abs(value) * Double(scale)).rounded())
        var whole = grouped(scaled / scale), fraction = fractionDigits > 0 ? String(scaled % scale) : ""
        fraction = String(repeating: "0", count: max(0, fractionDigits - fraction.count)) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        if value < 0, scaled > 0 { whole = "−" + whole }
        return fraction.isEmpty ? whole : whole + "," + fraction
    }

    /// "1,2 MB", "350 KB": a file's size as people read it.
    public static func fileSize(_ bytes: Int) -> String {
        bytes >= 1_048_576 ? decimal(Double(bytes) / 1_048_576, fractionDigits: 1) + " MB" : grouped(max(1, (bytes + 1023) / 1024)) + " KB"
    }
}
