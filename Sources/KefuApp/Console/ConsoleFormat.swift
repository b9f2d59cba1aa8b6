import Foundation
import KefuCore

/// Times as operators in China read them.
enum ConsoleFormat {
    /// 1.2 MB, 64 KB, 299 B.
    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20 { return String(format: "%.1f MB", Double(bytes) / Double(1 << 20)) }
        if bytes >= 1 << 10 { return String(format: "%.0f KB", Double(bytes) / Double(1 << 10)) }
        return "\(bytes) B"
    }

    /// China keeps UTC+8 all year (no daylight saving since 1991), so one fixed-offset calendar.
    static let china: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        return calendar
    }()

    /// `2026-12-01 08:30 (UTC+8)`.
    static func chinaTime(_ millis: Int64) -> String {
        let parts = china.dateComponents([.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: Double(millis) / 1000))
        return String(format: "%04d-%02d-%02d %02d:%02d (UTC+8)", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }
}

extension ConsoleFormat {
    /// How far in the past a send time may lie before it is taken for a mistake (as the API).
    static var pastTolerance: Int64 { 60_000 }

    /// A send time as a `datetime-local` input gives it (`2026-12-01T20:30`, seconds optional),
    /// read as China time; blank → `now`. More than a minute in the past, or not such a time,
    /// is a 422 naming `send_at`, so a mistyped year never broadcasts at once.
    static func parseChinaTime(_ text: String, now: Int64) throws -> Int64 {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return now }
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == "T" || $0 == ":" || $0 == " " }).map { Int($0) }
        guard (5...6).contains(parts.count), parts.allSatisfy({ $0 != nil }), text.utf8.count <= 19 else {
            throw KefuError.invalid("send_at", "must be a date and time such as 2026-12-01T20:30 (China time)")
        }
        let numbers = parts.map { $0! }
        let components = DateComponents(year: numbers[0], month: numbers[1], day: numbers[2], hour: numbers[3], minute: numbers[4],
                                        second: numbers.count == 6 ? numbers[5] : 0)
        guard (2000...9999).contains(numbers[0]), components.isValidDate(in: china), let date = china.date(from: components) else {
            throw KefuError.invalid("send_at", "\(text) is not a date and time (China time)")
        }
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        guard millis >= now - pastTolerance else {
            throw KefuError.invalid("send_at", "\(text) is in the past; leave it empty to send now")
        }
        return millis
    }

    /// `14:00`: the hour and minute in China.
    static func chinaClock(_ millis: Int64) -> String {
        let parts = china.dateComponents([.hour, .minute], from: Date(timeIntervalSince1970: Double(millis) / 1000))
        return String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
    }

    /// A time for a `datetime-local` input, in China time.
    static func chinaInput(_ millis: Int64) -> String {
        let parts = china.dateComponents([.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: Double(millis) / 1000))
        return String(format: "%04d-%02d-%02dT%02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }
}
