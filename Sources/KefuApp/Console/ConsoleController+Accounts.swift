import Foundation
import Hummingbird
import KefuCore
import KefuStore
import Logging
import NIOCore
import WeChatProtocol

extension ConsoleController {
    // MARK: Pages

    @Sendable func overview(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let (accounts, next) = try await accountsPage(request)
        let summaries = try await store.accountSummaries(appids: accounts.map(\.appid), now: clock.nowMillis())
        let rows: [[String: Any]] = accounts.map { account in
            let summary = summaries[account.appid] ?? AccountSummary()
            var row: [String: Any] = [
                "appid": account.appid, "label": account.name ?? account.appid, "openWindows": summary.openWindows,
                "pushesLastHour": summary.pushesLastHour, "tasksRunning": summary.tasksRunning, "rulesEnabled": summary.rulesEnabled,
            ]
            row.merge(Self.pauseValues(summary.pause, page: page)) { _, new in new }
            return row
        }
        return render(page, "overview", title: page.text["overview_title"] ?? "", session: session, nav: "navOverview",
                      Self.page(rows, next: next))
    }

    @Sendable func accounts(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let (accounts, next) = try await accountsPage(request)
        let rows: [[String: Any]] = accounts.map {
            ["appid": $0.appid, "label": $0.name ?? $0.appid, "sendRate": $0.sendRate, "created": ConsoleFormat.chinaTime($0.createdAt)]
        }
        return render(page, "accounts", title: page.text["accounts_title"] ?? "", session: session, nav: "navAccounts",
                      Self.page(rows, next: next))
    }

    /// The page of accounts `?after=` asks for, and where the next one starts.
    func accountsPage(_ request: Request) async throws -> (accounts: [Account], next: String?) {
        let accounts = try await store.accountPage(after: request.uri.queryParameters.get("after"), limit: Self.pageSize + 1)
        let next = accounts.count > Self.pageSize ? accounts[Self.pageSize - 1].appid : nil
        return (Array(accounts.prefix(Self.pageSize)), next)
    }

    @Sendable func newAccount(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        return render(page, "account-new", title: page.text["new_title"] ?? "", session: session, nav: "navAccounts",
                      ["form": ["sendRate": Account.defaultSendRate, "generateAES": true] as [String: Any]])
    }

    @Sendable func createAccount(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        guard let form = try await Self.checkedForm(request, session: session, as: AccountForm.self) else {
            return csrfRefused(page, session)
        }
        let now = clock.nowMillis()
        let token = form.token.flatMap { $0.isEmpty ? nil : $0 } ?? Self.randomAlphanumeric(32)
        var aesKey = form.encodingAESKey.flatMap { $0.isEmpty ? nil : $0 }
        if aesKey == nil, form.generateAES == "1" { aesKey = Self.randomAlphanumeric(43) }
        let account = Account(
            appid: form.appid ?? "", appSecret: form.appSecret ?? "", token: token, encodingAESKey: aesKey,
            originalId: form.originalId.flatMap { $0.isEmpty ? nil : $0 }, name: form.name.flatMap { $0.isEmpty ? nil : $0 },
            sendRate: Int(form.sendRate ?? "") ?? Account.defaultSendRate, dailyBudget: Account.defaultDailyBudget, reserve: 0,
            createdAt: now, updatedAt: now)
        do {
            try AccountValidation.check(account)
            try await store.createAccount(account)
        } catch let error as KefuError where error.code == .invalid || error.code == .conflict {
            // The form again, with what the operator typed (never the secret) and what was wrong.
            let values: [String: Any] = ["appid": form.appid ?? "", "name": form.name ?? "", "originalId": form.originalId ?? "",
                                         "token": form.token ?? "", "aesKey": form.encodingAESKey ?? "",
                                         "generateAES": form.generateAES == "1", "sendRate": form.sendRate ?? ""]
            return render(page, "account-new", title: page.text["new_title"] ?? "", session: session, nav: "navAccounts",
                          status: .unprocessableContent, ["form": values, "error": error.message])
        }
        cache.put(account)
        context.logger.info("account created", metadata: ["kefu.appid": "\(account.appid)", "kefu.console.principal": "\(session.principal)"])
        // The one time the Token and EncodingAESKey are shown: what to paste into WeChat.
        var values: [String: Any] = ["appid": account.appid, "label": account.name ?? account.appid,
                                     "url": callbackURL(request, appid: account.appid), "token": token]
        if let aesKey { values["aesKey"] = aesKey }  // absent (not nil in an Any): plain mode
        return render(page, "account-created", title: page.text["paste_title"] ?? "", session: session, nav: "navAccounts", values)
    }

    @Sendable func account(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        guard let account = try await store.account(appid: appid) else {
            return errorPage(page, .notFound, page.text["error_not_found"] ?? "", session: session)
        }
        let summary = try await store.accountSummaries(appids: [appid], now: clock.nowMillis())[appid] ?? AccountSummary()
        var values: [String: Any] = [
            "appid": account.appid, "label": account.name ?? account.appid, "url": callbackURL(request, appid: appid),
            "safe": account.encodingAESKey != nil, "sendRate": account.sendRate, "openWindows": summary.openWindows,
        ]
        values.merge(Self.pauseValues(summary.pause, page: page)) { _, new in new }
        return render(page, "account", title: account.name ?? account.appid, session: session, nav: "navAccounts", values)
    }
}

struct AccountForm: Decodable, CSRFCarrying {
    var csrf: String?
    var appid, appSecret, name, originalId, token, encodingAESKey, generateAES, sendRate: String?
    enum CodingKeys: String, CodingKey {
        case csrf = "_csrf", appid, appSecret = "app_secret", name, originalId = "original_id", token
        case encodingAESKey = "encoding_aes_key", generateAES = "generate_aes", sendRate = "send_rate"
    }
}
