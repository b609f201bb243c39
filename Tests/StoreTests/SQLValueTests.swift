import Foundation
import Store
import Testing

@Suite("Text-format values")
struct SQLValueTests {
    @Test func byteaRoundTrips() throws {
        let value = ByteA([0x00, 0x7f, 0xff, 0x10])
        #expect(value.sqlText == "\\x007fff10")
        #expect(try ByteA(sqlText: "\\x007FFF10") == value)
        #expect(throws: StoreError.self) { try ByteA(sqlText: "007f") }
    }

    @Test func readsTimestampsInEveryPrecision() throws {
        let base = Date(timeIntervalSince1970: 1_796_026_919)  // 2026-11-30 08:21:59 UTC
        #expect(try Date(sqlText: "2026-11-30 08:21:59+00") == base)
        #expect(try Date(sqlText: "2026-11-30 08:21:59.5+00") == base.addingTimeInterval(0.5))
        #expect(try Date(sqlText: "2026-11-30 15:21:59+07") == base)
        let micro = try Date(sqlText: "2026-11-30 08:21:59.123456+00")
        #expect(abs(micro.timeIntervalSince(base) - 0.123456) < 0.000_001)
        #expect(throws: StoreError.self) { try Date(sqlText: "yesterday") }
    }

    @Test func readsBooleansAndNumbers() throws {
        #expect(try Bool(sqlText: "t"))
        #expect(try !Bool(sqlText: "f"))
        #expect(try Int(sqlText: "-42") == -42)
        #expect(throws: StoreError.self) { try Int(sqlText: "4.2") }
        #expect(Optional<Int>.none.sqlText == nil)
    }

    @Test func errorsSayWhatToRetry() {
        #expect(StoreError(.connectionLost, message: "gone").isTransient)
        #expect(StoreError(.queryFailed, message: "dup", sqlState: "23505").isUniqueViolation)
        #expect(!StoreError(.queryFailed, message: "dup", sqlState: "23505").isTransient)
    }
}
