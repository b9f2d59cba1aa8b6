import Foundation
import KefuCore

/// The common fields of a WeChat push (message or event), from XML or JSON.
public struct Push: Sendable, Equatable {
    public var toUserName: String
    public var fromUserName: String
    public var createTime: Int64
    public var msgType: String
    public var event: String?
    public var eventKey: String?
    public var msgId: String?
    public var content: String?
    /// The option id of a menu message a follower tapped (a text message's `bizmsgmenuid`).
    public var menuId: String?

    public init(toUserName: String, fromUserName: String, createTime: Int64, msgType: String,
                event: String? = nil, eventKey: String? = nil, msgId: String? = nil, content: String? = nil, menuId: String? = nil) {
        self.toUserName = toUserName
        self.fromUserName = fromUserName
        self.createTime = createTime
        self.msgType = msgType
        self.event = event
        self.eventKey = eventKey
        self.msgId = msgId
        self.content = content
        self.menuId = menuId
    }

    public struct Malformed: Error, Equatable, Sendable, CustomStringConvertible {
        public var reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    /// Reads a decrypted or plain push: XML (`<xml>…</xml>`) or WeChat's JSON data format.
    public static func parse(_ bytes: [UInt8]) throws(Malformed) -> Push {
        let first = bytes.first { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }
        if first == UInt8(ascii: "{") { return try parseJSON(bytes) }
        let root: XMLElement
        do {
            root = try PushXML.parse(bytes)
        } catch {
            throw Malformed("malformed XML: \(error)")
        }
        return try from(root)
    }

    public static func from(_ root: XMLElement) throws(Malformed) -> Push {
        guard root.name == "xml" else { throw Malformed("the root element must be <xml>") }
        func field(_ name: String) -> String? {
            guard let text = root[name]?.text else { return nil }
            let trimmed = trimmingWhitespace(text)
            return trimmed.isEmpty ? nil : trimmed
        }
        return try build(
            to: field("ToUserName"), from: field("FromUserName"), createTime: field("CreateTime"),
            msgType: field("MsgType"), event: field("Event"), eventKey: root["EventKey"]?.text,
            msgId: field("MsgId"), content: root["Content"]?.text, menuId: field("bizmsgmenuid"))
    }

    private static func parseJSON(_ bytes: [UInt8]) throws(Malformed) -> Push {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw Malformed("malformed JSON push")
        }
        func field(_ name: String) -> String? {
            switch object[name] {
            case let string as String: return string.isEmpty ? nil : string
            case let number as NSNumber: return number.stringValue
            default: return nil
            }
        }
        return try build(
            to: field("ToUserName"), from: field("FromUserName"), createTime: field("CreateTime"),
            msgType: field("MsgType"), event: field("Event"), eventKey: field("EventKey"),
            msgId: field("MsgId"), content: field("Content"), menuId: field("bizmsgmenuid"))
    }

    private static func build(
        to: String?, from: String?, createTime: String?, msgType: String?,
        event: String?, eventKey: String?, msgId: String?, content: String?, menuId: String?
    ) throws(Malformed) -> Push {
        guard let to else { throw Malformed("ToUserName is missing") }
        guard let from else { throw Malformed("FromUserName is missing") }
        guard from.utf8.count <= 128 else { throw Malformed("FromUserName is too long") }
        guard let createTime else { throw Malformed("CreateTime is missing") }
        guard let seconds = Int64(createTime), seconds > 0 else { throw Malformed("CreateTime is not a Unix time") }
        guard let msgType else { throw Malformed("MsgType is missing") }
        if msgType == "event", event == nil { throw Malformed("Event is missing from an event push") }
        // A menu option id is kept only where a menu rule can use it: on a text message, and
        // no longer than a rule's key may be.
        let menuId = msgType == "text" ? menuId.flatMap { $0.utf8.count <= 128 ? $0 : nil } : nil
        return Push(toUserName: to, fromUserName: from, createTime: seconds, msgType: msgType,
                    event: event, eventKey: eventKey.flatMap { $0.isEmpty ? nil : $0 },
                    msgId: msgId, content: content, menuId: menuId)
    }
}

/// `text` without leading and trailing whitespace and newlines, in Swift rather than through
/// Foundation's NSString bridge (which profiling showed on every push's fields); almost every
/// field has none, and is returned as it is.
func trimmingWhitespace(_ text: String) -> String {
    guard let first = text.first, let last = text.last, first.isWhitespace || last.isWhitespace else { return text }
    guard let start = text.firstIndex(where: { !$0.isWhitespace }), let end = text.lastIndex(where: { !$0.isWhitespace }) else {
        return ""
    }
    return String(text[start...end])
}
