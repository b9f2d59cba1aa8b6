import Foundation
import Hummingbird
import KefuCore

/// The parts of WeChat's API kefu calls: access tokens and the customer-service send.
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
