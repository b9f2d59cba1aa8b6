import Foundation
import KefuCore
import Testing

@Suite("Strict JSON and RFC 3339")
struct StrictJSONTests {
    @Test("RFC 8259 documents pass", arguments: [
        #"{}"#, #"[]"#, #"{"a": [1, -2.5e+3, 0, 0.0, true, false, null, "x\u00e9\n\"\\/"]}"#, #" "双十一" "#, "1", "\n\t{ \"k\" : {} }\r\n",
        #"["\ud83d\ude00", "\uD83D\uDE00x", "\uffff\u0001"]"#,
    ])
    func accepts(_ text: String) throws {
        try StrictJSON.check(Array(text.utf8))
    }

    @Test("near-misses Foundation would take are refused, saying where", arguments: [
        (#"{"name": "x",}"#, 1, 14, "trailing comma"),
        (#"[1, 2,]"#, 1, 7, "trailing comma"),
        ("{\n  \"a\": 01}", 2, 9, "leading zeros"),
        (#"{'a': 1}"#, 1, 2, "quoted member name"),
        (#"{"a": 1} x"#, 1, 10, "after the end"),
        (#"{"a": NaN}"#, 1, 7, "expected a value"),
        ("{\"a\": \"tab\there\"}", 1, 11, "control character"),
        (#"{"a": "\x"}"#, 1, 9, "not a JSON escape"),
        (#"{"a": 1"#, 1, 8, "ends inside an object"),
        ("", 1, 1, "empty"),
        (#"{"a" 1}"#, 1, 6, "':'"),
        // Lone UTF-16 surrogates (scripts/fuzz found StrictJSON passing them to a Foundation that refuses them).
        (#"{"a": "-\ude00"}"#, 1, 15, "second half of a surrogate pair"),
        (#"{"a": "\ud83d"}"#, 1, 14, "first half of a surrogate pair"),
        (#"{"a": "\ud83dx"}"#, 1, 14, "first half of a surrogate pair"),
        (#"{"a": "\ud83d\u0041"}"#, 1, 20, "cannot follow it"),
        // NUL: JSON allows it, PostgreSQL's text cannot hold it (schemathesis found a 503).
        (#"{"a": "\u0000"}"#, 1, 14, "NUL"),
        (#"{"openids": ["x", "\u0000y"]}"#, 1, 26, "NUL"),
        // A number past a Double's range (found by scripts/fuzz, like the surrogates).
        (#"{"delay_seconds": 99e992}"#, 1, 19, "out of range"),
        (#"[-1e309]"#, 1, 2, "out of range"),
    ])
    func refuses(_ text: String, line: Int, column: Int, reason: String) {
        #expect(throws: StrictJSON.Failure.self) { try StrictJSON.check(Array(text.utf8)) }
        do {
            try StrictJSON.check(Array(text.utf8))
        } catch {
            #expect(error.line == line, "\(text)")
            #expect(error.column == column, "\(text): \(error)")
            #expect(error.description.contains(reason), "\(text): \(error)")
        }
    }

    @Test("hostile input: deep nesting and invalid UTF-8 are refused without recursion trouble")
    func hostile() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: StrictJSON.Failure.self) { try StrictJSON.check(Array(deep.utf8)) }
        let nested = String(repeating: "[", count: StrictJSON.maxDepth) + String(repeating: "]", count: StrictJSON.maxDepth)
        #expect(throws: Never.self) { try StrictJSON.check(Array(nested.utf8)) }
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE4, 0xB8]] {
            #expect(throws: StrictJSON.Failure.self) { try StrictJSON.check(bytes) }
        }
    }

    @Test("RFC 3339 keeps milliseconds exactly, both ways")
    func millis() {
        #expect(RFC3339.parse("2026-12-01T10:00:00.001Z") == 1_796_119_200_001)
        #expect(RFC3339.format(millis: 1_796_119_200_001) == "2026-12-01T10:00:00.001Z")
        #expect(RFC3339.parse("2026-12-01T10:00:00.001999Z") == 1_796_119_200_001, "finer than a millisecond is truncated")
        #expect(RFC3339.parse("2026-12-01T18:00:00.5+08:00") == 1_796_119_200_500)
        #expect(RFC3339.parse("1970-01-01T00:00:00Z") == 0)
        #expect(RFC3339.format(millis: -1) == "1969-12-31T23:59:59.999Z")
        #expect(RFC3339.format(millis: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
        for millis in stride(from: Int64(0), to: 4_102_444_800_000, by: 86_400_000 * 37 + 1_234) {
            #expect(RFC3339.parse(RFC3339.format(millis: millis)) == millis)
        }
    }

    @Test("RFC 3339: anything else is refused", arguments: [
        "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-01 10:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T10:00:00",
        "2026-12-01T10:00:00.Z", "1796112194", "2026-12-01T10:00:00Z ", "2026-12-01T10:00:00+8:00", "",
    ])
    func refusesTimes(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}
