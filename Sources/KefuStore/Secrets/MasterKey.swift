import Crypto
import Foundation
import KefuCore

/// The key every secret at rest is sealed under: 256 random bits, kept in a file outside the
/// database (`--master-key-file`). Its id — the first 8 hex digits of a SHA-256 of the key — is
/// stored beside each sealed value, so that a value says which key opens it without saying
/// anything about the key.
public struct MasterKey: Sendable {
    public let id: String
    /// The raw key (swift-crypto's `SymmetricKey` is not `Sendable`; one is made per use).
    let bytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: bytes) }

    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw KefuError(.badConfiguration, "a master key is 32 bytes, not \(bytes.count)")
        }
        self.bytes = bytes
        let digest = SHA256.hash(data: Array("kefu master key id\u{0}".utf8) + bytes)
        id = digest.prefix(4).map { String($0, radix: 16).leftPadded(2) }.joined()
    }

    /// A new random key.
    public static func generate() -> MasterKey {
        var generator = SystemRandomNumberGenerator()
        // 32 bytes from the system's CSPRNG (`SystemRandomNumberGenerator` reads getrandom(2)).
        return try! MasterKey(bytes: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// The key file's text: the key in base64 on one line.
    public var fileText: String {
        Data(bytes).base64EncodedString() + "\n"
    }

    /// Reads a key file. Its errors name the file and what was wrong, never its content.
    public static func load(path: String, option: String) throws -> MasterKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KefuError(.badConfiguration, "\(option): cannot read \(path) (make a key with `kefu keys generate --out \(path)`)")
        }
        guard let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
              let bytes = Data(base64Encoded: text), bytes.count == 32 else {
            throw KefuError(.badConfiguration,
                            "\(option): \(path) does not hold a master key (one line of base64 encoding 32 bytes, as `kefu keys generate` writes)")
        }
        return try MasterKey(bytes: Array(bytes))
    }

    /// Writes a new key file readable by its owner only (0600); refuses to replace a file. The
    /// key is written to a temporary file that is then linked into place, so that a process
    /// racing to create the same file finds either nothing or the whole key.
    public func write(to path: String) throws {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw KefuError(.badConfiguration, "cannot create the key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { unlink(temporary) }
        let bytes = Array(fileText.utf8)
        let written = Foundation.write(fd, bytes, bytes.count) == bytes.count && fsync(fd) == 0
        let writeError = errno
        close(fd)
        guard written else { throw KefuError(.badConfiguration, "cannot write the key file \(path): \(String(cString: strerror(writeError)))") }
        guard link(temporary, path) == 0 else {
            let reason = errno == EEXIST ? "it already exists (a key file is never overwritten)" : String(cString: strerror(errno))
            throw KefuError(.badConfiguration, "cannot create the key file \(path): \(reason)")
        }
    }

    /// Whether users other than the owner may read the file (a key file should be 0600 or 0400).
    public static func isReadableByOthers(path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & 0o077 != 0
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
