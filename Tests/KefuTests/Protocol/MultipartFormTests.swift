import NIOCore
import Testing
import WeChatProtocol

/// The `multipart/form-data` reader behind media uploads (kefu's own since MultipartKit's
/// parser crashed on a non-ASCII header name; see `MultipartForm.init`).
@Suite("Multipart form reader")
struct MultipartFormTests {
    static func form(_ text: String, boundary: String = "B0und") throws(MultipartForm.Malformed) -> MultipartForm {
        try MultipartForm(body: ByteBuffer(string: text), boundary: boundary)
    }

    @Test("parts with names, a UTF-8 filename, a content type and bytes; a preamble, transport padding and an epilogue are skipped")
    func reads() throws {
        let body = "preamble\r\n--B0und  \r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nimage\r\n"
            + "--B0und\r\ncontent-disposition: form-data; name=\"file\"; filename=\"图片 \\\"1\\\".png\"\r\nContent-Type: image/png\r\n\r\n"
            + "\u{1}\r\n--B0un\r\n\r\n--B0und--\r\nepilogue"
        let form = try Self.form(body)
        #expect(form.parts.count == 2)
        #expect(form.first(named: "type")?.body == Array("image".utf8))
        let file = try #require(form.first(named: "file"))
        #expect(file.filename == "图片 \"1\".png")
        #expect(file.contentType == "image/png")
        #expect(file.body == Array("\u{1}\r\n--B0un\r\n".utf8), "a near-boundary inside the bytes stays in them")
        #expect(try Self.form("--B0und--").parts.isEmpty)
    }

    @Test("hostile or broken bodies are refused, saying why, without a crash", arguments: [
        ("--B0und\r\nCo\u{8C}ntent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B0und--", "header line"),
        ("--B0und\r\nno colon here\r\n\r\nx\r\n--B0und--", "header line"),
        ("--B0und\r\n: empty name\r\n\r\nx\r\n--B0und--", "header line"),
        ("--B0und\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx", "truncated"),
        ("--B0und\r\nContent-Disposition: form-data; name=\"a\"", "truncated"),
        ("--B0und", "truncated"),
        ("--B0undX\r\n\r\nx\r\n--B0und--", "goes on after the boundary"),
        ("no boundary at all", "no boundary line"),
        ("", "no boundary line"),
        (String(repeating: "--B0und\r\nA: b\r\n\r\nx\r\n", count: 33) + "--B0und--", "more than 32 parts"),
        ("--B0und\r\n" + String(repeating: "A: b\r\n", count: 17) + "\r\nx\r\n--B0und--", "more than 16 header lines"),
    ])
    func refuses(_ body: String, reason: String) {
        do {
            _ = try Self.form(body)
            Issue.record("accepted: \(body.prefix(60))")
        } catch {
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }
}
