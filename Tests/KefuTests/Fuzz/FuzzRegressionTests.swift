import Foundation
import KefuFuzz
import Testing

/// Every input the fuzzers found something with (`Tests/KefuTests/Fixtures/fuzz/regressions/`)
/// and every seed (`…/fuzz/seeds/`) runs through its target in-process: a regression is a crash
/// of this suite. `scripts/fuzz` finds new ones; the README's test command runs it briefly.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let root = Repository.root.appendingPathComponent("Tests/KefuTests/Fixtures/fuzz")

    static func files(_ directory: URL) throws -> [[UInt8]] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return try names.filter { !$0.hasPrefix(".") }.sorted().map { Array(try Data(contentsOf: directory.appendingPathComponent($0))) }
    }

    /// A target's seeds, as `scripts/fuzz` makes its corpus: the push fixtures for the XML reader,
    /// and for the callback opener each of them sent plain (mode 0) and encrypted (mode 2);
    /// the others' own seeds under `fuzz/seeds/`.
    static func seeds(_ target: String) throws -> [[UInt8]] {
        let pushes = try files(root.deletingLastPathComponent().appendingPathComponent("push"))
        switch target {
        case "push-xml": return pushes
        case "callback": return pushes.flatMap { [[0] + $0, [2] + $0] } + [[1] + Array("aGVsbG8=".utf8), [3] + Array("0".utf8)]
        default: return try files(root.appendingPathComponent("seeds/\(target)"))
        }
    }

    @Test("each target's seeds and saved findings run through it without a crash or a broken invariant",
          arguments: FuzzTargets.names)
    func replay(target: String) throws {
        let seeds = try Self.seeds(target), regressions = try Self.files(Self.root.appendingPathComponent("regressions/\(target)"))
        #expect(!seeds.isEmpty, "a target without seeds: Tests/KefuTests/Fixtures/fuzz/seeds/\(target)/")
        for input in seeds + regressions { FuzzTargets.run(target, input) }
    }
}
