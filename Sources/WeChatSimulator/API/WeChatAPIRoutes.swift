import Foundation
import Hummingbird
import KefuCore
import NIOCore
import WeChatProtocol

/// The parts of WeChat's API kefu calls: access tokens, the customer-service send and the
/// temporary media upload.
struct WeChatAPIRoutes {
    let wechat: SimulatedWeChat

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/cgi-bin/token") { request, _ -> Response in
            await delay()
            let query = request.uri.queryParameters
            return SimJSON.answer(await wechat.token(
                appid: query.get("appid"), secret: query.get("secret"), grantType: query.get("grant_type")))
        }
        router.post("/cgi-bin/stable_token") { request, _ -> Response in
            await delay()
            let body = try await SimJSON.body(request, limit: 1 << 16)
            guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                return SimJSON.response(.ok, ["errcode": 47001, "errmsg": "data format error"])
            }
            return SimJSON.answer(await wechat.stableToken(
                appid: object["appid"] as? String, secret: object["secret"] as? String,
                grantType: object["grant_type"] as? String, forceRefresh: object["force_refresh"] as? Bool ?? false))
        }
        router.post("/cgi-bin/media/upload") { request, _ -> Response in
            await delay()
            var request = request
            let query = request.uri.queryParameters
            // WeChat reads the form whatever it holds; a body it cannot read has no media.
            var file: UploadedFile?
            if let boundary = try? MultipartForm.boundary(contentType: request.headers[.contentType]),
               let body = try? await request.collectBody(upTo: 12 << 20),
               let form = try? MultipartForm(body: body, boundary: boundary), let part = form.first(named: "media") {
                file = UploadedFile(filename: part.filename, bytes: part.body)
            }
            return SimJSON.answer(await wechat.uploadMedia(accessToken: query.get("access_token"), type: query.get("type"), file: file))
        }
        router.post("/cgi-bin/message/custom/send") { request, _ -> Response in
            await delay()
            let body = try await SimJSON.body(request, limit: 1 << 20)
            return SimJSON.answer(await wechat.customSend(accessToken: request.uri.queryParameters.get("access_token"), body: body))
        }
    }

    /// The injected latency fault.
    private func delay() async {
        let millis = await wechat.faults.latencyMillis
        if millis > 0 { try? await Task.sleep(for: .milliseconds(millis)) }
    }
}
