/// The WeChat calls a sender makes. `WeChatAPI` makes them over HTTP; tests of the sender's
/// pipeline use an in-memory WeChat.
public protocol WeChatClient: Sendable {
    /// Where the calls go, for logs.
    var baseURL: String { get }
    /// `POST /cgi-bin/stable_token`: (token, expires_in seconds) or WeChat's errcode. Throws
    /// `WeChatAPI.CallError` when WeChat could not be asked or did not answer.
    func stableToken(appid: String, secret: String, forceRefresh: Bool) async throws -> Result<(String, Int64), WeChatError>
    /// `POST /cgi-bin/message/custom/send`: WeChat's errcode (0 = sent). Throws
    /// `WeChatAPI.CallError.notSent` when nothing was written, `.noAnswer` when the answer was lost.
    func customSend(accessToken: String, body: [UInt8]) async throws -> WeChatError
    /// `POST /cgi-bin/media/upload?type=`: the temporary media id WeChat gave the file, or its
    /// errcode. Throws `WeChatAPI.CallError` like the others.
    func uploadMedia(accessToken: String, type: String, filename: String, contentType: String, content: [UInt8]) async throws
        -> Result<String, WeChatError>
}
