import KefuCore

/// The secrets at rest under the master keys (README, Security): `kefu keys rotate` and
/// `kefu keys status`. Every backend seals and opens them with the `SecretKeyring` it was opened with.
public protocol SecretsMaintenance: Sendable {
    /// Re-seals every secret not under the current key, in batches, the store serving meanwhile.
    func resealSecrets(batchSize: Int, progress: @Sendable (SecretsReport) -> Void) async throws -> SecretsReport
    /// How many stored secrets are sealed under each key id ("plain": not sealed).
    func secretKeyCounts() async throws -> [String: Int]
}

/// What a sealing pass did.
public struct SecretsReport: Sendable, Equatable {
    /// Values read (and opened) in all.
    public var checked = 0
    /// Values written again: sealed for the first time, or under the current key.
    public var resealed = 0
    /// Values still under another key after the pass (changed meanwhile by a process sealing
    /// with an older key); a rotation repeats until none is left.
    public var stale = 0

    public init() {}
}
