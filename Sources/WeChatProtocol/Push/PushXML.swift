/// A strict reader for the XML WeChat pushes: elements, text, CDATA, comments and the five
/// predefined entities plus character references.
///
/// Written here rather than using Foundation's `XMLParser` (libxml2) because pushes are a tiny,
/// fixed subset of XML and must never expand entities: a DOCTYPE, an entity declaration or a
/// processing instruction is rejected before anything else happens, by construction. It is also
/// the hot path of callback ingestion, and this reads a push in one pass without allocation per
/// character.
public struct XMLElement: Sendable, Equatable {
    public var name: String
    /// Character data directly inside this element (CDATA included), when it has no children.
    public var text: String
    public var children: [XMLElement]

    public init(name: String, text: String = "", children: [XMLElement] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first child with that name.
    public subscript(_ name: String) -> XMLElement? {
        children.first { $0.name == name }
    }
}

public struct XMLReadError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public var offset: Int
    public var description: String { "\(reason) at byte \(offset)" }
}

public enum PushXML {
    public static let maxDepth = 16

    public static func parse(_ bytes: [UInt8]) throws(XMLReadError) -> XMLElement {
        var reader = Reader(bytes: bytes)
        return try reader.document()
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ reason: String) -> XMLReadError { XMLReadError(reason: reason, offset: index) }

        func peek(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            return literal.withUTF8Buffer { buffer in
                for offset in 0..<count where bytes[index + offset] != buffer[offset] { return false }
                return true
            }
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[index]) { index += 1 }
        }

        /// Skips whitespace and comments between top-level constructs.
        mutating func skipMisc() throws(XMLReadError) {
            while true {
                skipWhitespace()
                if peek("<!--") { try skipComment() } else { return }
            }
        }

        mutating func skipComment() throws(XMLReadError) {
            index += 4
            while index + 2 < bytes.count {
                if bytes[index] == 0x2d, bytes[index + 1] == 0x2d, bytes[index + 2] == 0x3e { index += 3; return }
                index += 1
            }
            throw fail("unterminated comment")
        }

        mutating func document() throws(XMLReadError) -> XMLElement {
            if peek("\u{FEFF}") { index += 3 }
            skipWhitespace()
            if peek("<?xml") {
                guard let end = find("?>") else { throw fail("unterminated XML declaration") }
                index = end + 2
            }
            try skipMisc()
            if peek("<!") { throw fail("DOCTYPE and entity declarations are not accepted") }
            if peek("<?") { throw fail("processing instructions are not accepted") }
            guard index < bytes.count, bytes[index] == 0x3c else { throw fail("expected the root element") }
            let root = try element(depth: 0)
            try skipMisc()
            guard index == bytes.count else { throw fail("content after the root element") }
            return root
        }

        func find(_ literal: StaticString) -> Int? {
            var probe = self
            while probe.index < bytes.count {
                if probe.peek(literal) { return probe.index }
                probe.index += 1
            }
            return nil
        }

        static func isNameByte(_ byte: UInt8) -> Bool {
            !(byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d || byte == 0x3e || byte == 0x2f
                || byte == 0x3c || byte == 0x3d || byte == 0x22 || byte == 0x27 || byte == 0x26)
        }

        mutating func name() throws(XMLReadError) -> String {
            let start = index
            while index < bytes.count, Self.isNameByte(bytes[index]) { index += 1 }
            guard index > start else { throw fail("expected an element name") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func element(depth: Int) throws(XMLReadError) -> XMLElement {
            guard depth < PushXML.maxDepth else { throw fail("elements nested too deeply") }
            index += 1  // "<"
            let elementName = try name()
            // Attributes are not part of WeChat's pushes; tolerate and ignore well-formed ones.
            while true {
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated start tag") }
                if bytes[index] == 0x3e { index += 1; break }
                if peek("/>") { index += 2; return XMLElement(name: elementName) }
                _ = try name()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == 0x3d else { throw fail("expected = in attribute") }
                index += 1
                skipWhitespace()
                guard index < bytes.count, bytes[index] == 0x22 || bytes[index] == 0x27 else { throw fail("expected a quoted attribute value") }
                let quote = bytes[index]
                index += 1
                while index < bytes.count, bytes[index] != quote {
                    if bytes[index] == 0x3c { throw fail("< in attribute value") }
                    index += 1
                }
                guard index < bytes.count else { throw fail("unterminated attribute value") }
                index += 1
            }
            var text: [UInt8] = []
            var children: [XMLElement] = []
            while true {
                guard index < bytes.count else { throw fail("unterminated element <\(elementName)>") }
                let byte = bytes[index]
                if byte == 0x3c {
                    if peek("</") {
                        index += 2
                        let closing = try name()
                        guard closing == elementName else { throw fail("</\(closing)> closes <\(elementName)>") }
                        skipWhitespace()
                        guard index < bytes.count, bytes[index] == 0x3e else { throw fail("expected > after </\(closing)") }
                        index += 1
                        break
                    } else if peek("<![CDATA[") {
                        index += 9
                        guard let end = find("]]>") else { throw fail("unterminated CDATA section") }
                        text.append(contentsOf: bytes[index..<end])
                        index = end + 3
                    } else if peek("<!--") {
                        try skipComment()
                    } else if peek("<!") {
                        throw fail("DOCTYPE and entity declarations are not accepted")
                    } else if peek("<?") {
                        throw fail("processing instructions are not accepted")
                    } else {
                        children.append(try element(depth: depth + 1))
                    }
                } else if byte == 0x26 {
                    try entity(into: &text)
                } else {
                    text.append(byte)
                    index += 1
                }
            }
            let string = children.isEmpty ? String(decoding: text, as: UTF8.self) : ""
            return XMLElement(name: elementName, text: string, children: children)
        }

        mutating func entity(into text: inout [UInt8]) throws(XMLReadError) {
            let start = index
            guard let semicolon = bytes[index...].prefix(12).firstIndex(of: 0x3b) else { throw fail("unterminated entity reference") }
            let body = String(decoding: bytes[(start + 1)..<semicolon], as: UTF8.self)
            index = semicolon + 1
            let scalar: Unicode.Scalar?
            switch body {
            case "lt": scalar = "<"
            case "gt": scalar = ">"
            case "amp": scalar = "&"
            case "quot": scalar = "\""
            case "apos": scalar = "'"
            default:
                if body.hasPrefix("#x") || body.hasPrefix("#X") {
                    scalar = UInt32(body.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if body.hasPrefix("#") {
                    scalar = UInt32(body.dropFirst(1)).flatMap(Unicode.Scalar.init)
                } else {
                    index = start
                    throw fail("unknown entity &\(body); (only the predefined entities are accepted)")
                }
            }
            guard let scalar else { index = start; throw fail("invalid character reference &\(body);") }
            text.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
    }
}
