import Foundation
import Hummingbird
import HummingbirdTesting
@testable import KefuApp
import KefuCore
import KefuStore
import KefuTestSupport
import Logging
import Testing
import Yams

/// docs/openapi.yaml is the admin API's contract. It is written by hand (the server is not
/// generated from it), so these tests hold the two together: the served copy is the file, every
/// route is in it and every path in it is a route, with the same parameters, the roles' errors
/// and the error shape; the schemathesis run (`ContractTests`) checks bodies and answers.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    static func yamlDocument() throws -> [String: Any] {
        let text = try String(contentsOf: Repository.root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    static func served() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
    }

    /// The YAML as the JSON text kefu serves (sorted keys, two-space indent, as
    /// scripts/openapi-json.py writes it).
    static func rendered(_ document: [String: Any]) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    @Test("the document kefu serves is docs/openapi.yaml (KEFU_WRITE_OPENAPI=1 rewrites the copy)")
    func servedIsTheFile() throws {
        let file = try Self.yamlDocument()
        if NSDictionary(dictionary: file) != NSDictionary(dictionary: try Self.served()),
           ProcessInfo.processInfo.environment["KEFU_WRITE_OPENAPI"] == "1" {
            let swift = """
                // Generated from docs/openapi.yaml by scripts/openapi-json.py (or KEFU_WRITE_OPENAPI=1 swift test
                // --filter OpenAPIDocumentTests); OpenAPIDocumentTests fails when the two differ. Do not edit.
                enum OpenAPIDocument {
                    static let json = ##\"\"\"
                \(try Self.rendered(file))
                \"\"\"##
                }

                """
            try swift.write(to: Repository.root.appendingPathComponent("Sources/KefuApp/Admin/OpenAPIDocument.swift"), atomically: true, encoding: .utf8)
            Issue.record("Sources/KefuApp/Admin/OpenAPIDocument.swift rewritten from docs/openapi.yaml: rebuild and run again")
            return
        }
        #expect(NSDictionary(dictionary: file) == NSDictionary(dictionary: try Self.served()),
                "docs/openapi.yaml changed: run scripts/openapi-json.py (or KEFU_WRITE_OPENAPI=1 swift test --filter OpenAPIDocumentTests)")
        #expect(file["openapi"] as? String == "3.1.0")
    }

    @Test("every admin API route is in the document and every operation in it is a route, with its path parameters, errors and role")
    func routesAgree() async throws {
        let document = try Self.served()
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods = ["get", "put", "post", "delete", "patch", "head", "options"]
        var documented: Set<String> = []
        for (path, item) in paths {
            for method in methods { if item[method] != nil { documented.insert("\(method.uppercased()) \(path)") } }
        }
        let routes = try await Self.routes()
        #expect(routes == documented, "not documented: \(routes.subtracting(documented).sorted()); not served: \(documented.subtracting(routes).sorted())")

        let components = try #require(document["components"] as? [String: Any])
        for (path, item) in paths {
            let placeholders = Set(path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
            for method in methods {
                guard let operation = item[method] as? [String: Any] else { continue }
                let route = "\(method.uppercased()) \(path)"
                let parameters = ((item["parameters"] as? [Any] ?? []) + (operation["parameters"] as? [Any] ?? [])).compactMap {
                    Self.resolve($0, in: components) as? [String: Any]
                }
                let pathParameters = Set(parameters.filter { $0["in"] as? String == "path" }.compactMap { $0["name"] as? String })
                #expect(pathParameters == placeholders, "\(route): path parameters \(pathParameters.sorted()) ≠ \(placeholders.sorted())")
                let responses = try #require(operation["responses"] as? [String: Any], "\(route)")
                #expect(responses.keys.contains { $0.hasPrefix("2") }, "\(route): a success answer")
                if route == "GET /api/v1/openapi.json" {
                    #expect((operation["security"] as? [Any])?.isEmpty == true, "served without a token")
                    continue
                }
                #expect(responses["401"] != nil && responses["429"] != nil, "\(route): 401 and 429")
                if ApiPermissions.table.required(.init(method.uppercased())!, endpoint: path) > .viewer {
                    #expect(responses["403"] != nil, "\(route): 403 for roles below \(ApiPermissions.table.required(.init(method.uppercased())!, endpoint: path))")
                }
                if !placeholders.isEmpty { #expect(responses["404"] != nil, "\(route): 404") }
                if operation["requestBody"] != nil {
                    for status in ["400", "413", "422"] { #expect(responses[status] != nil, "\(route): \(status) for a bad body") }
                }
                for (status, response) in responses where status.hasPrefix("4") {
                    let resolved = Self.resolve(response, in: components) as? [String: Any]
                    let content = resolved?["content"] as? [String: Any]
                    let schema = (content?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
                    let ref = schema?["$ref"] as? String
                    let inline = (schema?["properties"] as? [String: Any])?["error"] != nil
                    #expect(ref == "#/components/schemas/Error" || inline, "\(route) \(status): the error shape")
                }
            }
        }
        // Every reference resolves.
        var unresolved: [String] = []
        Self.visit(document) { ref in if Self.resolve(["$ref": ref], in: components) == nil { unresolved.append(ref) } }
        #expect(unresolved.isEmpty, "\(unresolved)")
    }

    @Test("GET /api/v1/openapi.json serves the document without a token", arguments: [StoreBackend.sqlite])
    func servedOverHTTP(backend: StoreBackend) async throws {
        try await KefuAppHarness.run(backend: backend, configure: { $0.workers = 0 }) { app in
            let response = try await app.client.execute(uri: "/api/v1/openapi.json", method: .get, headers: [:], body: nil)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            let object = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
            #expect(NSDictionary(dictionary: object ?? [:]) == NSDictionary(dictionary: try Self.served()))
        }
    }

    /// "METHOD /path" of every `/api/v1` route `kefu serve` answers.
    static func routes() async throws -> Set<String> {
        Set(try await servedRoutes().filter { $0.contains(" /api/v1") })
    }

    /// "METHOD /path" of every route `kefu serve` answers (`Router.routes`).
    static func servedRoutes() async throws -> [String] {
        try await StoreBackend.sqlite.withStore { store, _ in
            var configuration = KefuConfiguration()
            configuration.adminToken = "test-admin-token-0123456789"
            let clock = SystemWallClock()
            let committer = GroupCommitter(store: store, policy: configuration.windowPolicy, clock: clock, logger: Logger(label: "test"))
            let router = try buildRouter(configuration: configuration, store: store, accounts: AccountCache(store: store, clock: clock),
                                         committer: committer, clock: clock, metrics: KefuMetrics())
            return router.routes.map { "\($0.method.rawValue) \($0.path)" }
        }
    }

    /// A `$ref` followed within the document's components; the value itself otherwise.
    static func resolve(_ value: Any, in components: [String: Any]) -> Any? {
        guard let object = value as? [String: Any], let ref = object["$ref"] as? String else { return value }
        let parts = ref.split(separator: "/").map(String.init)
        guard parts.count == 4, parts[0] == "#", parts[1] == "components" else { return nil }
        return (components[parts[2]] as? [String: Any])?[parts[3]]
    }

    static func visit(_ value: Any, _ body: (String) -> Void) {
        if let object = value as? [String: Any] {
            if let ref = object["$ref"] as? String { body(ref) }
            for child in object.values { visit(child, body) }
        } else if let array = value as? [Any] {
            for child in array { visit(child, body) }
        }
    }
}
