import Testing
@testable import WeChatProtocol

@Suite("Callback signatures")
struct SignatureTests {
    @Test("WeChat's worked example: GET URL verification")
    func workedExample() {
        #expect(CallbackSignature.sign(["AAAAA", "1714036504", "1514711492"]) == "f464b24fc39322e44b38aa78f5edd27bd1441696")
    }

    @Test("every published plain signature vector")
    func publishedVectors() throws {
        let file = try Fixtures.json("vectors/08_plain_signature_vectors.json")
        let vectors = file["vectors"] as! [[String: Any]]
        #expect(vectors.count >= 6)
        for vector in vectors {
            let parts = (vector["parts"] as? [String]) ?? [vector["token"] as! String, vector["timestamp"] as! String, vector["nonce"] as! String]
            let signature = vector["signature"] as! String
            let mustFail = vector["must_fail"] as? Bool ?? false
            #expect(CallbackSignature.verify(signature, parts: parts) == !mustFail, "\(vector["source"] ?? "")")
        }
    }

    @Test("msg_signature of the safe-mode worked example covers the Encrypt text")
    func msgSignature() throws {
        let file = try Fixtures.json("vectors/03_official_message_push_doc_AAAAA_json.json")
        let safe = file["safe_mode_post"] as! [String: Any]
        let query = safe["query"] as! [String: String]
        let encrypt = (safe["body_json"] as! [String: Any])["Encrypt"] as! String
        #expect(!encrypt.isEmpty)
        #expect(CallbackSignature.verify(query["msg_signature"]!, parts: ["AAAAA", query["timestamp"]!, query["nonce"]!, encrypt]))
        #expect(CallbackSignature.verify(query["signature"]!, parts: ["AAAAA", query["timestamp"]!, query["nonce"]!]))
    }

    @Test("a wrong signature of the right length fails; so does a short one")
    func mismatches() {
        let good = CallbackSignature.sign(["t", "1", "n"])
        var bad = Array(good)
        bad[0] = bad[0] == "a" ? "b" : "a"
        #expect(!CallbackSignature.verify(String(bad), parts: ["t", "1", "n"]))
        #expect(!CallbackSignature.verify(String(good.dropLast()), parts: ["t", "1", "n"]))
        #expect(CallbackSignature.verify(good.uppercased(), parts: ["t", "1", "n"]))
    }
}
