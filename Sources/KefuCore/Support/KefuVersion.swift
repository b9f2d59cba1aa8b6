/// kefu's version, as `kefu --version` prints it.
public enum KefuVersion {
    public static let current = "0.3.0"
}
