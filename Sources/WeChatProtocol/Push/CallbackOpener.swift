import KefuCore

/// Verifies and opens one callback request for one account: checks the signature, decrypts
/// compatible/safe-mode bodies (trying the previous EncodingAESKey during a rotation), checks the
/// appid inside the ciphertext, and reads the push.
public struct CallbackOpener: Sendable {
    public struct Credentials: Sendable {
        public var appid: String
        public var token: String
        public var encodingAESKey: String?
        public var previousEncodingAESKey: String?
        public var originalId: String?

        public init(appid: String, token: String, encodingAESKey: String? = nil, previousEncodingAESKey: String? = nil, originalId: String? = nil) {
            self.appid = appid
            self.token = token
            self.encodingAESKey = encodingAESKey
            self.previousEncodingAESKey = previousEncodingAESKey
            self.originalId = originalId
        }
    }

    /// The query parameters WeChat signs a push with.
    public struct Query: Sendable {
        public var signature: String?
        public var timestamp: String?
        public var nonce: String?
        public var encryptType: String?
        public var msgSignature: String?

        public init(signature: String?, timestamp: String?, nonce: String?, encryptType: String? = nil, msgSignature: String? = nil) {
            self.signature = signature
            self.timestamp = timestamp
            self.nonce = nonce
            self.encryptType = encryptType
            self.msgSignature = msgSignature
        }
    }

    public enum Failure: Error, Equatable, Sendable {
        /// Not from WeChat for this account (HTTP 401).
        case unauthenticated(String)
        /// From WeChat perhaps, but unreadable (HTTP 400).
        case malformed(String)
    }

    public let credentials: Credentials

    public init(credentials: Credentials) {
        self.credentials = credentials
    }

    /// URL verification (`GET`): true when (token, timestamp, nonce) signs to `signature`.
    public func verifyURL(_ query: Query) -> Bool {
        guard let signature = query.signature, let timestamp = query.timestamp, let nonce = query.nonce else { return false }
        return CallbackSignature.verify(signature, parts: [credentials.token, timestamp, nonce])
    }

    public func open(_ query: Query, body: [UInt8]) throws(Failure) -> Push {
        guard let timestamp = query.timestamp, let nonce = query.nonce else {
            throw .unauthenticated("timestamp and nonce are required")
        }
        if let signature = query.signature {
            guard CallbackSignature.verify(signature, parts: [credentials.token, timestamp, nonce]) else {
                throw .unauthenticated("signature does not match")
            }
        } else if query.encryptType != "aes" {
            throw .unauthenticated("signature is required")
        }
        let push: Push
        switch query.encryptType {
        case nil, "raw":
            push = try read(body)
        case "aes":
            push = try openEncrypted(query, timestamp: timestamp, nonce: nonce, body: body)
        case let other?:
            throw .malformed("unknown encrypt_type \"\(other)\"")
        }
        if let originalId = credentials.originalId, push.toUserName != originalId {
            throw .malformed("ToUserName is not this account's original id")
        }
        return push
    }

    private func openEncrypted(_ query: Query, timestamp: String, nonce: String, body: [UInt8]) throws(Failure) -> Push {
        guard let msgSignature = query.msgSignature else { throw .unauthenticated("msg_signature is required in AES mode") }
        let envelope: XMLElement
        do {
            envelope = try PushXML.parse(body)
        } catch {
            throw .malformed("malformed XML: \(error)")
        }
        guard envelope.name == "xml", let encrypt = envelope["Encrypt"]?.text, !encrypt.isEmpty else {
            throw .malformed("the encrypted body has no <Encrypt> element")
        }
        guard CallbackSignature.verify(msgSignature, parts: [credentials.token, timestamp, nonce, encrypt]) else {
            throw .unauthenticated("msg_signature does not match")
        }
        let keys = [credentials.encodingAESKey, credentials.previousEncodingAESKey].compactMap { $0 }
        guard !keys.isEmpty else { throw .malformed("the account has no EncodingAESKey for an encrypted push") }
        var lastFailure = MessageCrypto.Failure.badCiphertext
        for key in keys {
            do {
                let crypto = try MessageCrypto(encodingAESKey: key)
                let plain = try crypto.decrypt(encrypt, expectingAppid: credentials.appid)
                return try read(plain)
            } catch let failure as MessageCrypto.Failure {
                lastFailure = failure
            } catch let failure as Failure {
                throw failure
            } catch {
                lastFailure = .badCiphertext
            }
        }
        if lastFailure == .wrongAppid { throw .unauthenticated("the push was encrypted for another appid") }
        throw .malformed("cannot decrypt <Encrypt> with the account's EncodingAESKey")
    }

    private func read(_ bytes: [UInt8]) throws(Failure) -> Push {
        do {
            return try Push.parse(bytes)
        } catch {
            throw .malformed(error.reason)
        }
    }
}
