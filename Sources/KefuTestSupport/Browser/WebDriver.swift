import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Real headless Chromium for the console's browser suite, driven through WebDriver (W3C) by
/// Debian's `chromium-driver`: a `chromedriver` process on a loopback port, one browser session.
public final class WebDriver: @unchecked Sendable {
    // @unchecked: `session` is set once by `start` before the driver is shared.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    let driver: KefuProcess
    let base: String
    private(set) var session = ""

    public static let chromium = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"].first { FileManager.default.isExecutableFile(atPath: $0) }
    public static let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Whether this machine can run the browser suite (`scripts/test` installs both packages).
    public static var available: Bool { chromium != nil && chromedriver != nil }

    private init(driver: KefuProcess, port: Int) {
        self.driver = driver
        base = "http://127.0.0.1:\(port)"
    }

    /// Starts chromedriver and a headless Chromium whose preferred language is `language`.
    public static func start(language: String = "zh-CN", width: Int = 1280, height: Int = 900, directory: String) async throws -> WebDriver {
        guard let chromium, let chromedriver else { throw Failure(description: "chromium and chromium-driver are not installed") }
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = Int.random(in: 20_000...45_000)
            let process = try KefuProcess(executable: chromedriver, arguments: ["--port=\(port)"], directory: directory, logName: "chromedriver")
            let driver = WebDriver(driver: process, port: port)
            do {
                try await eventually("chromedriver to listen", timeout: .seconds(20)) {
                    guard process.process.isRunning else { throw Failure(description: "chromedriver exited: \(process.output)") }
                    return ((try? await driver.call(.GET, "/status"))?["value"] as? [String: Any])?["ready"] as? Bool == true
                }
                let answer = try await driver.call(.POST, "/session", [
                    "capabilities": ["alwaysMatch": [
                        "browserName": "chrome",
                        "goog:chromeOptions": [
                            "binary": chromium,
                            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                     "--window-size=\(width),\(height)", "--lang=\(language)", "--hide-scrollbars"],
                            "prefs": ["intl.accept_languages": language],
                        ] as [String: Any],
                    ] as [String: Any]],
                ])
                guard let id = answer["sessionId"] as? String else { throw Failure(description: "no browser session: \(answer)") }
                driver.session = id
                return driver
            } catch {
                lastError = error
                try? await process.kill()
            }
        }
        throw lastError ?? Failure(description: "chromedriver did not start")
    }

    public func quit() async {
        if !session.isEmpty { _ = try? await call(.DELETE, "") }
        try? await driver.stop()
    }

    // MARK: Commands

    public func go(_ url: String) async throws { _ = try await call(.POST, "/url", ["url": url]) }

    public func url() async throws -> String { try await call(.GET, "/url")["value"] as? String ?? "" }

    public func source() async throws -> String { try await call(.GET, "/source")["value"] as? String ?? "" }

    /// The first element matching a CSS selector.
    public func find(_ css: String) async throws -> String {
        let value = try await call(.POST, "/element", ["using": "css selector", "value": css])["value"] as? [String: Any]
        guard let id = value?.values.first as? String else { throw Failure(description: "no element \(css)") }
        return id
    }

    public func count(_ css: String) async throws -> Int {
        (try await call(.POST, "/elements", ["using": "css selector", "value": css])["value"] as? [Any])?.count ?? 0
    }

    public func click(_ css: String) async throws { _ = try await call(.POST, "/element/\(try await find(css))/click", [:]) }

    public func type(_ css: String, _ text: String) async throws {
        let element = try await find(css)
        _ = try await call(.POST, "/element/\(element)/clear", [:])
        _ = try await call(.POST, "/element/\(element)/value", ["text": text])
    }

    /// Chooses a local file in an `<input type=file>`.
    public func attach(_ css: String, path: String) async throws {
        _ = try await call(.POST, "/element/\(try await find(css))/value", ["text": path])
    }

    public func text(_ css: String) async throws -> String {
        try await call(.GET, "/element/\(try await find(css))/text")["value"] as? String ?? ""
    }

    /// The text of an open JavaScript dialog (`alert`), or nil when there is none.
    public func alertText() async throws -> String? {
        let answer = try await call(.GET, "/alert/text", allowError: true)
        if let error = answer["value"] as? [String: Any], error["error"] != nil { return nil }
        return answer["value"] as? String
    }

    /// A PNG of the viewport, written to `path`.
    public func screenshot(to path: String) async throws {
        guard let base64 = try await call(.GET, "/screenshot")["value"] as? String, let data = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot")
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    public func resize(width: Int, height: Int) async throws {
        _ = try await call(.POST, "/window/rect", ["width": width, "height": height])
    }

    // MARK: Protocol

    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil, allowError: Bool = false) async throws -> [String: Any] {
        let url = path == "/status" || path == "/session" ? base + path : "\(base)/session/\(session)\(path)"
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]) ?? [:]
        if response.status.code >= 400 && !allowError {
            throw Failure(description: "\(method) \(path): \(response.status.code) \(String(buffer: bytes).prefix(500))")
        }
        return path == "/session" ? (object["value"] as? [String: Any] ?? object) : object
    }
}
