import Crypto
import _CryptoExtras
import Foundation

/// WeChat's message encryption (WXBizMsgCrypt), used in compatible and safe modes.
///
/// key = base64decode(EncodingAESKey + "="), IV = key[0..<16], AES-256-CBC with PKCS#7 padding
/// to a multiple of 32 bytes. Plaintext = 16 random bytes ‖ 4-byte big-endian length ‖ message ‖ appid.
public struct MessageCrypto: Sendable {
    public enum Failure: Error, Equatable, Sendable {
        case badKey
        case badBase64
        case badCiphertext
        case badPadding
        case badLength
        case wrongAppid
    }

    /// Raw key bytes (SymmetricKey is not Sendable in this swift-crypto); made into a key per use.
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    private let iv: AES._CBC.IV

    public init(encodingAESKey: String) throws(Failure) {
        guard encodingAESKey.utf8.count == 43,
              let raw = Data(base64Encoded: encodingAESKey + "="), raw.count == 32
        else { throw .badKey }
        self.keyBytes = Array(raw)
        do {
            self.iv = try AES._CBC.IV(ivBytes: raw.prefix(16))
        } catch {
            throw .badKey
        }
    }

    /// Decrypts an `Encrypt` value; returns the message and the appid found at its tail.
    public func decrypt(_ base64: String) throws(Failure) -> (message: [UInt8], appid: String) {
        guard let cipher = Data(base64Encoded: base64) else { throw .badBase64 }
        guard !cipher.isEmpty, cipher.count % 16 == 0 else { throw .badCiphertext }
        let plain: [UInt8]
        do {
            plain = Array(try AES._CBC.decrypt(cipher, using: key, iv: iv, noPadding: true))
        } catch {
            throw .badCiphertext
        }
        guard let pad = plain.last, pad >= 1, pad <= 32, Int(pad) <= plain.count,
              plain.suffix(Int(pad)).allSatisfy({ $0 == pad })
        else { throw .badPadding }
        let content = plain.dropLast(Int(pad))
        guard content.count >= 20 else { throw .badLength }
        let lengthBytes = content.dropFirst(16).prefix(4)
        let length = lengthBytes.reduce(0) { ($0 << 8) | Int($1) }
        let messageStart = content.startIndex + 20
        guard length <= content.count - 20 else { throw .badLength }
        let message = Array(content[messageStart..<(messageStart + length)])
        let appid = String(decoding: content[(messageStart + length)...], as: UTF8.self)
        return (message, appid)
    }

    /// Decrypts and checks that the trailing appid is the expected one.
    public func decrypt(_ base64: String, expectingAppid appid: String) throws(Failure) -> [UInt8] {
        let (message, found) = try decrypt(base64)
        guard CallbackSignature.constantTimeEquals(Array(found.utf8), Array(appid.utf8)) else { throw .wrongAppid }
        return message
    }

    /// Encrypts a message for `appid`. `random` (16 bytes) is for reproducing published samples.
    public func encrypt(_ message: [UInt8], appid: String, random: [UInt8]? = nil) -> String {
        var plain = random ?? (0..<16).map { _ in UInt8.random(in: 0...255) }
        precondition(plain.count == 16, "the random prefix is 16 bytes")
        let length = UInt32(message.count)
        plain += [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
        plain += message
        plain += Array(appid.utf8)
        let pad = 32 - plain.count % 32
        plain += Array(repeating: UInt8(pad), count: pad)
        // Only fails for a block-misaligned input, which the padding above rules out.
        let cipher = try! AES._CBC.encrypt(plain, using: key, iv: iv, noPadding: true)
        return cipher.base64EncodedString()
    }
}
