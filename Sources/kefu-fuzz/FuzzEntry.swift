import KefuFuzz

// Two builds of one file. `scripts/fuzz` builds it with `-sanitize=fuzzer,address -DKEFU_FUZZ`:
// libFuzzer runs (with its usual options) and calls the target `KEFU_FUZZ_TARGET` names with
// each input. The ordinary build is a replayer:
// `kefu-fuzz TARGET FILE...` runs each file through the target once, to reproduce a finding
// without the fuzzing toolchain.

#if KEFU_FUZZ
import Glibc

typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: FuzzCallback) -> CInt

/// The target this process fuzzes, read once (a global's initialiser runs once, atomically).
let target: String = {
    guard let name = getenv("KEFU_FUZZ_TARGET").map({ String(cString: $0) }), FuzzTargets.names.contains(name) else {
        let message = "set KEFU_FUZZ_TARGET to one of: \(FuzzTargets.names.joined(separator: ", "))\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
    return name
}()

/// What libFuzzer calls with each input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.run(target, data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

// libFuzzer's own `main` is linked in with `-sanitize=fuzzer`; this one, which SwiftPM names
// for the executable, hands over to the same driver should the linker pick it instead.
@main
struct Fuzz {
    static func main() {
        _ = target
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) })
    }
}
#else
import Foundation

@main
struct Replay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let target = arguments.first, FuzzTargets.names.contains(target), arguments.count > 1 else {
            FileHandle.standardError.write(Data("usage: kefu-fuzz TARGET FILE...   (targets: \(FuzzTargets.names.joined(separator: ", ")))\n".utf8))
            exit(2)
        }
        for path in arguments.dropFirst() {
            FuzzTargets.run(target, Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            print("\(target): \(path) ok")
        }
    }
}
#endif
