import Foundation
import KefuStore

/// The master key the tests and the benchmark seal secrets with: one per test process, given to
/// the stores they open (`StoreBackend`, `KefuAppStore`) and, as `KEFU_MASTER_KEY_FILE`, to the
/// `kefu` processes they start (`KefuProcess`), as a deployment gives one key to all its hosts.
public enum TestMasterKey {
    public static let key = MasterKey.generate()
    public static let keyring = SecretKeyring(current: key)

    /// The key's file, written once (0600) in a directory of its own.
    public static let file: String = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-test-key-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/master-key"
        try! key.write(to: path)
        return path
    }()
}
