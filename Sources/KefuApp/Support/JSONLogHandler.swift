import Foundation
import KefuCore
import Logging

/// One JSON object per line on standard error — for log shippers (Loki, ELK, SLS).
/// `{"ts", "level", "label", "source", "msg", <metadata keys>…}`; metadata keys are dotted
/// (`kefu.appid`), nested metadata is flattened with dots.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        Self.flatten(merged, prefix: "", into: &fields)
        fields["ts"] = RFC3339.format(millis: SystemWallClock().nowMillis())
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["source"] = event.source
        fields["msg"] = event.message.description
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        FileHandle.standardError.write(data + Data("\n".utf8))
    }

    static func flatten(_ metadata: Logger.Metadata, prefix: String, into fields: inout [String: String]) {
        for (key, value) in metadata {
            let name = prefix.isEmpty ? key : "\(prefix).\(key)"
            switch value {
            case .dictionary(let nested): flatten(nested, prefix: name, into: &fields)
            case .array(let items): fields[name] = items.map(\.description).joined(separator: ",")
            default: fields[name] = value.description
            }
        }
    }
}
