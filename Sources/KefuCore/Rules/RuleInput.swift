import Foundation

/// A delayed-message rule as requests give it: the API's `POST`/`PATCH /api/v1/rules` and the
/// console's form read it here, so both check it the same way (and the fuzzer, `scripts/fuzz`).
extension DelayedRule {
    /// The fields a new rule must have.
    public static let requiredFields = ["name", "trigger", "delay_seconds", "message"]

    /// Applies the fields present in `object` (a request's JSON, as the API and the console take
    /// it), validating each: a `KefuError.invalid` naming the field (HTTP 422), nothing applied
    /// from the field that failed.
    public mutating func apply(json object: [String: Any]) throws {
        var rule = self
        defer { self = rule }
        let body = JSONFields(object)
        if let name = try body.string("name") {
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 100 else {
                throw KefuError.invalid("name", "must be 1 to 100 characters")
            }
            rule.name = name
        }
        if let trigger = try body.object("trigger") {
            let kinds = DelayedRule.TriggerKind.allCases.map(\.rawValue) + ["any"]
            let kindText = try trigger.requiredString("kind", hint: ": one of \(kinds.joined(separator: ", "))")
            guard kinds.contains(kindText) else {
                throw KefuError.invalid("trigger.kind", "must be one of \(kinds.joined(separator: ", "))")
            }
            var key: String?
            if let text = try trigger.string("key") {
                guard !text.isEmpty, text.utf8.count <= 128 else { throw KefuError.invalid("trigger.key", "must be 1 to 128 characters") }
                guard kindText != "any" else { throw KefuError.invalid("trigger.key", "is not allowed with kind any") }
                key = text
            }
            rule.trigger = .init(kind: DelayedRule.TriggerKind(rawValue: kindText), key: key)
        }
        if body.has("delay_seconds") {
            guard let delay = try body.integer("delay_seconds"), (0...DelayedRule.maxDelaySeconds).contains(delay) else {
                throw KefuError.invalid("delay_seconds", "must be a whole number from 0 to \(DelayedRule.maxDelaySeconds)")
            }
            rule.delaySeconds = delay
        }
        if let message = try MessageInput.read(body, current: rule.message) { rule.message = message }
        if let value = try body.bool("enabled") { rule.enabled = value }
        if let value = try body.bool("once_per_follower") { rule.oncePerFollower = value }
        if body.has("cooldown_seconds") {
            guard let value = try body.integer("cooldown_seconds"), (0...30 * 86_400).contains(value) else {
                throw KefuError.invalid("cooldown_seconds", "must be a whole number from 0 to 2592000")
            }
            rule.cooldownSeconds = value
        }
    }
}
