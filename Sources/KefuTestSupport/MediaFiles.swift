import Foundation
import KefuCore

/// Files of any format and size for media tests: the format's real leading bytes (what kefu and
/// the simulator sniff), padded to `size`; and `multipart/form-data` bodies built by hand, so
/// tests can also send broken ones.
public enum MediaFiles {
    public static func file(_ format: MediaFormat, size: Int) -> [UInt8] {
        let head: [UInt8] = switch format {
        case .png: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D] + Array("IHDR".utf8)
        case .jpeg: [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0]
        case .gif: Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0]
        case .amr: Array("#!AMR\n".utf8) + [0x3C]
        case .mp3: Array("ID3".utf8) + [4, 0, 0, 0, 0, 0, 0]
        case .mp4: [0, 0, 0, 0x18] + Array("ftypmp42".utf8) + [0, 0, 0, 0] + Array("isommp42".utf8)
        }
        // Filler of one letter: made at once (files of 10 MB), and free of CR, the first byte of a
        // multipart boundary.
        var bytes = [UInt8](repeating: 0x41, count: max(size, 0))
        for (index, byte) in head.prefix(size).enumerated() { bytes[index] = byte }
        return bytes
    }

    public struct Part {
        public var name: String
        public var filename: String?
        public var contentType: String?
        public var body: [UInt8]
        public init(name: String, filename: String? = nil, contentType: String? = nil, body: [UInt8]) {
            self.name = name
            self.filename = filename
            self.contentType = contentType
            self.body = body
        }
        public static func field(_ name: String, _ value: String) -> Part { Part(name: name, body: Array(value.utf8)) }
        public static func file(_ body: [UInt8], filename: String = "upload.bin", contentType: String = "application/octet-stream") -> Part {
            Part(name: "file", filename: filename, contentType: contentType, body: body)
        }
    }

    public static let boundary = "kefu-test-boundary-7MA4YWxkTrZu0gW"

    /// A well-formed body (as `curl -F` sends) with `boundary`.
    public static func multipart(_ parts: [Part], boundary: String = boundary) -> [UInt8] {
        var body: [UInt8] = []
        for part in parts {
            var header = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { header += "; filename=\"\(filename)\"" }
            header += "\r\n"
            if let type = part.contentType { header += "Content-Type: \(type)\r\n" }
            header += "\r\n"
            body += Array(header.utf8) + part.body + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return body
    }

    /// The content type that goes with `multipart(_:)`.
    public static var contentType: String { "multipart/form-data; boundary=\(boundary)" }
}
