import Foundation

/// Reads the files under `Fixtures/` (copied from shared/data/wechat-vectors).
enum Fixtures {
    static var root: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    }

    static func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    static func json(_ relative: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(bytes(relative))) as! [String: Any]
    }

    static func pushFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("push").path)
            .filter { $0.hasSuffix(".xml") }.sorted()
    }
}
