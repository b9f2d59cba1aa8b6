/// WeChat's quota day: midnight to midnight, China time (UTC+8, no daylight saving).
public enum QuotaDay {
    static let offset: Int64 = 8 * 3_600_000
    static let length: Int64 = 86_400_000

    /// The day number of a Unix-millisecond time.
    public static func of(_ millis: Int64) -> Int64 { (millis + offset) / length }

    /// The Unix-millisecond time of the next China midnight after `millis`.
    public static func nextStart(after millis: Int64) -> Int64 { (of(millis) + 1) * length - offset }
}
