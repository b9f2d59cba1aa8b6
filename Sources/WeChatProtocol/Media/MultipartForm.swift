import Foundation
import MultipartKit
import NIOCore

/// A `multipart/form-data` body read whole with MultipartKit's parser (vapor/multipart-kit): its
/// parts with their field names, filenames and bytes — what WeChat's media upload takes, and
/// kefu's own media library. A body that is not multipart, that breaks the syntax, or that stops
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

    public init(body: ByteBuffer, boundary: String) throws(Malformed) {
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var current: Part?
        var headerCount = 0
        var tooMany = false
        parser.onHeader = { name, value in
            if current == nil { current = Part(body: []) }
            headerCount += 1
            switch name.lowercased() {
            case "content-disposition":
                current?.name = Self.parameter("name", in: value)
                current?.filename = Self.parameter("filename", in: value)
            case "content-type":
                current?.contentType = value
            default:
                break
            }
        }
        // A part's bytes are gathered in a ByteBuffer (copied in blocks) and turned into an array
        // once, when the part is complete: a 10 MB file arrives in many pieces.
        var gathered = ByteBuffer()
        parser.onBody = { buffer in
            if current == nil { current = Part(body: []) }
            gathered.writeBuffer(&buffer)
        }
        parser.onPartComplete = {
            if var part = current {
                part.body = gathered.readBytes(length: gathered.readableBytes) ?? []
                if parts.count >= Self.maxParts { tooMany = true } else { parts.append(part) }
            }
            gathered.clear()
            current = nil
        }
        do {
            try parser.execute(body)
        } catch {
            throw Malformed("the multipart body is malformed")
        }
        guard !tooMany else { throw Malformed("the multipart body has more than \(Self.maxParts) parts") }
        // A part still open, or no closing delimiter: the body was cut short.
        let closing = Array("--\(boundary)--".utf8)
        guard current == nil, Self.contains(body.readableBytesView, closing) else {
            throw Malformed("the multipart body is truncated: it ends before its closing boundary")
        }
        self.parts = parts
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

    static func contains(_ bytes: ByteBufferView, _ needle: [UInt8]) -> Bool {
        guard bytes.count >= needle.count, let first = needle.first else { return false }
        // From the end: the closing delimiter is the body's last line.
        var index = bytes.endIndex - needle.count
        while index >= bytes.startIndex {
            if bytes[index] == first, bytes[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index -= 1
        }
        return false
    }
}
