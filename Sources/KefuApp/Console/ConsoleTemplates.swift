/// The console's pages as Mustache templates (swift-mustache), kept in the binary so a deployed
/// `kefu` needs no files beside it. `{{…}}` is HTML-escaped; the only `{{{…}}}` is a page's
/// body, itself rendered from an escaping template. Strings come from the catalogue (`t.key`).
enum ConsoleTemplates {
    static let all: [String: String] = [
        "layout": layout, "signin": signin, "overview": overview, "accounts": accounts, "account-new": accountNew,
        "account-created": accountCreated, "account": account, "error": error, "media": media,
        "tasks": tasks, "task-new": taskNew, "composer": composer, "phone": phone, "task": task,
        "rules": rules, "rule-form": ruleForm, "rule": rule, "log-filter": logFilter,
        "bar-chart": barChart, "account-edit": accountEdit, "audience": audience, "follower": follower,
    ]

    static let layout = """
    <!doctype html>
    <html lang="{{lang}}">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}} · kefu</title>
    <link rel="stylesheet" href="/console/assets/kefu.css">
    <script src="/console/assets/kefu.js" defer></script>
    </head>
    <body>
    <header class="bar">
      <a class="brand" href="/console/">kefu</a>
      {{#signedIn}}
      <nav aria-label="{{t.app_name}}">
        <a href="/console/"{{#navOverview}} aria-current="page"{{/navOverview}}>{{t.nav_overview}}</a>
        <a href="/console/accounts"{{#navAccounts}} aria-current="page"{{/navAccounts}}>{{t.nav_accounts}}</a>
      </nav>
      {{/signedIn}}
      <div class="tools">
        <a href="?lang={{otherLang}}" hreflang="{{otherLang}}" lang="{{otherLang}}">{{t.lang_switch}}</a>
        {{#signedIn}}
        <form method="post" action="/console/sign-out">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <button type="submit" class="link">{{t.nav_signout}}</button>
        </form>
        {{/signedIn}}
      </div>
    </header>
    <main>
    {{{body}}}
    </main>
    </body>
    </html>
    """

    static let signin = """
    <section class="narrow">
      <h1>{{t.signin_title}}</h1>
      {{#failed}}<p class="error" role="alert">{{t.signin_failed}}</p>{{/failed}}
      {{#linkFailed}}<p class="error" role="alert">{{t.signin_link_failed}}</p>{{/linkFailed}}
      {{#tooMany}}<p class="error" role="alert">{{t.signin_too_many}}</p>{{/tooMany}}
      <form method="post" action="/console/sign-in">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label for="token">{{t.signin_token}}</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
        <p class="help">{{t.signin_help}}</p>
        <button type="submit">{{t.signin_submit}}</button>
      </form>
    </section>
    """

    static let overview = """
    <h1>{{t.overview_title}}</h1>
    <p class="intro">{{t.overview_intro}}</p>
    {{^rows}}<p>{{t.empty_accounts}} {{#mayAdmin}}<a href="/console/accounts/new">{{t.accounts_add}}</a>{{/mayAdmin}}</p>{{/rows}}
    {{#hasRows}}
    <div class="table"><table>
      <thead><tr><th scope="col">{{t.col_account}}</th><th scope="col" class="num">{{t.col_open_windows}}</th>
      <th scope="col" class="num">{{t.col_pushes_hour}}</th><th scope="col" class="num">{{t.col_tasks_running}}</th>
      <th scope="col" class="num">{{t.col_rules_enabled}}</th><th scope="col">{{t.col_status}}</th></tr></thead>
      <tbody>
      {{#rows}}
      <tr>
        <td><a href="/console/accounts/{{appid}}">{{label}}</a><br><small class="mono">{{appid}}</small></td>
        <td class="num">{{openWindows}}</td><td class="num">{{pushesLastHour}}</td>
        <td class="num">{{tasksRunning}}</td><td class="num">{{rulesEnabled}}</td>
        <td>{{#paused}}<span class="badge warn">{{t.status_paused}} {{pausedUntil}}</span><br><small>{{reason}}</small><br><small>{{advice}}</small>{{/paused}}
            {{^paused}}<span class="badge ok">{{t.status_ok}}</span>{{/paused}}</td>
      </tr>
      {{/rows}}
      </tbody>
    </table></div>
    {{/hasRows}}
    {{#next}}<p><a href="?after={{next}}">{{t.page_next}}</a></p>{{/next}}
    """

    static let accounts = """
    <h1>{{t.accounts_title}}</h1>
    {{#mayAdmin}}<p><a class="button" href="/console/accounts/new">{{t.accounts_add}}</a></p>{{/mayAdmin}}
    {{^rows}}<p>{{t.empty_accounts}}</p>{{/rows}}
    {{#hasRows}}
    <div class="table"><table>
      <thead><tr><th scope="col">{{t.col_name}}</th><th scope="col">{{t.col_appid}}</th>
      <th scope="col" class="num">{{t.col_send_rate}}</th><th scope="col">{{t.col_created}}</th></tr></thead>
      <tbody>
      {{#rows}}
      <tr><td><a href="/console/accounts/{{appid}}">{{label}}</a></td><td class="mono">{{appid}}</td>
      <td class="num">{{sendRate}}</td><td>{{created}}</td></tr>
      {{/rows}}
      </tbody>
    </table></div>
    {{/hasRows}}
    {{#next}}<p><a href="?after={{next}}">{{t.page_next}}</a></p>{{/next}}
    """

    static let accountNew = """
    <section class="narrow">
      <h1>{{t.new_title}}</h1>
      {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
      <form method="post" action="/console/accounts">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label for="appid">{{t.field_appid}}</label>
        <input id="appid" name="appid" required maxlength="18" pattern="wx[0-9a-f]{16}" value="{{form.appid}}" autocomplete="off">
        <label for="app_secret">{{t.field_app_secret}}</label>
        <input id="app_secret" name="app_secret" type="password" required autocomplete="off">
        <p class="help">{{t.field_app_secret_help}}</p>
        <label for="name">{{t.field_name}}</label>
        <input id="name" name="name" maxlength="100" value="{{form.name}}">
        <label for="original_id">{{t.field_original_id}}</label>
        <input id="original_id" name="original_id" maxlength="64" value="{{form.originalId}}">
        <label for="token">{{t.field_token}}</label>
        <input id="token" name="token" maxlength="32" value="{{form.token}}" autocomplete="off">
        <p class="help">{{t.field_token_help}}</p>
        <label for="encoding_aes_key">{{t.field_aes_key}}</label>
        <input id="encoding_aes_key" name="encoding_aes_key" maxlength="43" value="{{form.aesKey}}" autocomplete="off">
        <p class="help">{{t.field_aes_help}}</p>
        <label class="check"><input type="checkbox" name="generate_aes" value="1"{{#form.generateAES}} checked{{/form.generateAES}}> {{t.field_generate_aes}}</label>
        <label for="send_rate">{{t.field_send_rate}}</label>
        <input id="send_rate" name="send_rate" type="number" min="1" max="10000" value="{{form.sendRate}}">
        <button type="submit">{{t.new_submit}}</button>
      </form>
    </section>
    """

    static let accountCreated = """
    <section class="narrow">
      <h1>{{#rotated}}{{t.rotate_title}}{{/rotated}}{{^rotated}}{{t.paste_title}}{{/rotated}}</h1>
      <p>{{#rotated}}{{t.rotate_intro}}{{/rotated}}{{^rotated}}{{t.paste_intro}}{{/rotated}}</p>
      <dl class="paste">
        <dt>{{t.paste_url}}</dt><dd><code id="paste-url">{{url}}</code> <button type="button" data-copy="paste-url" data-copied="{{t.copied}}">{{t.copy}}</button></dd>
        {{#token}}<dt>{{t.paste_token}}</dt><dd><code id="paste-token">{{token}}</code> <button type="button" data-copy="paste-token" data-copied="{{t.copied}}">{{t.copy}}</button></dd>{{/token}}
        {{#aesKey}}<dt>{{t.paste_aes}}</dt><dd><code id="paste-aes">{{aesKey}}</code> <button type="button" data-copy="paste-aes" data-copied="{{t.copied}}">{{t.copy}}</button></dd>{{/aesKey}}
        <dt>{{t.paste_mode}}</dt><dd>{{#aesKey}}{{t.mode_safe}}{{/aesKey}}{{^aesKey}}{{t.mode_plain}}{{/aesKey}}</dd>
      </dl>
      <p class="help">{{t.paste_port}}</p>
      <p><a href="/console/accounts/{{appid}}">{{label}}</a> · <a href="/console/accounts">{{t.back_accounts}}</a></p>
    </section>
    """

    static let account = """
    <h1>{{label}}</h1>
    <nav class="subnav" aria-label="{{label}}">
      <a href="/console/accounts/{{appid}}/audience">{{t.audience_title}}</a>
      <a href="/console/accounts/{{appid}}/tasks">{{t.account_tasks}}</a>
      <a href="/console/accounts/{{appid}}/rules">{{t.account_rules}}</a>
      <a href="/console/accounts/{{appid}}/media">{{t.media_title}}</a>
      {{#mayAdmin}}<a href="/console/accounts/{{appid}}/edit">{{t.account_edit}}</a>{{/mayAdmin}}
    </nav>
    <dl class="facts">
      <dt>{{t.col_appid}}</dt><dd class="mono">{{appid}}</dd>
      <dt>{{t.account_url}}</dt><dd><code id="account-url">{{url}}</code> <button type="button" data-copy="account-url" data-copied="{{t.copied}}">{{t.copy}}</button></dd>
      <dt>{{t.account_mode}}</dt><dd>{{#safe}}{{t.mode_safe}}{{/safe}}{{^safe}}{{t.mode_plain}}{{/safe}}{{#rotating}} · {{t.aes_rotating}}{{/rotating}}</dd>
      <dt>{{t.col_send_rate}}</dt><dd>{{sendRate}}</dd>
      <dt>{{t.col_open_windows}}</dt><dd>{{openWindows}}</dd>
      <dt>{{t.col_status}}</dt><dd>{{#paused}}<span class="badge warn">{{t.status_paused}} {{pausedUntil}}</span> {{reason}} — {{advice}}{{/paused}}{{^paused}}<span class="badge ok">{{t.status_ok}}</span>{{/paused}}</dd>
    </dl>
    <p class="help">{{t.account_secrets}}</p>
    <h2>{{t.chart_closing}} <small class="zone">{{closingTotal}}</small></h2>
    {{#closingChart}}{{> bar-chart}}{{/closingChart}}
    <h2>{{t.chart_pushes}} <small class="zone">{{pushesTotal}}</small></h2>
    {{#pushesChart}}{{> bar-chart}}{{/pushesChart}}
    {{#safe}}{{#mayAdmin}}
    <form method="post" action="/console/accounts/{{appid}}/rotate-aes" class="narrow">
      <input type="hidden" name="_csrf" value="{{csrf}}">
      <p class="help">{{t.rotate_help}}</p>
      <button type="submit" class="secondary">{{t.rotate_title}}</button>
    </form>
    {{/mayAdmin}}{{/safe}}
    <p><a href="/console/accounts">{{t.back_accounts}}</a></p>
    """

    /// A bar chart drawn by kefu (`ConsoleController.barChart`): no script, no library.
    static let barChart = """
    <svg class="chart" viewBox="0 0 {{width}} {{height}}" role="img" aria-label="{{caption}}">
      {{#bars}}<rect x="{{x}}" y="{{y}}" width="{{w}}" height="{{h}}"><title>{{label}}: {{count}}</title></rect>{{#countLabel}}<text x="{{tx}}" y="{{ty}}" text-anchor="middle">{{count}}</text>{{/countLabel}}{{#axis}}<text x="{{tx}}" y="{{ly}}" text-anchor="middle">{{axis}}</text>{{/axis}}{{/bars}}
    </svg>
    """

    static let accountEdit = """
    <section class="narrow">
      <h1>{{label}} · {{t.account_edit}}</h1>
      {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
      <form method="post" action="/console/accounts/{{appid}}/edit">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label for="name">{{t.field_name}}</label>
        <input id="name" name="name" maxlength="100" value="{{form.name}}">
        <label for="original_id">{{t.field_original_id}}</label>
        <input id="original_id" name="original_id" maxlength="64" value="{{form.originalId}}">
        <label for="send_rate">{{t.field_send_rate}}</label>
        <input id="send_rate" name="send_rate" type="number" min="1" max="10000" value="{{form.sendRate}}">
        <label for="daily_budget">{{t.field_daily_budget}}</label>
        <input id="daily_budget" name="daily_budget" type="number" min="1" value="{{form.dailyBudget}}">
        <label for="reserve">{{t.field_reserve}}</label>
        <input id="reserve" name="reserve" type="number" min="0" value="{{form.reserve}}">
        <p class="help">{{t.reserve_help}}</p>
        <label for="app_secret">{{t.field_app_secret}}</label>
        <input id="app_secret" name="app_secret" type="password" autocomplete="off">
        <p class="help">{{t.keep_blank}}</p>
        <label for="token">{{t.field_token}}</label>
        <input id="token" name="token" maxlength="32" autocomplete="off">
        <p class="help">{{t.keep_blank}}</p>
        <label for="encoding_aes_key">{{t.field_aes_key}}</label>
        <input id="encoding_aes_key" name="encoding_aes_key" maxlength="43" autocomplete="off">
        <p class="help">{{t.aes_edit_help}}</p>
        <button type="submit">{{t.rule_save}}</button>
      </form>
      <p><a href="/console/accounts/{{appid}}">{{label}}</a></p>
    </section>
    """

    static let audience = """
    <h1>{{label}} · {{t.audience_title}}</h1>
    <p class="intro">{{t.audience_intro}} <strong>{{count}}</strong></p>
    <form method="get" class="filters" action="/console/accounts/{{appid}}/audience">
      <label for="openid">{{t.follower_lookup}}</label>
      <input id="openid" name="openid" maxlength="128" autocomplete="off">
      <button type="submit">{{t.follower_find}}</button>
    </form>
    {{^hasRows}}<p>{{t.audience_empty}}</p>{{/hasRows}}
    {{#hasRows}}
    <div class="table"><table>
      <thead><tr><th scope="col">OpenID</th><th scope="col">{{t.col_last}}</th><th scope="col">{{t.col_closes}}</th>
      <th scope="col" class="num">{{t.col_left}}</th></tr></thead>
      <tbody>
      {{#rows}}<tr><td class="mono"><a href="/console/accounts/{{appid}}/followers/{{path}}">{{openid}}</a></td><td>{{last}} · {{lastAt}}</td>
      <td>{{closes}}</td><td class="num">{{left}}</td></tr>{{/rows}}
      </tbody>
    </table></div>
    {{/hasRows}}
    {{#next}}<p><a href="?after={{next}}">{{t.page_next}}</a></p>{{/next}}
    <p><a href="/console/accounts/{{appid}}">{{label}}</a></p>
    """

    static let follower = """
    <h1 class="mono">{{openid}}</h1>
    <p><a href="/console/accounts/{{appid}}">{{label}}</a> · <a href="/console/accounts/{{appid}}/audience">{{t.audience_title}}</a></p>
    {{#unknown}}<p class="error" role="alert">{{t.follower_unknown}}</p>{{/unknown}}
    {{^unknown}}
    <p>{{#subscribed}}<span class="badge ok">{{t.follower_subscribed}}</span>{{/subscribed}}{{^subscribed}}<span class="badge warn">{{t.follower_unsubscribed}}</span>{{/subscribed}}</p>
    <h2>{{t.follower_grants}}</h2>
    <p class="help">{{t.follower_grants_help}}</p>
    {{^hasGrants}}<p>{{t.follower_no_grants}}</p>{{/hasGrants}}
    {{#hasGrants}}
    <div class="table"><table>
      <thead><tr><th scope="col">{{t.col_opened_by}}</th><th scope="col">{{t.col_opened}}</th><th scope="col">{{t.col_closes}}</th><th scope="col" class="num">{{t.col_left}}</th></tr></thead>
      <tbody>{{#grants}}<tr><td>{{kind}}</td><td>{{opened}}</td><td>{{closes}}</td><td class="num">{{left}}</td></tr>{{/grants}}</tbody>
    </table></div>
    {{/hasGrants}}
    <h2>{{t.follower_deliveries}}</h2>
    {{^hasDeliveries}}<p>{{t.log_empty}}</p>{{/hasDeliveries}}
    {{#hasDeliveries}}
    <div class="table"><table>
      <thead><tr><th scope="col">{{t.col_source}}</th><th scope="col">{{t.col_state}}</th><th scope="col">{{t.col_reason}}</th><th scope="col">{{t.col_due}}</th><th scope="col">{{t.col_sent_at}}</th></tr></thead>
      <tbody>{{#deliveries}}<tr><td>{{#task}}<a href="/console/tasks/{{task}}">{{t.task_word}} {{task}}</a>{{/task}}{{#rule}}<a href="/console/rules/{{rule}}">{{t.rule_word}} {{rule}}</a>{{/rule}}</td>
      <td>{{state}}</td><td>{{reason}}{{#errcode}} <span class="mono">({{errcode}})</span>{{/errcode}}</td><td>{{due}}</td><td>{{sentTime}}</td></tr>{{/deliveries}}</tbody>
    </table></div>
    {{/hasDeliveries}}
    <h2>{{t.follower_interactions}}</h2>
    {{^hasInteractions}}<p>{{t.log_empty}}</p>{{/hasInteractions}}
    {{#hasInteractions}}
    <div class="table"><table>
      <thead><tr><th scope="col">{{t.col_kind}}</th><th scope="col">{{t.col_detail}}</th><th scope="col">{{t.col_at}}</th></tr></thead>
      <tbody>{{#interactions}}<tr><td>{{kind}}</td><td>{{detail}}{{#key}} · <span class="mono">{{key}}</span>{{/key}}</td><td>{{at}}</td></tr>{{/interactions}}</tbody>
    </table></div>
    {{/hasInteractions}}
    {{/unknown}}
    """

    static let media = """
    <h1>{{label}} · {{t.media_title}}</h1>
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
    {{#mayOperate}}
    <form method="post" action="/console/accounts/{{appid}}/media" enctype="multipart/form-data" class="narrow">
      <input type="hidden" name="_csrf" value="{{csrf}}">
      <label for="type">{{t.media_type}}</label>
      <select id="type" name="type">{{#kinds}}<option value="{{value}}">{{label}}</option>{{/kinds}}</select>
      <label for="file">{{t.media_file}}</label>
      <input id="file" name="file" type="file" required>
      <p class="help">{{t.media_limits}}</p>
      <button type="submit">{{t.media_upload}}</button>
    </form>
    {{/mayOperate}}
    {{^hasItems}}<p>{{t.media_empty}}</p>{{/hasItems}}
    {{#hasItems}}
    <ul class="media">
    {{#items}}
      <li>
        {{#picture}}<img src="/console/accounts/{{appid}}/media/{{id}}/content" alt="{{filename}}" width="96" height="96" loading="lazy">{{/picture}}
        {{^picture}}<span class="file" aria-hidden="true">{{kindLabel}}</span>{{/picture}}
        <div class="about">
          <strong>{{filename}}</strong><br>
          <small>{{kindLabel}} · {{size}} · {{created}}</small><br>
          <small class="mono">{{id}}</small><br>
          <small>{{#wechat}}{{t.media_wechat_fresh}}{{/wechat}}{{^wechat}}{{t.media_wechat_none}}{{/wechat}}</small>
          {{#users}}<br><small>{{t.media_used_by}} {{users}}</small>{{/users}}
        </div>
        {{#mayOperate}}<form method="post" action="/console/accounts/{{appid}}/media/{{id}}/delete">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <button type="submit" class="danger">{{t.media_delete}}</button>
        </form>{{/mayOperate}}
      </li>
    {{/items}}
    </ul>
    {{/hasItems}}
    {{#next}}<p><a href="?after={{next}}">{{t.page_next}}</a></p>{{/next}}
    <p><a href="/console/accounts/{{appid}}">{{label}}</a></p>
    """

    static let error = """
    <section class="narrow">
      <h1>{{t.error_title}}</h1>
      <p class="error" role="alert">{{message}}</p>
      <p><a href="/console/">{{t.nav_overview}}</a></p>
    </section>
    """
}
