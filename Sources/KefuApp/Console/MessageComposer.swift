import Foundation
import KefuCore
import KefuStore
import WeChatProtocol

/// A console form sent as `multipart/form-data` (so a file can be uploaded on the spot): its
/// text fields by name and its non-empty file parts.
struct ConsoleMultipart {
    var fields: [String: String] = [:]
    var files: [String: MultipartForm.Part] = [:]

    init(_ form: MultipartForm) {
        for part in form.parts {
            guard let name = part.name else { continue }
            if part.filename != nil {
                if !part.body.isEmpty { files[name] = part }
            } else if fields[name] == nil {
                fields[name] = String(decoding: part.body, as: UTF8.self)
            }
        }
    }

    /// The field's text ("" when absent).
    subscript(_ name: String) -> String { fields[name] ?? "" }

    /// The field's text, or nil when absent or blank.
    func nonEmpty(_ name: String) -> String? {
        let text = self[name].trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}

/// The message composer of the task and rule forms: one fieldset per message type operators
/// send, read into WeChat's JSON and checked by the same validation as the admin API
/// (`CustomMessage(object:)`), so the console cannot store what the API would refuse.
enum MessageComposer {
    /// The types the composer offers, in the order of its menu.
    static let types = ["text", "image", "voice", "news", "miniprogrampage", "msgmenu"]

    /// The file input and library field of each type that takes a library file, and its kind.
    static let mediaFields: [(type: String, field: String, upload: String, kind: MediaKind)] = [
        ("image", "image_media", "image_upload", .image),
        ("voice", "voice_media", "voice_upload", .voice),
        ("miniprogrampage", "mp_thumb", "mp_upload", .thumb),
    ]

    /// Every field of the composer (the form's other fields are the task's or the rule's).
    static let fieldNames = ["msgtype", "kf_account", "text_content", "image_media", "voice_media", "news_title", "news_description",
                             "news_url", "news_picurl", "mp_title", "mp_appid", "mp_pagepath", "mp_thumb", "menu_head", "menu_options",
                             "menu_tail"]

    /// The message the form describes; a `KefuError` naming the API field when it is not valid.
    static func message(_ form: ConsoleMultipart) throws -> CustomMessage {
        let type = form["msgtype"]
        guard types.contains(type) else { throw KefuError.invalid("message.msgtype", "must be one of \(types.joined(separator: ", "))") }
        var body: [String: Any] = [:]
        switch type {
        case "text":
            body = ["content": form["text_content"]]
        case "image":
            body = ["kefu_media": form["image_media"]]
        case "voice":
            body = ["kefu_media": form["voice_media"]]
        case "news":
            var article: [String: Any] = ["title": form["news_title"], "url": form["news_url"]]
            if let text = form.nonEmpty("news_description") { article["description"] = text }
            if let text = form.nonEmpty("news_picurl") { article["picurl"] = text }
            body = ["articles": [article]]
        case "miniprogrampage":
            body = ["title": form["mp_title"], "appid": form["mp_appid"], "pagepath": form["mp_pagepath"], "thumb_kefu_media": form["mp_thumb"]]
        default:  // msgmenu
            body = ["head_content": form["menu_head"], "tail_content": form["menu_tail"],
                    "list": menuOptions(form["menu_options"]).map { ["id": $0.id, "content": $0.content] }]
        }
        var message = try CustomMessage(object: ["msgtype": type, type: body] as [String: Any])
        if let agent = form.nonEmpty("kf_account") { message.kfAccount = try CustomMessage.checkKfAccount(agent, field: "kf_account") }
        return message
    }

    /// A menu's options, one per line: `id|text`, or just the text (numbered 1, 2, … then).
    static func menuOptions(_ text: String) -> [(id: String, content: String)] {
        var options: [(id: String, content: String)] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let line = line.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            if let bar = line.firstIndex(of: "|") {
                options.append((line[..<bar].trimmingCharacters(in: .whitespaces), line[line.index(after: bar)...].trimmingCharacters(in: .whitespaces)))
            } else {
                options.append((String(options.count + 1), line))
            }
        }
        return options
    }

    /// The form's fields as a stored message fills them (editing a rule).
    static func fields(of message: CustomMessage) -> [String: String] {
        var fields = ["msgtype": message.msgtype, "kf_account": message.kfAccount ?? ""]
        func id(_ ref: MediaRef) -> String { if case .kefu(let id) = ref { id } else { "" } }
        switch message.content {
        case .text(let content): fields["text_content"] = content
        case .image(let ref): fields["image_media"] = id(ref)
        case .voice(let ref): fields["voice_media"] = id(ref)
        case .news(let title, let description, let url, let picurl):
            fields["news_title"] = title
            fields["news_description"] = description ?? ""
            fields["news_url"] = url
            fields["news_picurl"] = picurl ?? ""
        case .miniprogrampage(let title, let appid, let pagepath, let thumb):
            fields["mp_title"] = title
            fields["mp_appid"] = appid
            fields["mp_pagepath"] = pagepath
            fields["mp_thumb"] = id(thumb)
        case .msgmenu(let menu):
            fields["menu_head"] = menu.head
            fields["menu_tail"] = menu.tail
            fields["menu_options"] = menu.options.map { "\($0.id)|\($0.content)" }.joined(separator: "\n")
        default:
            // Types the composer does not offer (video, mpnews …) are edited through the API.
            fields["msgtype"] = "text"
        }
        return fields
    }

    /// The composer's template values: what was typed, the library files to pick from (each
    /// `selected` when picked) and what the phone preview shows.
    static func values(_ fields: [String: String], appid: String, library: [MediaItem], text: [String: String]) -> [String: Any] {
        let type = types.contains(fields["msgtype"] ?? "") ? fields["msgtype"]! : "text"
        var values: [String: Any] = ["appid": appid, "textMax": CustomMessage.maxTextBytes]
        for name in fieldNames { values[name] = fields[name] ?? "" }
        values["types"] = types.map { ["value": $0, "label": text["type_\($0)"] ?? $0, "selected": $0 == type] }
        values["is_\(type)"] = true
        values["textBytes"] = (fields["text_content"] ?? "").utf8.count
        for media in mediaFields {
            let picked = fields[media.field] ?? ""
            values["\(media.field)_options"] = library.filter { $0.kind == media.kind }.map {
                ["id": $0.id, "label": $0.filename, "selected": $0.id == picked] as [String: Any]
            }
        }
        // The phone preview: every type's block is on the page (the script switches between
        // them); pictures only for ids of kefu's own form.
        values["previewOptions"] = menuOptions(fields["menu_options"] ?? "").map { ["content": $0.content] }
        if let id = fields["image_media"], MediaItem.isId(id) { values["previewImage"] = id }
        if let id = fields["mp_thumb"], MediaItem.isId(id) { values["previewThumb"] = id }
        if let id = fields["voice_media"] { values["previewVoice"] = library.first { $0.id == id }?.filename ?? "" }
        return values
    }

    /// Uploads the composer's file inputs (a picture picked from the computer rather than the
    /// library) and points the message's library fields at them; returns the form so filled.
    static func uploadOnTheSpot(_ form: ConsoleMultipart, appid: String, limits: MediaLimits, store: any MediaStore,
                                clock: any WallClock) async throws -> ConsoleMultipart {
        var filled = form
        for media in mediaFields where media.type == form["msgtype"] {
            guard let file = form.files[media.upload] else { continue }
            do {
                let (item, _) = try await MediaUpload.store(file, kind: media.kind, appid: appid, limits: limits, store: store, clock: clock)
                filled.fields[media.field] = item.id
            } catch let error as KefuError {
                throw KefuError.invalid(media.upload, error.message)
            }
        }
        return filled
    }
}
