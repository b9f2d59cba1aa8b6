import Foundation

/// What Linux's `/proc` says about a running process: its memory, its open descriptors, its
/// children. Read by the benchmark's phases and by the tests that bound a process's memory.
/// Every reading of a process that has gone is empty (nil, 0 or none), never an error.
public enum ProcessStatus {
    /// A `kB` line of `/proc/PID/status` (`VmRSS`, `VmHWM`, …), in KiB.
    public static func kibibytes(_ field: String, of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("\(field):") }) else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }

    /// The resident set now (`VmRSS`), in MiB.
    public static func residentMiB(_ pid: Int32) -> Double {
        Double(kibibytes("VmRSS", of: pid) ?? 0) / 1024
    }

    /// The highest resident set so far (`VmHWM`), in MiB.
    public static func peakResidentMiB(_ pid: Int32) -> Double {
        Double(kibibytes("VmHWM", of: pid) ?? 0) / 1024
    }

    /// What each open descriptor points at (a path, `socket:[…]`, `pipe:[…]`, …).
    public static func descriptors(_ pid: Int32) -> [String] {
        let directory = "/proc/\(pid)/fd"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\($0)") }
    }

    /// Children, their children, and so on.
    public static func descendants(of pid: Int32) -> [Int32] {
        children(of: pid).flatMap { [$0] + descendants(of: $0) }
    }

    /// Running (a zombie, or a process gone, is not).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// The process's children, from every one of its threads.
    public static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task -> [Int32] in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0) }
        }
    }
}
