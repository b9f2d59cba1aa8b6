import Crypto
import Foundation
import KefuCore

/// Seals and opens the secrets the store keeps (AppSecrets, callback Tokens, EncodingAESKeys,
/// access tokens) with AES-256-GCM under the master key.
///
/// A sealed value is text, so that it fits the columns the plain values had:
/// `kefu1:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>`. The authenticated data is the value's
/// place (`accounts.app_secret/wx…`), so a sealed value copied into another row or column does
/// not open. `current` seals; `current` and `previous` open — the previous key during a rotation.
public struct SecretKeyring: Sendable {
    public let current: MasterKey
    public let previous: [MasterKey]

    static let prefix = "kefu1:"

    public init(current: MasterKey, previous: [MasterKey] = []) {
        self.current = current
        self.previous = previous.filter { $0.id != current.id }
    }

    /// The ids of the keys this ring opens with.
    public var keyIds: [String] { [current.id] + previous.map(\.id) }

    public func seal(_ plaintext: String, place: String) -> String {
        let box = try! AES.GCM.seal(Array(plaintext.utf8), using: current.key, authenticating: Array(place.utf8))
        // `combined` is present for the default 12-byte nonce.
        return Self.prefix + current.id + ":" + box.combined!.base64EncodedString()
    }

    public func sealIfPresent(_ plaintext: String?, place: String) -> String? {
        plaintext.map { seal($0, place: place) }
    }

    /// Opens a sealed value; a value that is not sealed (written before secrets were encrypted)
    /// is returned as it is — `SQLStore.prepareSecrets` seals those when the store starts.
    public func open(_ stored: String, place: String) throws -> String {
        guard let keyId = Self.keyId(of: stored) else { return stored }
        guard let key = ([current] + previous).first(where: { $0.id == keyId }) else {
            throw KefuError(.badConfiguration,
                            "\(place) is sealed with master key \(keyId), which this process was not given (it has \(keyIds.joined(separator: ", "))): "
                            + "pass that key's file as --master-key-file or --previous-master-key-file")
        }
        let body = stored.dropFirst(Self.prefix.count + keyId.count + 1)
        guard let combined = Data(base64Encoded: String(body)),
              let box = try? AES.GCM.SealedBox(combined: combined),
              let plain = try? AES.GCM.open(box, using: key.key, authenticating: Array(place.utf8)),
              let text = String(data: plain, encoding: .utf8) else {
            throw KefuError(.badConfiguration,
                            "\(place) does not open under master key \(keyId): the value was altered or moved, or the key file is not the one it was sealed with")
        }
        return text
    }

    public func openIfPresent(_ stored: String?, place: String) throws -> String? {
        try stored.map { try open($0, place: place) }
    }

    /// The id of the key a stored value is sealed with; nil for a plain value.
    public static func keyId(of stored: String) -> String? {
        guard stored.hasPrefix(prefix) else { return nil }
        let rest = stored.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":"), rest.distance(from: rest.startIndex, to: colon) == 8 else { return nil }
        return String(rest[..<colon])
    }

    /// Whether a stored value is sealed with the current key (else a rotation has work to do).
    public func isCurrent(_ stored: String?) -> Bool {
        guard let stored else { return true }
        return Self.keyId(of: stored) == current.id
    }
}
