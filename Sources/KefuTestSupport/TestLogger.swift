import Logging

extension Logger {
    /// The tests' logger: warnings and worse only, so a run does not print an "applied
    /// migration" line for every fresh store.
    public static func test(_ label: String = "test") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }
}
