import Foundation

/// Typed reads of a JSON object's members (as `JSONSerialization` gives them), each failure a
/// `422` naming the field and saying what was wrong: a member of the wrong type is reported as
/// such — never as missing, and never silently dropped. `null` counts as absent.
public struct JSONFields {
    public let object: [String: Any]
    /// Where this object sits in the request (`message.news`), for field names in errors.
    public let path: String

    public init(_ object: [String: Any], path: String = "") {
        self.object = object
        self.path = path
    }

    /// Reads `value` as an object at `path`, or fails with "must be an object".
    public init(value: Any, path: String) throws {
        guard let object = value as? [String: Any] else { throw KefuError.invalid(path, "must be an object") }
        self.init(object, path: path)
    }

    public func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member, unless absent or null.
    public func raw(_ key: String) -> Any? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        return value
    }

    public func has(_ key: String) -> Bool { raw(key) != nil }

    public func string(_ key: String) throws -> String? {
        guard let value = raw(key) else { return nil }
        guard let text = value as? String else { throw KefuError.invalid(field(key), "must be a string") }
        return text
    }

    public func requiredString(_ key: String, hint: String = "") throws -> String {
        guard let text = try string(key) else { throw KefuError.invalid(field(key), "is required" + hint) }
        return text
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let value = raw(key) else { return nil }
        guard let flag = Self.boolean(value) else { throw KefuError.invalid(field(key), "must be true or false") }
        return flag
    }

    public func integer(_ key: String) throws -> Int? {
        guard let value = raw(key) else { return nil }
        guard let number = Self.integer(value) else { throw KefuError.invalid(field(key), "must be a whole number") }
        return number
    }

    public func object(_ key: String) throws -> JSONFields? {
        guard let value = raw(key) else { return nil }
        return try JSONFields(value: value, path: field(key))
    }

    public func requiredObject(_ key: String) throws -> JSONFields {
        guard let object = try object(key) else { throw KefuError.invalid(field(key), "is required") }
        return object
    }

    public func array(_ key: String) throws -> [Any]? {
        guard let value = raw(key) else { return nil }
        guard let array = value as? [Any] else { throw KefuError.invalid(field(key), "must be an array") }
        return array
    }

    /// A JSON `true` or `false` — not a number, which Foundation also hands out as an NSNumber.
    public static func boolean(_ value: Any) -> Bool? {
        guard let number = value as? NSNumber, isBoolean(number) else { return nil }
        return number.boolValue
    }

    /// A JSON whole number (not a boolean, not a fraction, within ±10^15).
    public static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 1e15 else { return nil }
        return number.intValue
    }

    static func isBoolean(_ number: NSNumber) -> Bool {
        // JSONSerialization makes `true`/`false` NSNumbers of Bool, whose type code is "c";
        // numbers come out as Int ("q") or Double ("d").
        String(cString: number.objCType) == "c"
    }
}
