/// What WeChat calls a temporary media's `type`: the message types that carry a `media_id`
/// (image, voice, video) and the thumbnail a mini-program card or a video carries.
public enum MediaKind: String, Sendable, CaseIterable, Codable {
    case image, voice, video, thumb
}

/// A file format kefu recognises by its first bytes (never by its name or the type a client
/// declares): the formats WeChat's media upload takes.
public enum MediaFormat: String, Sendable, CaseIterable, Codable {
    case png, jpeg, gif, amr, mp3, mp4

    /// The content type kefu stores and serves the bytes with.
    public var contentType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .gif: "image/gif"
        case .amr: "audio/amr"
        case .mp3: "audio/mpeg"
        case .mp4: "video/mp4"
        }
    }

    /// The extension a filename gets when it is sent to WeChat (WeChat checks it).
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        default: rawValue
        }
    }

    /// The format `bytes` begin like, or nil. PNG's and GIF's signatures, JPEG's SOI marker
    /// followed by another marker, AMR's `#!AMR\n`, MP3 as an ID3 tag or an MPEG audio frame
    /// header, MP4 as an ISO base media file whose first box is `ftyp`.
    public static func sniff(_ bytes: some Collection<UInt8>) -> MediaFormat? {
        let head = Array(bytes.prefix(12))
        func starts(_ prefix: [UInt8]) -> Bool { head.count >= prefix.count && Array(head.prefix(prefix.count)) == prefix }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts(Array("#!AMR\n".utf8)) { return .amr }
        if starts(Array("ID3".utf8)) { return .mp3 }
        // An MPEG-1/2 audio frame: 11 sync bits, a layer that is not "reserved", a bitrate
        // index that is not "bad" and a sample rate that is not "reserved".
        if head.count >= 4, head[0] == 0xFF, head[1] & 0xE0 == 0xE0, head[1] & 0x06 != 0, head[1] & 0x18 != 0x08,
           head[2] & 0xF0 != 0xF0, head[2] & 0x0C != 0x0C {
            return .mp3
        }
        if head.count >= 12, Array(head[4..<8]) == Array("ftyp".utf8) { return .mp4 }
        return nil
    }
}

/// WeChat's limits on temporary media, per kind: the formats it takes and the largest file.
/// The table is configuration (`--media-limits FILE`), since WeChat has changed it before.
public struct MediaLimits: Sendable, Equatable {
    public struct Limit: Sendable, Equatable {
        public var maxBytes: Int
        public var formats: [MediaFormat]
        public init(maxBytes: Int, formats: [MediaFormat]) {
            self.maxBytes = maxBytes
            self.formats = formats
        }
    }

    public var limits: [MediaKind: Limit]

    public init(_ limits: [MediaKind: Limit]) { self.limits = limits }

    /// WeChat's published limits (WECHAT.md, media): image PNG/JPEG/GIF ≤ 10 MB, voice AMR/MP3
    /// ≤ 2 MB, video MP4 ≤ 10 MB, thumb JPEG ≤ 64 KB.
    public static let wechat = MediaLimits([
        .image: .init(maxBytes: 10 << 20, formats: [.png, .jpeg, .gif]),
        .voice: .init(maxBytes: 2 << 20, formats: [.amr, .mp3]),
        .video: .init(maxBytes: 10 << 20, formats: [.mp4]),
        .thumb: .init(maxBytes: 64 << 10, formats: [.jpeg]),
    ])

    /// The largest file any kind takes: with a little room for the multipart envelope, the
    /// upload body limit.
    public var largest: Int { limits.values.map(\.maxBytes).max() ?? 0 }

    /// The limit for `kind`; a kind the table leaves out takes nothing.
    public func limit(_ kind: MediaKind) -> Limit { limits[kind] ?? .init(maxBytes: 0, formats: []) }

    /// The format of `bytes` when they are a `kind` WeChat takes; otherwise a 422 naming what is
    /// wrong: emptiness, the format, or the size.
    public func check(_ bytes: [UInt8], kind: MediaKind, field: String = "file") throws -> MediaFormat {
        let limit = limit(kind)
        guard !bytes.isEmpty else { throw KefuError.invalid(field, "is empty") }
        let allowed = limit.formats.map { $0.rawValue.uppercased() }.joined(separator: ", ")
        guard let format = MediaFormat.sniff(bytes) else {
            throw KefuError.invalid(field, "is not a format WeChat takes as \(kind.rawValue) (\(allowed)): its content is none of them")
        }
        guard limit.formats.contains(format) else {
            throw KefuError.invalid(field, "is \(format.rawValue.uppercased()), but \(kind.rawValue) takes \(allowed)")
        }
        guard bytes.count <= limit.maxBytes else {
            throw KefuError.invalid(field, "is \(Self.size(bytes.count)), over the \(Self.size(limit.maxBytes)) WeChat takes as \(kind.rawValue)")
        }
        return format
    }

    /// Reads a limits table: `{"image": {"max_bytes": 10485760, "formats": ["png", "jpeg", "gif"]}, …}`.
    /// Kinds left out keep WeChat's limits.
    public static func parse(_ object: Any, path: String = "media limits") throws -> MediaLimits {
        let fields = try JSONFields(value: object, path: path)
        var limits = MediaLimits.wechat
        for key in fields.object.keys.sorted() {
            guard let kind = MediaKind(rawValue: key) else {
                throw KefuError.invalid(fields.field(key), "is not one of \(MediaKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let entry = try JSONFields(value: fields.raw(key) as Any, path: fields.field(key))
            guard let maxBytes = try entry.integer("max_bytes"), maxBytes > 0 else {
                throw KefuError.invalid(entry.field("max_bytes"), "is required: a positive number of bytes")
            }
            guard let names = try entry.array("formats"), !names.isEmpty else {
                throw KefuError.invalid(entry.field("formats"), "is required: a list of \(MediaFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var formats: [MediaFormat] = []
            for (index, name) in names.enumerated() {
                guard let text = name as? String, let format = MediaFormat(rawValue: text) else {
                    throw KefuError.invalid("\(entry.field("formats"))[\(index)]", "is not one of \(MediaFormat.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                formats.append(format)
            }
            limits.limits[kind] = .init(maxBytes: maxBytes, formats: formats)
        }
        return limits
    }

    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KB" }
        return "\(bytes) bytes"
    }
}

/// A file in an account's media library: kept by kefu (its bytes in the store, so every host
/// can upload them to WeChat), and the WeChat media id it was last uploaded as.
public struct MediaItem: Sendable, Equatable {
    /// `m_` and 20 hex digits: kefu's id, which messages name as `kefu_media`.
    public var id: String
    public var appid: String
    public var kind: MediaKind
    public var filename: String
    public var contentType: String
    public var bytes: Int
    /// Hex SHA-256 of the bytes: identical bytes of one kind are one item per account.
    public var sha256: String
    public var createdAt: Int64
    /// WeChat's temporary media id from the last upload, and when WeChat gave it.
    public var wechatMediaId: String?
    public var wechatUploadedAt: Int64?

    public init(id: String, appid: String, kind: MediaKind, filename: String, contentType: String, bytes: Int, sha256: String,
                createdAt: Int64, wechatMediaId: String? = nil, wechatUploadedAt: Int64? = nil) {
        self.id = id
        self.appid = appid
        self.kind = kind
        self.filename = filename
        self.contentType = contentType
        self.bytes = bytes
        self.sha256 = sha256
        self.createdAt = createdAt
        self.wechatMediaId = wechatMediaId
        self.wechatUploadedAt = wechatUploadedAt
    }

    /// Whether `text` has the shape of a kefu media id (checked before any store read).
    public static func isId(_ text: String) -> Bool {
        text.utf8.count == 22 && text.hasPrefix("m_") && text.utf8.dropFirst(2).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// A filename safe to keep and show: the last path component, without control characters,
    /// at most 128 bytes; "upload" when nothing is left.
    public static func cleanFilename(_ raw: String?) -> String {
        let base = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var name = String(String.UnicodeScalarView(base.unicodeScalars.filter { !isControlOrFormat($0) }))
            .trimmingSpaces()
        while name.utf8.count > 128 { name.removeLast() }
        return name.isEmpty || name == "." || name == ".." ? "upload" : name
    }
}

private func isControlOrFormat(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
