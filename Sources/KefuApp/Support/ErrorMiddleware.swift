import Foundation
import Hummingbird
import KefuCore
import Logging

/// Always-on error mapping: domain errors become statuses with `{"error": {"message": …}}`,
/// HTTP errors keep their status, and anything unexpected is logged at error level with the
/// request id and answered with a bare 500 (never a database message).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as KefuError {
            let status: HTTPResponse.Status = switch error.code {
            case .invalid: .unprocessableContent
            case .notFound: .notFound
            case .conflict: .conflict
            case .unauthorized: .unauthorized
            case .unavailable: .serviceUnavailable
            case .badConfiguration: .unprocessableContent
            default: .internalServerError
            }
            if status == .internalServerError || status == .serviceUnavailable {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            let message = status == .internalServerError ? "internal error" : error.message
            return JSONBody.error(status, message)
        } catch let error as any HTTPResponseError {
            let message = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            return JSONBody.error(error.status, message)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return JSONBody.error(.internalServerError, "internal error")
        }
    }
}

/// JSON responses with kefu's conventions.
enum JSONBody {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func response(_ status: HTTPResponse.Status = .ok, _ value: some Encodable) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        struct Envelope: Encodable { struct Inner: Encodable { var message: String }; var error: Inner }
        return (try? response(status, Envelope(error: .init(message: message)))) ?? Response(status: status)
    }

    /// Decodes a JSON request body; type and shape errors become 422 naming the field.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let buffer = try await strictBody(request, limit: limit)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.keyNotFound(key, context) {
            throw KefuError.invalid(path(context.codingPath + [key]), "is required")
        } catch let DecodingError.typeMismatch(type, context) {
            throw KefuError.invalid(path(context.codingPath), expectation(type))
        } catch let DecodingError.valueNotFound(_, context) {
            throw KefuError.invalid(path(context.codingPath), "must not be null")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw KefuError.invalid(path(context.codingPath), context.debugDescription)
        } catch let error as KefuError {
            throw error
        } catch {
            throw HTTPError(.badRequest, message: "the body is not valid JSON")
        }
    }

    /// What a member of the wrong type should have been, in the API's words.
    static func expectation(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is String?.Type: "must be a string"
        case is Int.Type, is Int?.Type, is Int64.Type, is Int64?.Type: "must be a whole number"
        case is Bool.Type, is Bool?.Type: "must be true or false"
        case is [Any].Type: "must be an array"
        case is [String: Any].Type: "must be an object"
        default: "has the wrong type"
        }
    }

    /// Reads a JSON object body (for payloads with free-form parts such as messages).
    static func object(from request: Request, limit: Int) async throws -> [String: Any] {
        let buffer = try await strictBody(request, limit: limit)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw HTTPError(.badRequest, message: "the body must be a JSON object")
        }
        return object
    }

    /// The body, checked to be strict JSON (RFC 8259): 400 saying where it stops being JSON.
    /// Foundation alone would accept a trailing comma and other near-misses.
    static func strictBody(_ request: Request, limit: Int) async throws -> ByteBuffer {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        do {
            try StrictJSON.check(buffer.readableBytesView)
        } catch {
            throw HTTPError(.badRequest, message: "the body is not valid JSON: \(error)")
        }
        return buffer
    }

    static func object(_ status: HTTPResponse.Status, _ object: [String: Any]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func limit(_ text: String?, default value: Int, max: Int) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), (1...max).contains(number) else { throw KefuError.invalid("limit", "must be between 1 and \(max)") }
        return number
    }

    static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let index = key.intValue { out += "[\(index)]" } else { out += out.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return out.isEmpty ? "body" : out
    }
}
