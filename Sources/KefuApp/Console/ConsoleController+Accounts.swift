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
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let (accounts, next) = try await accountsPage(request, session: session)
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
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let (accounts, next) = try await accountsPage(request, session: session)
        let rows: [[String: Any]] = accounts.map {
            ["appid": $0.appid, "label": $0.name ?? $0.appid, "sendRate": $0.sendRate, "created": ConsoleFormat.chinaTime($0.createdAt)]
        }
        return render(page, "accounts", title: page.text["accounts_title"] ?? "", session: session, nav: "navAccounts",
                      Self.page(rows, next: next))
    }

    /// The page of accounts `?after=` asks for, and where the next one starts: of the session's
    /// scope when it has one (its appids in order, each read), else of all.
    func accountsPage(_ request: Request, session: ConsoleSession) async throws -> (accounts: [Account], next: String?) {
        let after = request.uri.queryParameters.get("after") ?? ""
        var accounts: [Account] = []
        if let scope = session.accounts {
            for appid in scope.sorted() where appid > after {
                if let account = try await store.account(appid: appid) { accounts.append(account) }
                if accounts.count > Self.pageSize { break }
            }
        } else {
            accounts = try await store.accountPage(after: after, limit: Self.pageSize + 1)
        }
        let next = accounts.count > Self.pageSize ? accounts[Self.pageSize - 1].appid : nil
        return (Array(accounts.prefix(Self.pageSize)), next)
    }

    @Sendable func newAccount(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        return render(page, "account-new", title: page.text["new_title"] ?? "", session: session, nav: "navAccounts",
                      ["form": ["sendRate": Account.defaultSendRate, "generateAES": true] as [String: Any]])
    }

    @Sendable func createAccount(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
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
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
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
        // The charts: when the open windows close over the next 48 h, pushes per hour over the last 48 h.
        let now = clock.nowMillis(), hour: Int64 = 3_600_000
        let activity = try await store.accountActivity(appid: appid, now: now)
        var closing = Self.barChart(activity.closingPerHour, barWidth: 12, gap: 2, countLabels: false) { index in
            let start = now + Int64(index) * hour
            return (ConsoleFormat.chinaTime(start), index % 6 == 0 ? ConsoleFormat.chinaClock(start) : nil)
        }
        var pushes = Self.barChart(activity.pushesPerHour, barWidth: 12, gap: 2, countLabels: false) { index in
            let start = now - Int64(activity.pushesPerHour.count - index) * hour
            return (ConsoleFormat.chinaTime(start), index % 6 == 0 ? ConsoleFormat.chinaClock(start) : nil)
        }
        closing["caption"] = page.text["chart_closing"] ?? ""
        pushes["caption"] = page.text["chart_pushes"] ?? ""
        values["closingChart"] = closing
        values["pushesChart"] = pushes
        values["closingTotal"] = activity.closingPerHour.reduce(0, +)
        values["pushesTotal"] = activity.pushesPerHour.reduce(0, +)
        if let rotated = account.previousEncodingAESKey, !rotated.isEmpty { values["rotating"] = true }
        return render(page, "account", title: account.name ?? account.appid, session: session, nav: "navAccounts", values)
    }

    /// A bar chart as inline SVG values (`bar-chart` template): bars scaled to the tallest (a
    /// non-empty bar is never invisible), each with its tooltip; `label(index)` gives the
    /// tooltip's name and, when not nil, the axis text under it.
    static func barChart(_ counts: [Int], barWidth: Int, gap: Int, countLabels: Bool,
                         label: (Int) -> (name: String, axis: String?)) -> [String: Any] {
        let height = 120, top = max(counts.max() ?? 0, 1)
        let bars: [[String: Any]] = counts.enumerated().map { index, count in
            let barHeight = max(count > 0 ? 2 : 0, count * height / top)
            let x = 10 + index * (barWidth + gap), (name, axis) = label(index)
            var bar: [String: Any] = ["x": x, "y": 20 + height - barHeight, "h": barHeight, "w": barWidth, "count": count, "label": name,
                                      "tx": x + barWidth / 2, "ty": 14 + height - barHeight, "ly": height + 38, "countLabel": countLabels]
            if let axis { bar["axis"] = axis }
            return bar
        }
        return ["bars": bars, "width": 20 + counts.count * (barWidth + gap), "height": height + 48]
    }

    // MARK: Editing an account

    @Sendable func editAccount(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        guard let account = try await store.account(appid: try context.parameters.require("appid")) else { return notFound(page, session) }
        return accountEditForm(page, session: session, account: account, values: [
            "name": account.name ?? "", "originalId": account.originalId ?? "", "sendRate": String(account.sendRate),
            "dailyBudget": String(account.dailyBudget), "reserve": String(account.reserve),
        ])
    }

    func accountEditForm(_ page: Page, session: ConsoleSession, account: Account, values: [String: String],
                         status: HTTPResponse.Status = .ok, error: String? = nil) -> Response {
        var context: [String: Any] = ["appid": account.appid, "label": account.name ?? account.appid, "form": values]
        if let error { context["error"] = error }
        return render(page, "account-edit", title: page.text["account_edit"] ?? "", session: session, nav: "navAccounts", status: status, context)
    }

    /// The edit form posted: blank secrets stay as they are; the rest replaces what is stored,
    /// through the same checks as `PATCH /api/v1/accounts/{appid}`.
    @Sendable func updateAccount(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        guard let form = try await Self.checkedForm(request, session: session, as: AccountForm.self) else { return csrfRefused(page, session) }
        guard let account = try await store.account(appid: try context.parameters.require("appid")) else { return notFound(page, session) }
        func number(_ text: String?, _ field: String) throws -> Int? {
            guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw KefuError.invalid(field, "must be a whole number") }
            return value
        }
        do {
            let change = UpdateAccountRequest(
                appSecret: form.appSecret.flatMap { $0.isEmpty ? nil : $0 }, token: form.token.flatMap { $0.isEmpty ? nil : $0 },
                encodingAESKey: form.encodingAESKey.flatMap { $0.isEmpty ? nil : $0 },
                originalId: form.originalId.flatMap { $0.isEmpty ? nil : $0 }, name: form.name.flatMap { $0.isEmpty ? nil : $0 },
                sendRate: try number(form.sendRate, "send_rate"), dailyBudget: try number(form.dailyBudget, "daily_budget"),
                reserve: try number(form.reserve, "reserve"))
            _ = try await AccountsController<Context>.change(account, with: change, store: store, cache: cache, now: clock.nowMillis())
        } catch let error as KefuError where error.code == .invalid {
            let typed = ["name": form.name ?? "", "originalId": form.originalId ?? "", "sendRate": form.sendRate ?? "",
                         "dailyBudget": form.dailyBudget ?? "", "reserve": form.reserve ?? ""]
            return accountEditForm(page, session: session, account: account, values: typed, status: .unprocessableContent, error: error.message)
        }
        context.logger.info("account updated", metadata: ["kefu.appid": "\(account.appid)", "kefu.console.principal": "\(session.principal)"])
        return Self.redirect("/console/accounts/\(account.appid)")
    }

    /// A new EncodingAESKey, shown once to paste into WeChat; the current one stays accepted
    /// (as the previous key) until WeChat uses the new one.
    @Sendable func rotateAESKey(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        guard try await Self.checkedForm(request, session: session, as: CSRFOnly.self) != nil else { return csrfRefused(page, session) }
        guard let account = try await store.account(appid: try context.parameters.require("appid")) else { return notFound(page, session) }
        guard account.encodingAESKey != nil else {
            // Plain mode has no key to rotate; switching modes is done in WeChat's console first.
            return errorPage(page, .conflict, page.text["rotate_plain"] ?? "", session: session)
        }
        let key = Self.randomAlphanumeric(43)
        _ = try await AccountsController<Context>.change(account, with: UpdateAccountRequest(encodingAESKey: key), store: store, cache: cache,
                                                          now: clock.nowMillis())
        context.logger.info("account AES key rotated", metadata: ["kefu.appid": "\(account.appid)", "kefu.console.principal": "\(session.principal)"])
        return render(page, "account-created", title: page.text["rotate_title"] ?? "", session: session, nav: "navAccounts", [
            "appid": account.appid, "label": account.name ?? account.appid, "url": callbackURL(request, appid: account.appid),
            "aesKey": key, "rotated": true,
        ])
    }
}

struct AccountForm: Decodable, CSRFCarrying {
    var csrf: String?
    var appid, appSecret, name, originalId, token, encodingAESKey, generateAES, sendRate, dailyBudget, reserve: String?
    enum CodingKeys: String, CodingKey {
        case csrf = "_csrf", appid, appSecret = "app_secret", name, originalId = "original_id", token
        case encodingAESKey = "encoding_aes_key", generateAES = "generate_aes", sendRate = "send_rate", dailyBudget = "daily_budget", reserve
    }
}
