import Testing
@testable import KefuPostgres
@testable import KefuSQLite

/// A migration, once released, is history: databases have applied it and will not again, so its
/// text must never change — a change belongs in a new migration. Both stores build some
/// migrations from shared pieces (`FollowerUpsert`, `RecordFunction`); this pins what each
/// numbered migration says, so an edit to a shared piece cannot rewrite one silently.
@Suite("Migration history")
struct MigrationHistoryTests {
    /// FNV-1a (64-bit) of each migration's statements, joined by a line holding ";".
    static func fingerprints(_ migrations: [[String]]) -> [String] {
        migrations.map { statements in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in statements.joined(separator: "\n;\n").utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            let hex = String(hash, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }
    }

    @Test("the SQLite migrations say what they said when released")
    func sqlite() {
        #expect(Self.fingerprints(SQLiteSchema.migrations) == [
            "15d83646f20f0555", "6c6310f6e59b248f", "9c335a7816c039b5", "106d2aad313baa56", "635e12783560c722", "fbc6bd27b2dc9ebd", "271f7f1eba5ebaa8", "c16df47e27573cfa", "4b3c67cc5ac20c0c", "19093e4ffc1e8efe", "6e310070b2500209", "1ea0a285c5a059f6",
        ])
    }

    @Test("the PostgreSQL migrations say what they said when released")
    func postgres() {
        #expect(Self.fingerprints(PostgresSchema.migrations) == [
            "d5bb936c4e969457", "3005efd3d7ca85eb", "c40ba2dadff4e1d0", "0684fea69aa5ecc6", "1ef737da9d680ba2", "00fba01bc7853ad2", "71d4a0dbf06122e2", "4b3c67cc5ac20c0c", "6e2c8680f057750b", "dfacbf704b769edc", "15d1a253b2c4f8e8",
        ])
    }
}
