import Foundation
import KefuCore
import KefuStore
import Logging

/// Where a command's master keys come from (README, Security).
public enum MasterKeyFiles {
    /// The key file kefu creates beside an SQLite file when none is given.
    public static func besideSQLite(_ path: String) -> String { path + ".master-key" }

    /// The key ring for `database`: `keyFile` (`--master-key-file`) seals and opens, and
    /// `previousKeyFile` (`--previous-master-key-file`, during a rotation) opens too. Without a
    /// key file, an SQLite store uses the file beside it, created (0600) on first use and
    /// announced with `announce`; PostgreSQL, shared by every host, needs one given.
    public static func keyring(database: String, keyFile: String?, previousKeyFile: String?, logger: Logger,
                               announce: (String) -> Void) throws -> SecretKeyring {
        let current: MasterKey
        if let keyFile, !keyFile.isEmpty {
            current = try load(keyFile, option: "--master-key-file", logger: logger)
        } else if let path = StoreFactory.sqlitePath(database) {
            let beside = besideSQLite(path)
            if FileManager.default.fileExists(atPath: beside) {
                current = try load(beside, option: "the master key file beside the database", logger: logger)
            } else {
                let key = MasterKey.generate()
                do {
                    try key.write(to: beside)
                    current = key
                    announce("kefu: created the master key file \(beside) (mode 0600, key \(key.id)); it seals the secrets in \(path) — back it up with the database, which cannot be read without it")
                } catch {
                    // Another process created it first: use theirs.
                    guard FileManager.default.fileExists(atPath: beside) else { throw error }
                    current = try load(beside, option: "the master key file beside the database", logger: logger)
                }
            }
        } else {
            throw KefuError(.badConfiguration,
                            "--master-key-file: PostgreSQL needs a master key shared by every host; make one with `kefu keys generate --out kefu.master-key` and pass it as --master-key-file or KEFU_MASTER_KEY_FILE")
        }
        var previous: [MasterKey] = []
        if let previousKeyFile, !previousKeyFile.isEmpty {
            previous.append(try load(previousKeyFile, option: "--previous-master-key-file", logger: logger))
        }
        return SecretKeyring(current: current, previous: previous)
    }

    static func load(_ path: String, option: String, logger: Logger) throws -> MasterKey {
        let key = try MasterKey.load(path: path, option: option)
        if MasterKey.isReadableByOthers(path: path) {
            logger.warning("the master key file can be read by other users of this machine: chmod 600 it",
                           metadata: ["kefu.key.file": "\(path)"])
        }
        return key
    }
}
