import Foundation

/// The console's languages: 简体中文 first (the operators are Chinese), English second.
enum ConsoleLanguage: String, CaseIterable, Sendable {
    case zh
    case en

    /// `lang` attribute of the page.
    var tag: String { self == .zh ? "zh-CN" : "en" }
    var other: ConsoleLanguage { self == .zh ? .en : .zh }

    /// The language a request asks for: `?lang=`, then the `kefu_lang` cookie, then the first
    /// of Accept-Language's languages kefu has (by weight); Chinese when none.
    static func choose(query: String?, cookie: String?, acceptLanguage: String?) -> ConsoleLanguage {
        if let query, let language = ConsoleLanguage(rawValue: query) { return language }
        if let cookie, let language = ConsoleLanguage(rawValue: cookie) { return language }
        guard let acceptLanguage else { return .zh }
        var ranked: [(ConsoleLanguage, Double, Int)] = []
        for (index, item) in acceptLanguage.split(separator: ",").enumerated() {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let range = parts.first else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") { weight = Double(parameter.dropFirst(2)) ?? 0 }
            guard weight > 0 else { continue }
            if range == "zh" || range.hasPrefix("zh-") { ranked.append((.zh, weight, index)) }
            if range == "en" || range.hasPrefix("en-") { ranked.append((.en, weight, index)) }
        }
        return ranked.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.2 < $1.2 }.first?.0 ?? .zh
    }

    var text: [String: String] { self == .zh ? ConsoleText.zh : ConsoleText.en }
}

/// Every string the console shows, in both catalogues under the same keys (a test fails when a
/// key is missing from either, or a template names one neither has).
enum ConsoleText {
    static let zh: [String: String] = [
        "app_name": "kefu 客服消息",
        "lang_switch": "English",
        "nav_overview": "概览",
        "nav_accounts": "公众号",
        "nav_signout": "退出登录",
        "signin_title": "登录",
        "signin_token": "管理令牌",
        "signin_help": "输入部署时设置的 KEFU_ADMIN_TOKEN。",
        "signin_submit": "登录",
        "signin_failed": "令牌不正确。",
        "overview_title": "概览",
        "overview_intro": "每个公众号现在可以发送的粉丝、最近一小时的消息推送、进行中的群发任务和启用的延时规则。",
        "col_account": "公众号",
        "col_open_windows": "可发送（窗口开启）",
        "col_pushes_hour": "近一小时推送",
        "col_tasks_running": "进行中任务",
        "col_rules_enabled": "启用规则",
        "col_status": "状态",
        "col_appid": "AppID",
        "col_name": "名称",
        "col_send_rate": "发送速率（条/秒）",
        "col_created": "添加时间",
        "status_ok": "正常",
        "status_paused": "已暂停至",
        "advice_quota": "今日客服消息额度已用完（45009），北京时间零点后自动恢复。",
        "advice_minute": "触发每分钟频率限制（45011），一分钟后自动恢复。",
        "advice_secret": "微信拒绝了该公众号的凭证：请在公众号后台核对 AppSecret 和 IP 白名单，然后在此更新 AppSecret。",
        "advice_unreachable": "无法连接微信服务器：请检查服务器网络与 DNS；恢复后自动继续发送。",
        "advice_banned": "该公众号没有客服消息接口权限或已被封禁：请在公众号后台确认。",
        "advice_other": "请查看日志中的原因。",
        "empty_accounts": "还没有公众号。",
        "page_next": "下一页",
        "accounts_title": "公众号",
        "accounts_add": "添加公众号",
        "new_title": "添加公众号",
        "field_appid": "AppID（wx 开头的 18 位）",
        "field_app_secret": "AppSecret",
        "field_app_secret_help": "只用于获取 access_token，保存后不再显示。",
        "field_name": "名称（可选）",
        "field_original_id": "原始 ID（gh_ 开头，可选）",
        "field_token": "Token（服务器配置中的令牌）",
        "field_token_help": "留空则自动生成。",
        "field_aes_key": "EncodingAESKey（43 位）",
        "field_aes_help": "留空并勾选下方选项则自动生成；不填则使用明文模式。",
        "field_generate_aes": "生成 EncodingAESKey（安全模式）",
        "field_send_rate": "发送速率（条/秒）",
        "new_submit": "添加",
        "paste_title": "在微信公众平台填写以下服务器配置",
        "paste_intro": "登录 mp.weixin.qq.com → 设置与开发 → 基本配置 → 服务器配置，逐项填写并启用。Token 和 EncodingAESKey 只在此显示一次。",
        "paste_url": "服务器地址（URL）",
        "paste_token": "令牌（Token）",
        "paste_aes": "消息加解密密钥（EncodingAESKey）",
        "paste_mode": "消息加解密方式",
        "mode_safe": "安全模式",
        "mode_plain": "明文模式",
        "paste_port": "微信只接受 80 或 443 端口的地址：请把公网 HTTPS 地址反向代理到 kefu。",
        "copy": "复制",
        "copied": "已复制",
        "account_title": "公众号",
        "account_url": "回调地址",
        "account_mode": "加解密方式",
        "account_secrets": "Token 和 EncodingAESKey 已保存，不在页面显示。",
        "back_accounts": "返回公众号列表",
        "error_csrf": "表单已过期或不是从本控制台提交的，请刷新页面后重试。",
        "error_not_found": "没有找到该页面。",
        "error_title": "出错了",
        "media_title": "素材库",
        "media_type": "类型",
        "media_file": "文件",
        "media_limits": "图片 PNG/JPEG/GIF ≤ 10 MB；语音 AMR/MP3 ≤ 2 MB；视频 MP4 ≤ 10 MB；缩略图 JPEG ≤ 64 KB。按文件内容识别格式。",
        "media_upload": "上传",
        "media_empty": "素材库还是空的。",
        "media_wechat_fresh": "已上传到微信",
        "media_wechat_none": "尚未上传到微信（首次发送时自动上传）",
        "media_used_by": "使用中：",
        "media_delete": "删除",
        "media_uploaded": "已上传：",
        "media_existing": "相同的文件已在素材库中：",
        "media_in_use": "仍在使用，无法删除：",
        "kind_image": "图片",
        "kind_voice": "语音",
        "kind_video": "视频",
        "kind_thumb": "缩略图",
        "task_word": "任务",
        "rule_word": "规则",
    ]

    static let en: [String: String] = [
        "app_name": "kefu customer-service messages",
        "lang_switch": "中文",
        "nav_overview": "Overview",
        "nav_accounts": "Accounts",
        "nav_signout": "Sign out",
        "signin_title": "Sign in",
        "signin_token": "Admin token",
        "signin_help": "The KEFU_ADMIN_TOKEN set when kefu was deployed.",
        "signin_submit": "Sign in",
        "signin_failed": "That token is not right.",
        "overview_title": "Overview",
        "overview_intro": "Per account: followers who can be messaged now, pushes in the last hour, broadcasts running and delayed rules enabled.",
        "col_account": "Account",
        "col_open_windows": "Reachable now (open windows)",
        "col_pushes_hour": "Pushes, last hour",
        "col_tasks_running": "Tasks running",
        "col_rules_enabled": "Rules enabled",
        "col_status": "Status",
        "col_appid": "AppID",
        "col_name": "Name",
        "col_send_rate": "Send rate (messages/s)",
        "col_created": "Added",
        "status_ok": "OK",
        "status_paused": "Paused until",
        "advice_quota": "Today's customer-service quota is used up (45009); sending resumes after midnight, China time.",
        "advice_minute": "The per-minute limit was reached (45011); sending resumes within a minute.",
        "advice_secret": "WeChat refused the account's credentials: check the AppSecret and the IP whitelist in WeChat's console, then update the AppSecret here.",
        "advice_unreachable": "WeChat cannot be reached: check the server's network and DNS; sending resumes by itself.",
        "advice_banned": "The account has no customer-service API permission or is banned: check WeChat's console.",
        "advice_other": "See the reason in the logs.",
        "empty_accounts": "No accounts yet.",
        "page_next": "Next page",
        "accounts_title": "Accounts",
        "accounts_add": "Add an account",
        "new_title": "Add an account",
        "field_appid": "AppID (wx and 16 hex digits)",
        "field_app_secret": "AppSecret",
        "field_app_secret_help": "Used only to get access tokens; never shown again.",
        "field_name": "Name (optional)",
        "field_original_id": "Original ID (gh_…, optional)",
        "field_token": "Token (of the server configuration)",
        "field_token_help": "Leave empty to generate one.",
        "field_aes_key": "EncodingAESKey (43 characters)",
        "field_aes_help": "Leave empty and tick below to generate one; without one, plain mode.",
        "field_generate_aes": "Generate an EncodingAESKey (safe mode)",
        "field_send_rate": "Send rate (messages/s)",
        "new_submit": "Add",
        "paste_title": "Enter this server configuration in WeChat's console",
        "paste_intro": "mp.weixin.qq.com → Settings and development → Basic configuration → Server configuration: fill in each field and enable it. The Token and EncodingAESKey are shown only this once.",
        "paste_url": "Server URL",
        "paste_token": "Token",
        "paste_aes": "EncodingAESKey",
        "paste_mode": "Message encryption",
        "mode_safe": "Safe mode",
        "mode_plain": "Plain mode",
        "paste_port": "WeChat only takes addresses on port 80 or 443: put a public HTTPS address in front of kefu.",
        "copy": "Copy",
        "copied": "Copied",
        "account_title": "Account",
        "account_url": "Callback URL",
        "account_mode": "Encryption",
        "account_secrets": "The Token and EncodingAESKey are stored and not shown.",
        "back_accounts": "Back to the accounts",
        "error_csrf": "The form has expired or did not come from this console; reload the page and try again.",
        "error_not_found": "There is no such page.",
        "error_title": "Something went wrong",
        "media_title": "Media library",
        "media_type": "Type",
        "media_file": "File",
        "media_limits": "Images PNG/JPEG/GIF ≤ 10 MB; voice AMR/MP3 ≤ 2 MB; video MP4 ≤ 10 MB; thumbnails JPEG ≤ 64 KB. Formats are told by the file's content.",
        "media_upload": "Upload",
        "media_empty": "The library is empty.",
        "media_wechat_fresh": "Uploaded to WeChat",
        "media_wechat_none": "Not yet uploaded to WeChat (the first send does it)",
        "media_used_by": "Used by:",
        "media_delete": "Delete",
        "media_uploaded": "Uploaded:",
        "media_existing": "The same file is already in the library:",
        "media_in_use": "Still in use, not deleted:",
        "kind_image": "Image",
        "kind_voice": "Voice",
        "kind_video": "Video",
        "kind_thumb": "Thumbnail",
        "task_word": "task",
        "rule_word": "rule",
    ]
}
