import Foundation
import NIOCore

/// A `multipart/form-data` body read whole: its parts with their field names, filenames and
/// bytes — what WeChat's media upload takes, and kefu's own media library. A body that is not multipart, that breaks the syntax, or that stops
/// before its closing boundary is `Malformed`, saying so.
public struct MultipartForm: Sendable {
    public struct Part: Sendable {
        public var name: String?
        public var filename: String?
        public var contentType: String?
        public var body: [UInt8]
    }

    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public var reason: String
        init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    public var parts: [Part]

    /// Parts a form may have at most: the forms here have two or three.
    public static let maxParts = 32  // the console's task composer sends about two dozen fields

    public func first(named name: String) -> Part? { parts.first { $0.name == name } }

    /// The boundary of a `multipart/form-data` content type.
    public static func boundary(contentType: String?) throws(Malformed) -> String {
        guard let contentType else { throw Malformed("expected multipart/form-data; the request has no Content-Type") }
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard pieces.first?.lowercased() == "multipart/form-data" else {
            throw Malformed("expected multipart/form-data")
        }
        for piece in pieces.dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            // RFC 2046: 1 to 70 characters.
            guard (1...70).contains(value.utf8.count) else { break }
            return value
        }
        throw Malformed("multipart/form-data without a valid boundary parameter")
    }

    /// Reads a whole body (already collected, within the request's size limit): RFC 2046's
    /// delimiters (`--boundary` at the start or after CRLF), each part's header lines up to a
    /// blank line, its bytes up to the next delimiter, and the closing `--boundary--`.
    ///
    /// Written here rather than with MultipartKit's parser: that parser (4.7) looks up each byte
    /// of a header name in a 128-entry table, so a byte of 0x80 or more in a part's header name
    /// crashed the process — `scripts/fuzz` found it, from a media upload any operator can send.
    /// A whole-body reader is short, and the fuzzer holds it (`multipart` target).
    public init(body: ByteBuffer, boundary: String) throws(Malformed) {
        let bytes = body.readableBytesView
        let dashBoundary = Array("--\(boundary)".utf8), delimiter = Array("\r\n--\(boundary)".utf8)
        // The first delimiter: at the very start, or after the preamble's CRLF.
        var cursor: ByteBufferView.Index
        if bytes.starts(with: dashBoundary) {
            cursor = bytes.startIndex + dashBoundary.count
        } else if let found = Self.find(delimiter, in: bytes, from: bytes.startIndex) {
            cursor = found + delimiter.count
        } else {
            throw Malformed("the multipart body has no boundary line")
        }
        var parts: [Part] = []
        while true {
            // After a delimiter: `--` closes the body (the epilogue is ignored); else optional
            // transport padding and CRLF start a part.
            if bytes[cursor...].starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")]) { break }
            while cursor < bytes.endIndex, bytes[cursor] == UInt8(ascii: " ") || bytes[cursor] == UInt8(ascii: "\t") { cursor += 1 }
            guard bytes[cursor...].starts(with: Self.crlf) else {
                throw Malformed(cursor == bytes.endIndex ? "the multipart body is truncated: it ends before its closing boundary"
                                                         : "the multipart body is malformed: a boundary line goes on after the boundary")
            }
            cursor += 2
            guard parts.count < Self.maxParts else { throw Malformed("the multipart body has more than \(Self.maxParts) parts") }
            var part = Part(body: [])
            var headers = 0
            // Header lines, up to the blank line.
            while true {
                guard let end = Self.find(Self.crlf, in: bytes, from: cursor) else {
                    throw Malformed("the multipart body is truncated: a part's headers do not end")
                }
                if end == cursor { cursor += 2; break }
                headers += 1
                guard headers <= Self.maxHeaders else { throw Malformed("a part of the multipart body has more than \(Self.maxHeaders) header lines") }
                let line = bytes[cursor..<end]
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                      line[..<colon].allSatisfy(Self.isTokenByte) else {
                    throw Malformed("the multipart body is malformed: a part's header line is not `Name: value`")
                }
                let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                switch String(decoding: line[..<colon], as: UTF8.self).lowercased() {
                case "content-disposition":
                    part.name = Self.parameter("name", in: value)
                    part.filename = Self.parameter("filename", in: value)
                case "content-type":
                    part.contentType = value
                default:
                    break
                }
                cursor = end + 2
            }
            // The part's bytes, up to the next delimiter.
            guard let next = Self.find(delimiter, in: bytes, from: cursor) else {
                throw Malformed("the multipart body is truncated: it ends before its closing boundary")
            }
            part.body = Array(bytes[cursor..<next])
            parts.append(part)
            cursor = next + delimiter.count
        }
        self.parts = parts
    }

    /// Header lines a part may have at most: a form's parts have two or three.
    public static let maxHeaders = 16
    static let crlf: [UInt8] = [13, 10]

    /// RFC 7230's `tchar`: what a header name is made of.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): true
        default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// Where `needle` first occurs in `bytes` at or after `start`.
    static func find(_ needle: [UInt8], in bytes: ByteBufferView, from start: ByteBufferView.Index) -> ByteBufferView.Index? {
        guard let first = needle.first, bytes.endIndex - start >= needle.count else { return nil }
        var index = start
        let last = bytes.endIndex - needle.count
        while index <= last {
            if bytes[index] == first, bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    /// `name="value"` (or unquoted) in a header value such as Content-Disposition.
    public static func parameter(_ key: String, in header: String) -> String? {
        var rest = Substring(header)
        while let semicolon = rest.firstIndex(of: ";") {
            rest = rest[rest.index(after: semicolon)...]
            let trimmed = rest.drop { $0 == " " || $0 == "\t" }
            guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals].lowercased() == key else { continue }
            let value = trimmed[trimmed.index(after: equals)...]
            if value.first == "\"" {
                var out = ""
                var escaped = false
                for character in value.dropFirst() {
                    if escaped { out.append(character); escaped = false; continue }
                    if character == "\\" { escaped = true; continue }
                    if character == "\"" { return out }
                    out.append(character)
                }
                return nil  // unterminated quote
            }
            return String(value.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
