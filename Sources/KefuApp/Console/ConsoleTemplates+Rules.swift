/// The rule pages.
extension ConsoleTemplates {
    static let rules = """
    <h1>{{label}} · {{t.rules_title}}</h1>
    {{#mayOperate}}<p><a class="button" href="/console/accounts/{{appid}}/rules/new">{{t.rule_new_title}}</a></p>{{/mayOperate}}
    {{^hasRows}}<p>{{t.rules_empty}}</p>{{/hasRows}}
    {{#hasRows}}
    <div class="table"><table>
      <thead><tr><th scope="col">{{t.col_rule}}</th><th scope="col">{{t.col_trigger}}</th><th scope="col">{{t.col_delay}}</th>
      <th scope="col">{{t.col_enabled}}</th></tr></thead>
      <tbody>
      {{#rows}}
      <tr><td><a href="/console/rules/{{id}}">{{name}}</a>{{#warned}} <span class="badge warn" title="{{t.warnings_title}}">!</span>{{/warned}}</td>
      <td>{{trigger}}</td><td>{{delay}}{{#once}} · {{t.rule_once}}{{/once}}</td>
      <td>{{#enabled}}<span class="badge ok">{{t.rule_on}}</span>{{/enabled}}{{^enabled}}<span class="badge">{{t.rule_off}}</span>{{/enabled}}</td></tr>
      {{/rows}}
      </tbody>
    </table></div>
    {{/hasRows}}
    <p><a href="/console/accounts/{{appid}}">{{label}}</a></p>
    """

    static let ruleForm = """
    <h1>{{label}} · {{heading}}</h1>
    {{#error}}<p class="error" role="alert">{{t.error_field}} {{errorField}}: {{error}}</p>{{/error}}
    <form method="post" action="{{action}}" enctype="multipart/form-data" class="composer"
          data-media-base="/console/accounts/{{appid}}/media/" data-warnings-url="/console/accounts/{{appid}}/rule-warnings">
      <input type="hidden" name="_csrf" value="{{csrf}}">
      <div class="fields">
        <label for="name">{{t.field_rule_name}}</label>
        <input id="name" name="name" required maxlength="100" value="{{name}}">
        <label for="trigger_kind">{{t.field_trigger_kind}}</label>
        <select id="trigger_kind" name="trigger_kind" data-warn>{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}</select>
        <label for="trigger_key">{{t.field_trigger_key}}</label>
        <input id="trigger_key" name="trigger_key" maxlength="128" value="{{trigger_key}}">
        <p class="help">{{t.trigger_key_help}}</p>
        <label for="delay_seconds">{{t.field_delay}}</label>
        <input id="delay_seconds" name="delay_seconds" type="number" min="0" max="604800" required value="{{delay_seconds}}" data-warn>
        <p class="help">{{t.delay_help}}</p>
        <label class="check"><input type="checkbox" name="once_per_follower" value="1"{{#once}} checked{{/once}}>{{t.field_once}}</label>
        <label for="cooldown_seconds">{{t.field_cooldown}}</label>
        <input id="cooldown_seconds" name="cooldown_seconds" type="number" min="0" max="2592000" value="{{cooldown_seconds}}">
        <p class="help">{{t.cooldown_help}}</p>
        <label class="check"><input type="checkbox" name="enabled" value="1"{{#enabled}} checked{{/enabled}}>{{t.field_enabled}}</label>
        {{> composer}}
      </div>
      <aside class="side">
        {{> phone}}
        <section class="warnings" data-warnings aria-live="polite"{{^hasWarnings}} hidden{{/hasWarnings}}>
          <strong>{{t.warnings_title}}</strong>
          <ul data-warnings-list>{{#warnings}}<li>{{.}}</li>{{/warnings}}</ul>
        </section>
        <p class="ok-note" data-warnings-none{{#hasWarnings}} hidden{{/hasWarnings}}>{{t.warnings_none}}</p>
        <button type="submit">{{submit}}</button>
      </aside>
    </form>
    """

    static let rule = """
    <h1>{{name}}</h1>
    <div class="split">
    <div>
    <dl class="facts">
      <dt>{{t.col_account}}</dt><dd><a href="/console/accounts/{{appid}}">{{label}}</a></dd>
      <dt>{{t.col_trigger}}</dt><dd>{{trigger}}</dd>
      <dt>{{t.col_delay}}</dt><dd>{{delay}}</dd>
      <dt>{{t.field_once}}</dt><dd>{{#once}}✓{{/once}}{{^once}}—{{/once}}</dd>
      <dt>{{t.field_cooldown}}</dt><dd>{{cooldown}}</dd>
      <dt>{{t.col_enabled}}</dt><dd>{{#enabled}}<span class="badge ok">{{t.rule_on}}</span>{{/enabled}}{{^enabled}}<span class="badge">{{t.rule_off}}</span>{{/enabled}}</dd>
      <dt>{{t.field_msgtype}}</dt><dd>{{msgtypeLabel}}</dd>
    </dl>
    {{#hasWarnings}}<section class="warnings"><strong>{{t.warnings_title}}</strong><ul>{{#warnings}}<li>{{.}}</li>{{/warnings}}</ul></section>{{/hasWarnings}}
    <div class="actions">{{#mayOperate}}
      <a class="button" href="/console/rules/{{id}}/edit">{{t.rule_edit}}</a>
      <form method="post" action="/console/rules/{{id}}/delete"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="danger">{{t.rule_delete}}</button></form>
    {{/mayOperate}}</div>
    <h2>{{t.rule_deliveries}}</h2>
    <dl class="stats">{{#counts}}<div><dt>{{label}}</dt><dd>{{count}}</dd></div>{{/counts}}</dl>
    <h2>{{t.lateness_title}}</h2>
    {{#chart}}
    <svg class="chart" viewBox="0 0 {{width}} {{height}}" role="img" aria-label="{{t.lateness_title}}">
      {{#bars}}<rect x="{{x}}" y="{{y}}" width="{{w}}" height="{{h}}"><title>{{label}}: {{count}}</title></rect>
      <text x="{{tx}}" y="{{ty}}" text-anchor="middle">{{count}}</text><text x="{{tx}}" y="{{ly}}" text-anchor="middle">{{label}}</text>{{/bars}}
    </svg>
    {{/chart}}
    {{^chart}}<p>{{t.lateness_empty}}</p>{{/chart}}
    </div>
    <aside class="side">{{#msg}}{{> phone}}{{/msg}}</aside>
    </div>
    {{> log-filter}}
    {{#hasLog}}
    <div class="table"><table>
      <thead><tr><th scope="col">OpenID</th><th scope="col">{{t.col_state}}</th><th scope="col">{{t.col_reason}}</th>
      <th scope="col">{{t.col_due}}</th><th scope="col">{{t.col_sent_at}}</th><th scope="col">{{t.col_lateness}}</th></tr></thead>
      <tbody>
      {{#log}}<tr><td class="mono">{{openid}}</td><td>{{stateLabel}}</td><td>{{reason}}{{#errcode}} <span class="mono">({{errcode}})</span>{{/errcode}}</td>
      <td>{{dueTime}}</td><td>{{sentTime}}</td><td>{{lateness}}</td></tr>{{/log}}
      </tbody>
    </table></div>
    {{/hasLog}}
    {{#logNext}}<p><a href="{{logNext}}">{{t.page_next}}</a></p>{{/logNext}}
    <p><a href="/console/accounts/{{appid}}/rules">{{t.rules_title}}</a></p>
    """
}
