/// A strict RFC 8259 syntax check for request bodies, run before Foundation parses them.
///
/// Foundation's `JSONSerialization` and `JSONDecoder` on Linux accept more than JSON (a trailing
/// comma in an object or array, for one), so a body a client got subtly wrong would be taken as
/// meant. This check accepts exactly RFC 8259's grammar, limits nesting (hostile bodies of
/// `[[[[…` cannot exhaust the stack later), refuses `\u0000` in strings (JSON allows it, no
/// stored text can hold it), and says where the body stops being JSON. No package
/// in the project's set offers a strict validator that reports a position, hence this one.
public enum StrictJSON {
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// Byte offset (0-based) where the body stops being JSON.
        public var offset: Int
        public var line: Int
        public var column: Int
        /// What was expected or what was wrong there.
        public var reason: String
        public var description: String { "at line \(line), column \(column) (byte \(offset)): \(reason)" }
    }

    public static let maxDepth = 64

    public static func check(_ bytes: some Collection<UInt8>) throws(Failure) {
        var parser = Parser(bytes: Array(bytes))
        try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var depth = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() throws(Failure) {
            skipSpace()
            guard index < bytes.count else { throw fail("the body is empty; expected a JSON value") }
            try value()
            skipSpace()
            guard index == bytes.count else { throw fail("unexpected \(describe(bytes[index])) after the end of the JSON value") }
        }

        mutating func value() throws(Failure) {
            guard index < bytes.count else { throw fail("the body ends where a value was expected") }
            switch bytes[index] {
            case UInt8(ascii: "{"): try object()
            case UInt8(ascii: "["): try array()
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw fail("expected a value, found \(describe(bytes[index]))")
            }
        }

        mutating func object() throws(Failure) {
            try enter()
            index += 1
            skipSpace()
            if peek(UInt8(ascii: "}")) { index += 1; depth -= 1; return }
            while true {
                skipSpace()
                guard peek(UInt8(ascii: "\"")) else {
                    if peek(UInt8(ascii: "}")) { throw fail("a trailing comma before '}' is not allowed in JSON") }
                    throw fail(index < bytes.count ? "expected a quoted member name, found \(describe(bytes[index]))" : "the body ends inside an object")
                }
                try string()
                skipSpace()
                guard peek(UInt8(ascii: ":")) else { throw fail("expected ':' after the member name") }
                index += 1
                skipSpace()
                try value()
                skipSpace()
                if peek(UInt8(ascii: ",")) { index += 1; continue }
                if peek(UInt8(ascii: "}")) { index += 1; depth -= 1; return }
                throw fail(index < bytes.count ? "expected ',' or '}', found \(describe(bytes[index]))" : "the body ends inside an object")
            }
        }

        mutating func array() throws(Failure) {
            try enter()
            index += 1
            skipSpace()
            if peek(UInt8(ascii: "]")) { index += 1; depth -= 1; return }
            while true {
                skipSpace()
                if peek(UInt8(ascii: "]")) { throw fail("a trailing comma before ']' is not allowed in JSON") }
                try value()
                skipSpace()
                if peek(UInt8(ascii: ",")) { index += 1; continue }
                if peek(UInt8(ascii: "]")) { index += 1; depth -= 1; return }
                throw fail(index < bytes.count ? "expected ',' or ']', found \(describe(bytes[index]))" : "the body ends inside an array")
            }
        }

        mutating func string() throws(Failure) {
            index += 1  // the opening quote
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { break }
                    switch bytes[index] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 1
                    case UInt8(ascii: "u"):
                        index += 1
                        let unit = try codeUnit()
                        // UTF-16 surrogates come in pairs: a lone one is no character (RFC 8259
                        // §8.2), and Foundation refuses the body; found by scripts/fuzz.
                        switch unit {
                        case 0x0000:
                            // JSON allows it, but PostgreSQL's text cannot hold it: a NUL in any
                            // field failed the store's write (a 503), found by schemathesis.
                            throw fail("\\u0000 (NUL) is not accepted in a string")
                        case 0xD800...0xDBFF:
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw fail("\\u\(hex(unit)) is the first half of a surrogate pair; a \\uDC00–\\uDFFF must follow it")
                            }
                            index += 2
                            let low = try codeUnit()
                            guard (0xDC00...0xDFFF).contains(low) else {
                                throw fail("\\u\(hex(unit)) is the first half of a surrogate pair; \\u\(hex(low)) cannot follow it")
                            }
                        case 0xDC00...0xDFFF:
                            throw fail("\\u\(hex(unit)) is the second half of a surrogate pair, without its first half")
                        default:
                            break
                        }
                    default:
                        throw fail("\\\(Character(Unicode.Scalar(bytes[index]))) is not a JSON escape")
                    }
                case 0..<0x20:
                    throw fail("a control character (0x\(String(byte, radix: 16))) must be escaped inside a string")
                case 0x80...:
                    try utf8Sequence()
                default:
                    index += 1
                }
            }
            throw fail("the body ends inside a string")
        }

        /// The four hex digits after `\\u`, as a UTF-16 code unit.
        mutating func codeUnit() throws(Failure) -> UInt16 {
            var unit: UInt16 = 0
            for _ in 0..<4 {
                guard index < bytes.count, isHex(bytes[index]) else { throw fail("\\u must be followed by four hex digits") }
                let digit = bytes[index]
                unit = unit << 4 | UInt16(digit <= UInt8(ascii: "9") ? digit - UInt8(ascii: "0") : (digit | 0x20) - UInt8(ascii: "a") + 10)
                index += 1
            }
            return unit
        }

        func hex(_ unit: UInt16) -> String {
            let digits = String(unit, radix: 16, uppercase: true)
            return String(repeating: "0", count: 4 - digits.count) + digits
        }

        /// One well-formed UTF-8 sequence (no overlongs, no surrogates, nothing past U+10FFFF).
        mutating func utf8Sequence() throws(Failure) {
            let first = bytes[index]
            let (count, low, high): (Int, UInt8, UInt8) = switch first {
            case 0xC2...0xDF: (1, 0x80, 0xBF)
            case 0xE0: (2, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (2, 0x80, 0xBF)
            case 0xED: (2, 0x80, 0x9F)
            case 0xF0: (3, 0x90, 0xBF)
            case 0xF1...0xF3: (3, 0x80, 0xBF)
            case 0xF4: (3, 0x80, 0x8F)
            default: (0, 0, 0)
            }
            guard count > 0 else { throw fail("the body is not valid UTF-8") }
            guard index + count < bytes.count, (low...high).contains(bytes[index + 1]),
                  bytes[(index + 2)..<(index + 1 + count)].allSatisfy({ (0x80...0xBF).contains($0) }) else {
                throw fail("the body is not valid UTF-8")
            }
            index += 1 + count
        }

        mutating func number() throws(Failure) {
            let start = index
            try numberSyntax()
            // A number past a Double's range is JSON by the grammar, but Foundation refuses the
            // body (and no field of kefu's takes one); found by scripts/fuzz.
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let value = Double(text), value.isFinite else {
                index = start
                throw fail("the number \(text.prefix(24))\(text.count > 24 ? "…" : "") is out of range")
            }
        }

        mutating func numberSyntax() throws(Failure) {
            if peek(UInt8(ascii: "-")) { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("expected a digit in a number") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count, isDigit(bytes[index]) { throw fail("a number must not start with 0 (leading zeros are not JSON)") }
            } else {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if peek(UInt8(ascii: ".")) {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw fail("expected a digit after the decimal point") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
                index += 1
                if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw fail("expected a digit in the exponent") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
        }

        mutating func literal(_ word: String) throws(Failure) {
            for expected in word.utf8 {
                guard index < bytes.count, bytes[index] == expected else { throw fail("expected \(word)") }
                index += 1
            }
        }

        mutating func enter() throws(Failure) {
            depth += 1
            guard depth <= StrictJSON.maxDepth else { throw fail("nested deeper than \(StrictJSON.maxDepth) levels") }
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        func isHex(_ byte: UInt8) -> Bool {
            isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
        }

        func describe(_ byte: UInt8) -> String {
            (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        }

        func fail(_ reason: String) -> Failure {
            var line = 1, column = 1
            for byte in bytes[..<min(index, bytes.count)] {
                if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
            }
            return Failure(offset: index, line: line, column: column, reason: reason)
        }
    }
}
