import ArgumentParser
import Configuration
import Foundation
import KefuCore
import KefuStore
import KefuStoreFactory
import Logging

/// `kefu keys`: the master key that seals the secrets at rest (README, Security).
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make, rotate and inspect the master key that seals the secrets at rest.",
        subcommands: [Generate.self, Rotate.self, Status.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new random master key to a file readable by its owner only (0600); never overwrites one.")

        @Option(help: "The key file to create.")
        var out: String

        func run() async throws {
            let key = MasterKey.generate()
            do {
                try key.write(to: out)
            } catch {
                throw CommandFailure(error)
            }
            say("wrote master key \(key.id) to \(out) (mode 0600): give it to every kefu process as --master-key-file or KEFU_MASTER_KEY_FILE, and keep a copy apart from the database")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every secret under a new master key, in batches, while kefu keeps serving.",
            discussion: """
                The current key is --master-key-file (or the file beside an SQLite database); the new one is --new-key-file. \
                Before rotating, restart every kefu process with --master-key-file NEW --previous-master-key-file OLD, \
                so that each reads both keys and seals with the new one; afterwards, restart them with the new key only.
                """)

        @OptionGroup var common: CommonOptions

        @Option(help: "The new master key (from `kefu keys generate`).")
        var newKeyFile: String

        @Option(help: "Rows per transaction (default 100).")
        var batchSize: Int = 100

        func run() async throws {
            let reader = common.reader()
            do {
                guard (1...10_000).contains(batchSize) else { throw KefuError(.badConfiguration, "--batch-size: must be between 1 and 10000") }
                let new = try MasterKey.load(path: newKeyFile, option: "--new-key-file")
                var oldId = ""
                let (report, counts) = try await withCommandStore(reader, rekey: { old in
                    guard new.id != old.current.id else {
                        throw KefuError(.badConfiguration, "--new-key-file: holds the current master key \(new.id); make a new one with `kefu keys generate`")
                    }
                    oldId = old.current.id
                    return SecretKeyring(current: new, previous: [old.current] + old.previous)
                }) { store, _ in
                    let report = try await store.resealSecrets(batchSize: batchSize) { _ in }
                    return (report, try await store.secretKeyCounts())
                }
                let others = counts.filter { $0.key != new.id }.values.reduce(0, +)
                guard others == 0 else {
                    throw KefuError(.conflict,
                                    "\(others) secrets are still sealed under another key: a kefu process sealed them meanwhile with its old key. Restart every process with --master-key-file \(newKeyFile) --previous-master-key-file OLD, then run rotate again")
                }
                say("re-sealed \(report.resealed) of \(report.checked) secrets under master key \(new.id); none is left under \(oldId)")
                say("next: restart every kefu process with --master-key-file \(newKeyFile) alone; the old key is no longer needed")
            } catch {
                throw CommandFailure(error)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count the stored secrets sealed under each master key.")

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let reader = common.reader()
            do {
                let (counts, ring) = try await withCommandStore(reader) { store, ring in (try await store.secretKeyCounts(), ring) }
                say("master key \(ring.current.id) seals new secrets" + (ring.previous.isEmpty ? "" : "; previous: \(ring.previous.map(\.id).joined(separator: ", "))"))
                if counts.isEmpty { say("no secrets stored") }
                for (id, count) in counts.sorted(by: { $0.key < $1.key }) { say("\(id): \(count) secrets") }
            } catch {
                throw CommandFailure(error)
            }
        }
    }
}
