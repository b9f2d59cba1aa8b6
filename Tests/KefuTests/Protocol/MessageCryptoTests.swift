import Testing
@testable import WeChatProtocol

@Suite("WXBizMsgCrypt (compatible and safe modes)")
struct MessageCryptoTests {
    @Test("decrypts WeChat's safe-mode worked example and finds the appid at its tail")
    func workedExample() throws {
        let file = try Fixtures.json("vectors/03_official_message_push_doc_AAAAA_json.json")
        let safe = file["safe_mode_post"] as! [String: Any]
        let encrypt = (safe["body_json"] as! [String: Any])["Encrypt"] as! String
        let crypto = try MessageCrypto(encodingAESKey: String(repeating: "A", count: 43))
        let (message, appid) = try crypto.decrypt(encrypt)
        #expect(appid == "wxba5fad812f8e6fb9")
        #expect(String(decoding: message, as: UTF8.self) == safe["expected_plaintext"] as! String)
    }

    @Test("decrypts the official Python sample (compatible mode, XML push)")
    func pythonSample() throws {
        let file = try Fixtures.json("vectors/01_official_mp_python_sample_spamtest.json")
        let crypto = try MessageCrypto(encodingAESKey: file["encoding_aes_key"] as! String)
        let message = try crypto.decrypt(file["encrypt"] as! String, expectingAppid: file["appid"] as! String)
        #expect(String(decoding: message, as: UTF8.self) == file["expected_plaintext"] as! String)
    }

    @Test("reproduces the official Java sample's ciphertext byte for byte (fixed random prefix)")
    func javaSample() throws {
        let file = try Fixtures.json("vectors/02_official_java_sample_pamtest_fixed_random.json")
        let crypto = try MessageCrypto(encodingAESKey: file["encoding_aes_key"] as! String)
        let random = Array((file["random"] as! String).utf8)
        for case let sample as [String: String] in file["cases"] as! [Any] {
            let encrypted = crypto.encrypt(Array(sample["plaintext"]!.utf8), appid: file["appid"] as! String, random: random)
            #expect(encrypted == sample["encrypt"]!)
        }
    }

    @Test("round trip, with padding to a multiple of 32 bytes, for lengths 0 to 100")
    func roundTrip() throws {
        let crypto = try MessageCrypto(encodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
        for length in 0...100 {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let encrypted = crypto.encrypt(message, appid: "wx0000000000000001")
            #expect(try crypto.decrypt(encrypted, expectingAppid: "wx0000000000000001") == message)
        }
    }

    @Test("rejects another account's ciphertext, garbage and bad keys")
    func rejections() throws {
        let crypto = try MessageCrypto(encodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
        let encrypted = crypto.encrypt(Array("<xml/>".utf8), appid: "wx0000000000000001")
        #expect(throws: MessageCrypto.Failure.wrongAppid) { try crypto.decrypt(encrypted, expectingAppid: "wx0000000000000002") }
        #expect(throws: MessageCrypto.Failure.badBase64) { try crypto.decrypt("%%%", expectingAppid: "wx0000000000000001") }
        #expect(throws: MessageCrypto.Failure.badCiphertext) { try crypto.decrypt("AAAA", expectingAppid: "wx0000000000000001") }
        let other = try MessageCrypto(encodingAESKey: String(repeating: "B", count: 43))
        #expect(throws: (any Error).self) { try other.decrypt(encrypted, expectingAppid: "wx0000000000000001") }
        #expect(throws: MessageCrypto.Failure.badKey) { try MessageCrypto(encodingAESKey: "short") }
    }
}
