import Foundation
import KefuCore
import NIOCore
import WeChatProtocol

/// The parsers that read what strangers send, as fuzz targets (`scripts/fuzz`, libFuzzer with
/// AddressSanitizer). Each takes any bytes and must neither crash nor break what must hold of
/// what it accepts; a broken rule is a `fatalError`, which the fuzzer reports as a crash with the
/// input that caused it. Inputs that found something are kept in
/// `Tests/KefuTests/Fixtures/fuzz/regressions/<target>/` and replayed by the test suite.
public enum FuzzTargets {
    public static let names = ["push-xml", "callback", "message-json", "rule-json", "multipart"]

    /// Runs target `name` on `bytes`. Unknown names are a programming error.
    public static func run(_ name: String, _ bytes: [UInt8]) {
        switch name {
        case "push-xml": pushXML(bytes)
        case "callback": callback(bytes)
        case "message-json": messageJSON(bytes)
        case "rule-json": ruleJSON(bytes)
        case "multipart": multipart(bytes)
        default: fatalError("no fuzz target \(name); the targets are \(names.joined(separator: ", "))")
        }
    }

    static func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fatalError("fuzz invariant broken: \(what())") }
    }

    // MARK: push-xml

    /// The strict XML reader and the push reader. What `Push.parse` accepts as XML the reader
    /// accepts too, and it becomes an interaction whose dedupe key is never empty.
    static func pushXML(_ bytes: [UInt8]) {
        let tree = try? PushXML.parse(bytes)
        guard let push = try? Push.parse(bytes) else { return }
        if bytes.first(where: { $0 > 0x20 }) == UInt8(ascii: "<") {
            check(tree != nil, "Push.parse accepted XML the XML reader refuses")
        }
        let interaction = push.interaction(appid: appid, receivedAt: 1_714_037_059_000)
        check(!interaction.dedupeKey.isEmpty, "an interaction without a dedupe key")
        check(interaction.at <= 1_714_037_059_000, "an interaction later than its arrival")
    }

    // MARK: callback

    static let appid = "wx5823bf96d3bd56c7"
    static let token = "QDG6eK"
    static let aesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
    static let opener = CallbackOpener(credentials: .init(appid: appid, token: token, encodingAESKey: aesKey))
    static let crypto = try! MessageCrypto(encodingAESKey: aesKey)

    /// The callback opener: signature, AES envelope and XML. The first byte picks how the rest
    /// is sent, so the fuzzer gets past the signature into what lies behind it:
    /// 0: a plain push (valid signature, the rest as the body);
    /// 1: safe mode, the rest as the `<Encrypt>` text (valid msg_signature over it);
    /// 2: safe mode, the rest encrypted properly (valid envelope; the rest is the inner push);
    /// 3: the rest as the query string's signature, with a fixed body.
    /// What opens in mode 2 opens the same in plain mode: the envelope is transparent.
    static func callback(_ input: [UInt8]) {
        guard let mode = input.first else { return }
        let rest = Array(input.dropFirst())
        let timestamp = "1409659813", nonce = "1372623149"
        let signature = CallbackSignature.sign([token, timestamp, nonce])
        switch mode % 4 {
        case 0:
            _ = try? opener.open(.init(signature: signature, timestamp: timestamp, nonce: nonce), body: rest)
        case 1:
            let text = String(decoding: rest, as: UTF8.self)
            let body = Array("<xml><ToUserName><![CDATA[gh_fuzz]]></ToUserName><Encrypt><![CDATA[\(text)]]></Encrypt></xml>".utf8)
            let query = CallbackOpener.Query(signature: signature, timestamp: timestamp, nonce: nonce, encryptType: "aes",
                                             msgSignature: CallbackSignature.sign([token, timestamp, nonce, text]))
            _ = try? opener.open(query, body: body)
        case 2:
            let encrypted = crypto.encrypt(rest, appid: appid, random: Array("0123456789abcdef".utf8))
            let body = Array("<xml><ToUserName><![CDATA[gh_fuzz]]></ToUserName><Encrypt><![CDATA[\(encrypted)]]></Encrypt></xml>".utf8)
            let query = CallbackOpener.Query(signature: signature, timestamp: timestamp, nonce: nonce, encryptType: "aes",
                                             msgSignature: CallbackSignature.sign([token, timestamp, nonce, encrypted]))
            let opened: Push?
            do { opened = try opener.open(query, body: body) } catch .unauthenticated(let why) {
                fatalError("fuzz invariant broken: a properly signed and encrypted push refused as unauthenticated: \(why)")
            } catch { opened = nil }
            let plain = try? opener.open(.init(signature: signature, timestamp: timestamp, nonce: nonce), body: rest)
            check(opened == plain, "the encrypted push opened differently from the same push in plain mode")
        default:
            let fuzzed = String(decoding: rest, as: UTF8.self)
            let body = Array("<xml><ToUserName>gh_fuzz</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>".utf8)
            let accepted = (try? opener.open(.init(signature: fuzzed, timestamp: timestamp, nonce: nonce), body: body)) != nil
            check(accepted == (fuzzed == signature), "a signature other than the right one accepted, or the right one refused")
        }
    }

    // MARK: message-json, rule-json

    /// What the strict JSON check accepts, Foundation reads.
    static func json(_ bytes: [UInt8]) -> Any? {
        guard (try? StrictJSON.check(bytes)) != nil else { return nil }
        let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        check(object != nil, "StrictJSON accepted what JSONSerialization cannot read")
        return object
    }

    /// A task's or rule's message: a message kefu accepts reads back the same from its own JSON,
    /// and the body it sends WeChat is strict JSON.
    static func messageJSON(_ bytes: [UInt8]) {
        guard let object = json(bytes) else { return }
        if let dictionary = object as? [String: Any] {
            _ = try? MessageInput.read(JSONFields(dictionary))
        }
        guard let message = try? CustomMessage(object: object) else { return }
        let again = try? CustomMessage(object: message.jsonObject)
        check(again == message, "an accepted message reads back differently from its own JSON")
        let body = message.sendBody(to: "oFuzz")
        check((try? StrictJSON.check(body)) != nil, "the send body is not strict JSON")
    }

    /// A rule as `POST /api/v1/rules` reads it: what is accepted is within the rules' bounds.
    static func ruleJSON(_ bytes: [UInt8]) {
        guard let object = json(bytes) as? [String: Any] else { return }
        var rule = DelayedRule(appid: appid, name: "fuzz", trigger: .init(kind: nil), delaySeconds: 0,
                               message: .text(content: "-"), createdAt: 0, updatedAt: 0)
        guard (try? rule.apply(json: object)) != nil else { return }
        check(!rule.name.trimmingCharacters(in: .whitespaces).isEmpty && rule.name.count <= 100, "a rule name out of bounds")
        check((0...DelayedRule.maxDelaySeconds).contains(rule.delaySeconds), "a delay out of bounds")
        check((0...30 * 86_400).contains(rule.cooldownSeconds), "a cooldown out of bounds")
        if let key = rule.trigger.key { check(!key.isEmpty && key.utf8.count <= 128 && rule.trigger.kind != nil, "a trigger key out of bounds") }
    }

    // MARK: multipart

    /// The `multipart/form-data` reader behind media uploads. The bytes before the first NUL (if
    /// any, at most 200) are the Content-Type header; the rest is the body. Every part read lies
    /// within the body, and no form has more than `maxParts`.
    static func multipart(_ input: [UInt8]) {
        var header = "multipart/form-data; boundary=kefuFuzzBoundary"
        var body = input[...]
        if let nul = input.prefix(200).firstIndex(of: 0) {
            header = String(decoding: input[..<nul], as: UTF8.self)
            body = input[(nul + 1)...]
        }
        guard let boundary = try? MultipartForm.boundary(contentType: header) else { return }
        guard let form = try? MultipartForm(body: ByteBuffer(bytes: body), boundary: boundary) else { return }
        check(form.parts.count <= MultipartForm.maxParts, "more parts than a form may have")
        for part in form.parts {
            check(part.body.count <= body.count, "a part larger than the body")
        }
    }
}
