import Foundation

/// The checkout this suite was built from: for files the tests read or write in place (the
/// OpenAPI document, the fuzzers' saved inputs, the contract hooks, the virtualenv).
enum Repository {
    /// `Tests/KefuTests/Support/Repository.swift`, four levels down.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}
