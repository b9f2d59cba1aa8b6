import Foundation

/// Which follower actions open a customer-service window, for how many sends and how long.
///
/// WeChat changes these rules, so they are configuration (`--window-policy FILE`). The default is
/// WeChat's current rule table (WECHAT.md §1). A kind not listed opens no grant.
public struct WindowPolicy: Sendable, Codable, Equatable {
    public struct Grant: Sendable, Codable, Equatable {
        /// The interaction kind that opens (or resets) this grant.
        public var on: InteractionKind
        /// Sends allowed while the grant is open; nil = unlimited.
        public var sends: Int?
        /// How long the grant stays open after the interaction.
        public var seconds: Int

        public init(on: InteractionKind, sends: Int?, seconds: Int) {
            self.on = on
            self.sends = sends
            self.seconds = seconds
        }

        /// Encode `sends: null` explicitly, as the documented file format shows it.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(on, forKey: .on)
            try container.encode(sends, forKey: .sends)
            try container.encode(seconds, forKey: .seconds)
        }
    }

    public var grants: [Grant]

    public init(grants: [Grant]) throws {
        self.grants = grants
        try validate()
    }

    /// WeChat's rules as of 2026: a message opens 5 sends for 48 h; a follow, QR scan or
    /// qualifying menu click opens 3 sends for 1 minute.
    public static let wechatDefault: WindowPolicy = try! WindowPolicy(grants: [
        Grant(on: .message, sends: 5, seconds: 172_800),
        Grant(on: .subscribe, sends: 3, seconds: 60),
        Grant(on: .scan, sends: 3, seconds: 60),
        Grant(on: .click, sends: 3, seconds: 60),
    ])

    /// The grant an interaction kind opens, if any.
    public func grant(for kind: InteractionKind) -> Grant? {
        grants.first { $0.on == kind }
    }

    /// The longest any grant stays open.
    public var longestSeconds: Int { grants.map(\.seconds).max() ?? 0 }

    public func validate() throws {
        var seen = Set<InteractionKind>()
        for (index, grant) in grants.enumerated() {
            let path = "grants[\(index)]"
            guard grant.on.canGrant else {
                throw KefuError(.badConfiguration, "\(path).on: \"\(grant.on.rawValue)\" cannot open a window")
            }
            guard seen.insert(grant.on).inserted else {
                throw KefuError(.badConfiguration, "\(path).on: \"\(grant.on.rawValue)\" is listed twice")
            }
            if let sends = grant.sends, sends < 1 {
                throw KefuError(.badConfiguration, "\(path).sends: must be at least 1, or null for unlimited")
            }
            guard grant.seconds >= 1 else {
                throw KefuError(.badConfiguration, "\(path).seconds: must be at least 1")
            }
        }
    }

    /// Parses the policy file format: `{"grants": [{"on", "sends", "seconds"}]}`.
    private struct File: Decodable { var grants: [RawGrant] }
    private struct RawGrant: Decodable { var on: String; var sends: Int?; var seconds: Int }

    public static func parse(json: Data) throws -> WindowPolicy {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: json)
        } catch {
            throw KefuError(.badConfiguration, "window policy is not valid JSON of the form {\"grants\": [{\"on\", \"sends\", \"seconds\"}]}", underlying: error)
        }
        var grants: [Grant] = []
        for (index, raw) in file.grants.enumerated() {
            guard let kind = InteractionKind(rawValue: raw.on) else {
                let known = InteractionKind.allCases.filter(\.canGrant).map(\.rawValue).joined(separator: ", ")
                throw KefuError(.badConfiguration, "grants[\(index)].on: unknown interaction kind \"\(raw.on)\" (one of \(known))")
            }
            grants.append(Grant(on: kind, sends: raw.sends, seconds: raw.seconds))
        }
        return try WindowPolicy(grants: grants)
    }
}
