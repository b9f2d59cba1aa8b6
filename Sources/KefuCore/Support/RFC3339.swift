import Foundation

/// Times cross the API as RFC 3339 strings and live in stores as Unix milliseconds.
public enum RFC3339 {
    /// `2026-11-25T20:09:25.123Z` (UTC, milliseconds).
    public static func format(millis: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Parses `2026-11-25T20:09:25Z`, with optional fractional seconds and a `Z` or numeric offset.
    public static func parse(_ text: String) -> Int64? {
        for fractional in [false, true] {
            if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: fractional).parse(text) {
                return Int64((date.timeIntervalSince1970 * 1000).rounded())
            }
        }
        return nil
    }
}
