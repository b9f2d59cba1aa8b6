import Crypto

/// WeChat's callback signatures: `hex(sha1(join(sorted(parts))))`, a plain byte-wise sort of the
/// strings and no separator. URL verification and plain pushes sign (token, timestamp, nonce);
/// encrypted pushes add the `Encrypt` text as a fourth part (`msg_signature`).
public enum CallbackSignature {
    public static func sign(_ parts: [String]) -> String {
        let joined = parts.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined()
        let digest = Insecure.SHA1.hash(data: Array(joined.utf8))
        return Hex.encode(digest)
    }

    /// Compares in constant time (for equal-length inputs), case-insensitively on hex digits.
    public static func verify(_ signature: String, parts: [String]) -> Bool {
        constantTimeEquals(Array(signature.lowercased().utf8), Array(sign(parts).utf8))
    }

    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
