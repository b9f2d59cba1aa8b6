/// The task pages, the message composer and the phone preview (shared with the rule pages).
extension ConsoleTemplates {
    static let tasks = """
    <h1>{{label}} · {{t.tasks_title}}</h1>
    {{#mayOperate}}<p><a class="button" href="/console/accounts/{{appid}}/tasks/new">{{t.task_new_title}}</a></p>{{/mayOperate}}
    <form method="get" class="filters" action="/console/accounts/{{appid}}/tasks">
      <label for="status">{{t.col_status}}</label>
      <select id="status" name="status"><option value="">{{t.filter_all}}</option>{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}</select>
      <button type="submit">{{t.filter_apply}}</button>
    </form>
    {{^hasRows}}<p>{{t.tasks_empty}}</p>{{/hasRows}}
    {{#hasRows}}
    <div class="table"><table>
      <thead><tr><th scope="col">{{t.col_task}}</th><th scope="col">{{t.field_send_at}}</th><th scope="col">{{t.col_status}}</th>
      <th scope="col">{{t.col_progress}}</th></tr></thead>
      <tbody>
      {{#rows}}
      <tr><td><a href="/console/tasks/{{id}}">{{name}}</a></td><td>{{sendAt}}</td>
      <td><span class="badge {{status}}">{{statusLabel}}</span></td>
      <td><progress max="100" value="{{percent}}" aria-label="{{name}}">{{percent}}%</progress>
          <small>{{sent}} / {{audience}}{{#hasFailed}} · {{t.stat_failed}} {{failed}}{{/hasFailed}}</small></td></tr>
      {{/rows}}
      </tbody>
    </table></div>
    {{/hasRows}}
    {{#next}}<p><a href="{{next}}">{{t.page_next}}</a></p>{{/next}}
    <p><a href="/console/accounts/{{appid}}">{{label}}</a></p>
    """

    static let taskNew = """
    <h1>{{label}} · {{t.task_new_title}}</h1>
    {{#error}}<p class="error" role="alert">{{t.error_field}} {{errorField}}: {{error}}</p>{{/error}}
    <form method="post" action="/console/accounts/{{appid}}/tasks" enctype="multipart/form-data" class="composer"
          data-media-base="/console/accounts/{{appid}}/media/" data-forecast-url="/console/accounts/{{appid}}/forecast">
      <input type="hidden" name="_csrf" value="{{csrf}}">
      <div class="fields">
        <label for="name">{{t.field_task_name}}</label>
        <input id="name" name="name" required maxlength="100" value="{{name}}">
        <label for="description">{{t.field_description}}</label>
        <textarea id="description" name="description" maxlength="1000" rows="2">{{description}}</textarea>
        <label for="send_at">{{t.field_send_at}} <span class="zone">{{t.china_time}}</span></label>
        <input id="send_at" name="send_at" type="datetime-local" value="{{send_at}}" data-forecast-input>
        <p class="help">{{t.send_at_help}}</p>
        {{> composer}}
      </div>
      <aside class="side">
        {{> phone}}
        <section class="forecast" aria-live="polite">
          <h2>{{t.forecast_title}}</h2>
          <dl>
            <dt>{{t.forecast_now}}</dt><dd data-forecast="reachable_now">{{#forecast}}{{reachableNow}}{{/forecast}}{{^forecast}}—{{/forecast}}</dd>
            <dt>{{t.forecast_at_send}}</dt><dd data-forecast="reachable_at_send">{{#forecast}}{{reachableAtSend}}{{/forecast}}{{^forecast}}—{{/forecast}}</dd>
            <dt>{{t.forecast_closing}}</dt><dd data-forecast="closing_before_reached">{{#forecast}}{{closing}}{{/forecast}}{{^forecast}}—{{/forecast}}</dd>
            <dt>{{t.forecast_minutes}}</dt><dd data-forecast="send_minutes">{{#forecast}}{{minutes}}{{/forecast}}{{^forecast}}—{{/forecast}}</dd>
            <dt>{{t.forecast_quota}}</dt><dd><span data-forecast="quota_share">{{#forecast}}{{quotaShare}}{{/forecast}}{{^forecast}}—{{/forecast}}</span>%
              (<span data-forecast="used_today">{{#forecast}}{{usedToday}}{{/forecast}}{{^forecast}}—{{/forecast}}</span> / <span data-forecast="daily_budget">{{#forecast}}{{budget}}{{/forecast}}{{^forecast}}—{{/forecast}}</span>)</dd>
          </dl>
        </section>
        <button type="submit" name="step" value="forecast" class="secondary">{{t.task_check}}</button>
        {{#forecast}}<button type="submit" name="step" value="create">{{t.task_confirm}}</button>{{/forecast}}
        {{^forecast}}<p class="help">{{t.task_check_help}}</p>{{/forecast}}
      </aside>
    </form>
    """

    /// The message composer: the type, then one fieldset per type (all shown without
    /// JavaScript; the script shows the chosen one).
    static let composer = """
    <label for="msgtype">{{t.field_msgtype}}</label>
    <select id="msgtype" name="msgtype" data-composer-type>{{#types}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/types}}</select>
    <fieldset data-type="text"><legend>{{t.type_text}}</legend>
      <label for="text_content">{{t.field_text_content}}</label>
      <textarea id="text_content" name="text_content" rows="5" data-bind="text_content" data-bytes-max="{{textMax}}">{{text_content}}</textarea>
      <p class="help"><span data-bytes-for="text_content">{{textBytes}}</span> / {{textMax}} {{t.bytes}}</p>
    </fieldset>
    <fieldset data-type="image"><legend>{{t.type_image}}</legend>
      <label for="image_media">{{t.field_image}}</label>
      <select id="image_media" name="image_media" data-bind-image="image"><option value="">{{t.pick_none}}</option>{{#image_media_options}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/image_media_options}}</select>
      <label for="image_upload">{{t.field_upload}}</label>
      <input id="image_upload" name="image_upload" type="file" accept="image/png,image/jpeg,image/gif">
    </fieldset>
    <fieldset data-type="voice"><legend>{{t.type_voice}}</legend>
      <label for="voice_media">{{t.field_voice}}</label>
      <select id="voice_media" name="voice_media" data-bind-label="voice"><option value="">{{t.pick_none}}</option>{{#voice_media_options}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/voice_media_options}}</select>
      <label for="voice_upload">{{t.field_upload}}</label>
      <input id="voice_upload" name="voice_upload" type="file" accept="audio/amr,audio/mpeg">
    </fieldset>
    <fieldset data-type="news"><legend>{{t.type_news}}</legend>
      <label for="news_title">{{t.field_news_title}}</label>
      <input id="news_title" name="news_title" maxlength="192" value="{{news_title}}" data-bind="news_title">
      <label for="news_description">{{t.field_news_description}}</label>
      <input id="news_description" name="news_description" maxlength="512" value="{{news_description}}" data-bind="news_description">
      <label for="news_url">{{t.field_news_url}}</label>
      <input id="news_url" name="news_url" type="url" maxlength="1024" value="{{news_url}}">
      <label for="news_picurl">{{t.field_news_picurl}}</label>
      <input id="news_picurl" name="news_picurl" type="url" maxlength="1024" value="{{news_picurl}}">
    </fieldset>
    <fieldset data-type="miniprogrampage"><legend>{{t.type_miniprogrampage}}</legend>
      <label for="mp_title">{{t.field_mp_title}}</label>
      <input id="mp_title" name="mp_title" maxlength="192" value="{{mp_title}}" data-bind="mp_title">
      <label for="mp_appid">{{t.field_mp_appid}}</label>
      <input id="mp_appid" name="mp_appid" maxlength="32" value="{{mp_appid}}" autocomplete="off">
      <label for="mp_pagepath">{{t.field_mp_pagepath}}</label>
      <input id="mp_pagepath" name="mp_pagepath" maxlength="1024" value="{{mp_pagepath}}">
      <label for="mp_thumb">{{t.field_mp_thumb}}</label>
      <select id="mp_thumb" name="mp_thumb" data-bind-image="thumb"><option value="">{{t.pick_none}}</option>{{#mp_thumb_options}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/mp_thumb_options}}</select>
      <label for="mp_upload">{{t.field_upload}}</label>
      <input id="mp_upload" name="mp_upload" type="file" accept="image/jpeg">
    </fieldset>
    <fieldset data-type="msgmenu"><legend>{{t.type_msgmenu}}</legend>
      <label for="menu_head">{{t.field_menu_head}}</label>
      <input id="menu_head" name="menu_head" maxlength="1024" value="{{menu_head}}" data-bind="menu_head">
      <label for="menu_options">{{t.field_menu_options}}</label>
      <textarea id="menu_options" name="menu_options" rows="4" data-bind-options="menu">{{menu_options}}</textarea>
      <p class="help">{{t.menu_options_help}}</p>
      <label for="menu_tail">{{t.field_menu_tail}}</label>
      <input id="menu_tail" name="menu_tail" maxlength="1024" value="{{menu_tail}}" data-bind="menu_tail">
    </fieldset>
    <label for="kf_account">{{t.field_kf_account}}</label>
    <input id="kf_account" name="kf_account" maxlength="64" value="{{kf_account}}" autocomplete="off">
    <p class="help">{{t.kf_account_help}}</p>
    """

    /// A phone-style preview of the message, as a follower sees it in WeChat.
    static let phone = """
    <figure class="phone" aria-label="{{t.preview_title}}" data-media-base="/console/accounts/{{appid}}/media/">
      <figcaption>{{t.preview_title}}</figcaption>
      <div class="screen">
        <div class="msg" data-preview="text"{{^is_text}} hidden{{/is_text}}><p class="bubble" data-show="text_content">{{text_content}}</p></div>
        <div class="msg" data-preview="image"{{^is_image}} hidden{{/is_image}}><img class="bubble-img" alt="" data-show-image="image"{{#previewImage}} src="/console/accounts/{{appid}}/media/{{previewImage}}/content"{{/previewImage}}></div>
        <div class="msg" data-preview="voice"{{^is_voice}} hidden{{/is_voice}}><p class="bubble">🔊 <span data-show-label="voice">{{previewVoice}}</span></p></div>
        <div class="msg" data-preview="news"{{^is_news}} hidden{{/is_news}}><div class="card"><strong data-show="news_title">{{news_title}}</strong><p data-show="news_description">{{news_description}}</p></div></div>
        <div class="msg" data-preview="miniprogrampage"{{^is_miniprogrampage}} hidden{{/is_miniprogrampage}}><div class="card"><strong data-show="mp_title">{{mp_title}}</strong>
          <img alt="" data-show-image="thumb"{{#previewThumb}} src="/console/accounts/{{appid}}/media/{{previewThumb}}/content"{{/previewThumb}}><small>{{t.mp_card}}</small></div></div>
        <div class="msg" data-preview="msgmenu"{{^is_msgmenu}} hidden{{/is_msgmenu}}><div class="bubble"><p data-show="menu_head">{{menu_head}}</p>
          <ul data-show-options="menu">{{#previewOptions}}<li>{{content}}</li>{{/previewOptions}}</ul><p data-show="menu_tail">{{menu_tail}}</p></div></div>
      </div>
    </figure>
    """

    /// The per-recipient log's heading and state filter (task and rule pages; `logAction`).
    static let logFilter = """
    <h2 id="log">{{t.log_title}}</h2>
    <form method="get" class="filters" action="{{logAction}}#log">
      <label for="state">{{t.col_state}}</label>
      <select id="state" name="state"><option value="">{{t.filter_all}}</option>{{#states}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/states}}</select>
      <button type="submit">{{t.filter_apply}}</button>
    </form>
    {{^hasLog}}<p>{{t.log_empty}}</p>{{/hasLog}}
    """

    static let task = """
    <h1>{{name}}</h1>
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
    <div class="split">
    <div>
    <section class="progress-panel"{{#live}} data-progress-url="/console/tasks/{{id}}/progress"{{/live}} aria-live="polite">
      <p><span class="badge {{status}}" data-stat="statusLabel">{{statusLabel}}</span></p>
      <progress max="100" value="{{percent}}" data-stat-progress aria-label="{{t.col_progress}}">{{percent}}%</progress>
      <dl class="stats">
        <div><dt>{{t.stat_audience}}</dt><dd data-stat="audience">{{audience}}</dd></div>
        <div><dt>{{t.stat_sent}}</dt><dd data-stat="sent">{{sent}}</dd></div>
        <div><dt>{{t.stat_pending}}</dt><dd data-stat="pending">{{pending}}</dd></div>
        <div><dt>{{t.stat_failed}}</dt><dd data-stat="failed">{{failed}}</dd></div>
        <div><dt>{{t.stat_skipped}}</dt><dd data-stat="skipped">{{skipped}}</dd></div>
        <div><dt>{{t.stat_cancelled}}</dt><dd data-stat="cancelled">{{cancelled}}</dd></div>
      </dl>
    </section>
    <dl class="facts">
      <dt>{{t.col_account}}</dt><dd><a href="/console/accounts/{{appid}}">{{label}}</a></dd>
      <dt>{{t.field_send_at}}</dt><dd>{{sendAt}}</dd>
      {{#startedAt}}<dt>{{t.task_started}}</dt><dd>{{startedAt}}</dd>{{/startedAt}}
      <dt>{{t.field_msgtype}}</dt><dd>{{msgtypeLabel}}</dd>
      {{#description}}<dt>{{t.field_description}}</dt><dd>{{description}}</dd>{{/description}}
    </dl>
    <div class="actions">{{#mayOperate}}
      {{#canPause}}<form method="post" action="/console/tasks/{{id}}/pause"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="secondary">{{t.task_pause}}</button></form>{{/canPause}}
      {{#canResume}}<form method="post" action="/console/tasks/{{id}}/resume"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit">{{t.task_resume}}</button></form>{{/canResume}}
      {{#canCancel}}<form method="post" action="/console/tasks/{{id}}/cancel"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="danger">{{t.task_cancel}}</button></form>{{/canCancel}}
    {{/mayOperate}}</div>
    {{#hasErrors}}
    <h2>{{t.errors_title}}</h2>
    <div class="table"><table>
      <thead><tr><th scope="col">{{t.col_errcode}}</th><th scope="col" class="num">{{t.col_count}}</th><th scope="col">{{t.col_meaning}}</th></tr></thead>
      <tbody>{{#errors}}<tr><td class="mono">{{code}}</td><td class="num">{{count}}</td><td>{{meaning}}</td></tr>{{/errors}}</tbody>
    </table></div>
    {{/hasErrors}}
    </div>
    <aside class="side">{{#msg}}{{> phone}}{{/msg}}
    {{#canTest}}{{#mayOperate}}
    <form method="post" action="/console/tasks/{{id}}/test" class="test-send">
      <input type="hidden" name="_csrf" value="{{csrf}}">
      <label for="openids">{{t.test_openids}}</label>
      <textarea id="openids" name="openids" rows="3" required></textarea>
      <p class="help">{{t.test_help}}</p>
      <button type="submit" class="secondary">{{t.test_send}}</button>
    </form>
    {{/mayOperate}}{{/canTest}}
    </aside>
    </div>
    {{> log-filter}}
    {{#hasLog}}
    <div class="table"><table>
      <thead><tr><th scope="col">OpenID</th><th scope="col">{{t.col_state}}</th><th scope="col">{{t.col_reason}}</th>
      <th scope="col" class="num">{{t.col_attempts}}</th><th scope="col">{{t.col_sent_at}}</th></tr></thead>
      <tbody>
      {{#log}}<tr><td class="mono">{{openid}}{{#test}} <span class="badge">{{t.test_badge}}</span>{{/test}}</td><td>{{stateLabel}}</td>
      <td>{{reason}}{{#errcode}} <span class="mono">({{errcode}})</span>{{/errcode}}</td><td class="num">{{attempts}}</td><td>{{sentTime}}</td></tr>{{/log}}
      </tbody>
    </table></div>
    {{/hasLog}}
    {{#logNext}}<p><a href="{{logNext}}">{{t.page_next}}</a></p>{{/logNext}}
    <p><a href="/console/accounts/{{appid}}/tasks">{{t.tasks_title}}</a></p>
    """
}
