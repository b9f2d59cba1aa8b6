/// The console's stylesheet and script, written by hand and served by kefu itself (no build
/// step, nothing from a CDN). The script only adds to pages that work without it.
enum ConsoleAssets {
    static let css = """
    :root { --green: #07c160; --ink: #1f2329; --muted: #646a73; --line: #e4e6eb; --bg: #f5f6f7; --warn: #b26a00; --bad: #c62828; }
    * { box-sizing: border-box; }
    [hidden] { display: none !important; }
    body { margin: 0; font: 15px/1.6 -apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
           color: var(--ink); background: var(--bg); }
    a { color: #0b6bcb; }
    .bar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 20px; padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); }
    .brand { font-weight: 700; color: var(--green); text-decoration: none; font-size: 18px; }
    .bar nav { display: flex; gap: 16px; }
    .bar nav a { color: var(--ink); text-decoration: none; padding: 4px 0; }
    .bar nav a[aria-current="page"] { border-bottom: 2px solid var(--green); }
    .tools { margin-left: auto; display: flex; gap: 16px; align-items: center; }
    .tools form { margin: 0; }
    main { max-width: 1100px; margin: 0 auto; padding: 20px; }
    h1 { font-size: 22px; margin: 8px 0 16px; }
    .intro, .help { color: var(--muted); }
    .help { font-size: 13px; margin: 2px 0 12px; }
    .narrow { max-width: 560px; }
    label { display: block; font-weight: 600; margin-top: 12px; }
    label.check { font-weight: 400; }
    input[type=text], input:not([type]), input[type=password], input[type=number] {
      width: 100%; padding: 8px 10px; border: 1px solid #c9cdd4; border-radius: 6px; font: inherit; background: #fff; }
    input:focus, button:focus, a:focus { outline: 2px solid var(--green); outline-offset: 2px; }
    button, .button { display: inline-block; margin-top: 14px; padding: 8px 16px; border: 0; border-radius: 6px; background: var(--green);
      color: #fff; font: inherit; cursor: pointer; text-decoration: none; }
    button.link { margin: 0; padding: 0; background: none; color: #0b6bcb; text-decoration: underline; }
    dd button, td button { margin: 0 0 0 6px; padding: 2px 10px; font-size: 13px; }
    .error { color: var(--bad); background: #fdecea; padding: 8px 12px; border-radius: 6px; }
    .table { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
    table { border-collapse: collapse; width: 100%; }
    th, td { text-align: left; padding: 10px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { font-size: 13px; color: var(--muted); font-weight: 600; }
    .num { text-align: right; font-variant-numeric: tabular-nums; }
    .mono, code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; word-break: break-all; }
    .badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; }
    .badge.ok { background: #e8f7ee; color: #0a7a3d; }
    .badge.warn { background: #fff4e0; color: var(--warn); }
    dl.paste, dl.facts { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
    dl.paste dt, dl.facts dt { color: var(--muted); font-size: 13px; margin-top: 8px; }
    dl.paste dd, dl.facts dd { margin: 2px 0 0; }
    select { padding: 8px 10px; border: 1px solid #c9cdd4; border-radius: 6px; font: inherit; background: #fff; }
    .notice { color: #0a7a3d; background: #e8f7ee; padding: 8px 12px; border-radius: 6px; }
    button.danger { background: #fff; color: var(--bad); border: 1px solid #f0b6b1; margin: 0; }
    ul.media { list-style: none; padding: 0; display: grid; gap: 12px; }
    ul.media li { display: flex; gap: 12px; align-items: flex-start; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
    ul.media img { object-fit: cover; border-radius: 6px; background: var(--bg); flex: none; }
    ul.media .file { width: 96px; height: 96px; flex: none; display: flex; align-items: center; justify-content: center;
      background: var(--bg); border-radius: 6px; color: var(--muted); }
    ul.media .about { flex: 1; min-width: 0; }
    textarea { width: 100%; padding: 8px 10px; border: 1px solid #c9cdd4; border-radius: 6px; font: inherit; background: #fff; }
    input[type=url], input[type=datetime-local] { width: 100%; padding: 8px 10px; border: 1px solid #c9cdd4; border-radius: 6px; font: inherit; background: #fff; }
    textarea:focus, select:focus { outline: 2px solid var(--green); outline-offset: 2px; }
    button.secondary { background: #fff; color: var(--ink); border: 1px solid #c9cdd4; }
    .zone { font-weight: 400; color: var(--muted); font-size: 13px; }
    h2 { font-size: 17px; margin: 24px 0 10px; }
    .filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0 12px; }
    .filters label { margin: 0; }
    .filters button { margin: 0; }
    progress { width: 100%; max-width: 220px; height: 10px; accent-color: var(--green); vertical-align: middle; }
    .progress-panel progress { max-width: none; height: 14px; }
    .badge.running, .badge.scheduled { background: #e6f0fb; color: #0b5cad; }
    .badge.completed { background: #e8f7ee; color: #0a7a3d; }
    .badge.paused { background: #fff4e0; color: var(--warn); }
    .badge.cancelled { background: #f0f1f3; color: var(--muted); }
    .badge { background: #f0f1f3; }
    .composer, .split { display: grid; grid-template-columns: minmax(0, 1fr) 300px; gap: 24px; align-items: start; }
    fieldset { border: 1px solid var(--line); border-radius: 8px; margin: 14px 0 0; padding: 4px 14px 14px; background: #fff; }
    legend { font-weight: 600; padding: 0 6px; }
    .side { position: sticky; top: 12px; }
    .side button { width: 100%; }
    .phone { margin: 0; width: 100%; max-width: 300px; border: 10px solid #1f2329; border-radius: 28px; background: #ededed; overflow: hidden; }
    .phone figcaption { background: #f7f7f7; text-align: center; font-size: 13px; padding: 6px; color: var(--muted); border-bottom: 1px solid #ddd; }
    .phone .screen { min-height: 260px; padding: 14px 10px; }
    .phone .msg { display: flex; }
    .phone .bubble { margin: 0; max-width: 85%; background: #fff; border-radius: 6px; padding: 8px 10px; white-space: pre-wrap; word-break: break-word; font-size: 14px; }
    .phone .bubble p { margin: 0 0 6px; }
    .phone p.bubble:empty { display: none; }
    .phone .bubble ul { margin: 0 0 6px; padding-left: 18px; color: #0b6bcb; }
    .phone .card { background: #fff; border-radius: 6px; padding: 10px; width: 85%; font-size: 14px; word-break: break-word; }
    .phone .card p { margin: 4px 0 0; color: var(--muted); font-size: 13px; }
    .phone .card img, .phone .bubble-img { display: block; max-width: 100%; max-height: 180px; margin-top: 6px; border-radius: 4px; }
    .phone img:not([src]) { display: none !important; }
    .forecast { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 4px 14px 10px; margin-top: 14px; }
    .forecast h2 { margin: 8px 0; font-size: 15px; }
    .forecast dl { margin: 0; display: grid; grid-template-columns: 1fr auto; gap: 2px 10px; font-size: 14px; }
    .forecast dt { color: var(--muted); }
    .forecast dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
    dl.stats { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; margin: 12px 0; }
    dl.stats div { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
    dl.stats dt { color: var(--muted); font-size: 13px; }
    dl.stats dd { margin: 0; font-size: 20px; font-variant-numeric: tabular-nums; }
    .actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
    .actions form { margin: 0; }
    .actions button, .actions .button { margin: 0; }
    .over { color: var(--bad); font-weight: 600; }
    .warnings { background: #fff4e0; color: #6b4100; border-radius: 8px; padding: 8px 14px; margin-top: 14px; }
    .warnings ul { margin: 4px 0; padding-left: 18px; }
    .ok-note { background: #e8f7ee; color: #0a7a3d; border-radius: 8px; padding: 8px 14px; margin-top: 14px; }
    svg.chart { width: 100%; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
    svg.chart rect { fill: var(--green); }
    svg.chart text { font-size: 11px; fill: var(--muted); }
    svg.chart line { stroke: var(--line); }
    label.check input { margin-right: 6px; }
    h1.mono { font-size: 20px; }
    .subnav { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: -6px 0 14px; }
    @media (max-width: 760px) {
      .composer, .split { grid-template-columns: minmax(0, 1fr); }
      .side { position: static; }
      dl.stats { grid-template-columns: repeat(2, 1fr); }
    }
    @media (max-width: 600px) {
      main { padding: 12px; }
      .bar { padding: 8px 12px; }
      .tools { margin-left: 0; }
      th, td { padding: 8px; }
    }
    """

    static let js = """
    // Copy buttons: <button data-copy="element-id" data-copied="text shown after copying">.
    document.addEventListener('click', function (event) {
      var button = event.target.closest('button[data-copy]');
      if (!button) return;
      var source = document.getElementById(button.getAttribute('data-copy'));
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent).then(function () {
        var label = button.textContent;
        button.textContent = button.getAttribute('data-copied') || label;
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    });

    // The message composer: show the chosen type's fieldset and preview, count the text's
    // bytes (WeChat counts UTF-8 bytes), and mirror what is typed into the phone preview.
    // Everything is set with textContent or a checked media id: nothing typed becomes HTML.
    (function () {
      var form = document.querySelector('form.composer');
      if (!form) return;
      var base = form.getAttribute('data-media-base') || '';
      var mediaId = /^m_[0-9a-f]{20}$/;
      var type = form.querySelector('[data-composer-type]');
      function showType() {
        var chosen = type.value;
        form.querySelectorAll('fieldset[data-type]').forEach(function (set) { set.hidden = set.getAttribute('data-type') !== chosen; });
        document.querySelectorAll('[data-preview]').forEach(function (block) { block.hidden = block.getAttribute('data-preview') !== chosen; });
      }
      function mirror(input) {
        var name = input.getAttribute('data-bind');
        if (name) {
          document.querySelectorAll('[data-show="' + name + '"]').forEach(function (out) { out.textContent = input.value; });
          var counter = document.querySelector('[data-bytes-for="' + name + '"]');
          if (counter) {
            var bytes = new TextEncoder().encode(input.value).length;
            counter.textContent = bytes;
            counter.classList.toggle('over', bytes > Number(input.getAttribute('data-bytes-max')));
          }
        }
        var image = input.getAttribute('data-bind-image');
        if (image) {
          document.querySelectorAll('[data-show-image="' + image + '"]').forEach(function (img) {
            if (mediaId.test(input.value)) { img.src = base + input.value + '/content'; } else { img.removeAttribute('src'); }
          });
        }
        var label = input.getAttribute('data-bind-label');
        if (label) {
          var option = input.options[input.selectedIndex];
          document.querySelectorAll('[data-show-label="' + label + '"]').forEach(function (out) { out.textContent = input.value ? option.textContent : ''; });
        }
        var options = input.getAttribute('data-bind-options');
        if (options) {
          document.querySelectorAll('[data-show-options="' + options + '"]').forEach(function (list) {
            while (list.firstChild) list.removeChild(list.firstChild);
            input.value.split(/\\r?\\n/).forEach(function (line) {
              line = line.trim();
              if (!line) return;
              var bar = line.indexOf('|');
              var item = document.createElement('li');
              item.textContent = bar >= 0 ? line.slice(bar + 1).trim() : line;
              list.appendChild(item);
            });
          });
        }
      }
      type.addEventListener('change', showType);
      form.addEventListener('input', function (event) { mirror(event.target); });
      form.addEventListener('change', function (event) { mirror(event.target); });
      showType();
      form.querySelectorAll('[data-bind],[data-bind-image],[data-bind-label],[data-bind-options]').forEach(mirror);
      // The audience forecast, fetched again when the send time changes.
      var forecastURL = form.getAttribute('data-forecast-url');
      var when = form.querySelector('[data-forecast-input]');
      var asked = 0;
      function forecast() {
        var ask = ++asked;  // only the latest send time's answer counts
        fetch(forecastURL + '?send_at=' + encodeURIComponent(when.value), { credentials: 'same-origin' })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (figures) {
            if (!figures || ask !== asked) return;
            document.querySelectorAll('[data-forecast]').forEach(function (out) {
              var value = figures[out.getAttribute('data-forecast')];
              if (value !== undefined) out.textContent = value;
            });
          })
          .catch(function () {});
      }
      if (forecastURL && when) { when.addEventListener('change', forecast); forecast(); }
    })();

    // A task's live progress: its figures refreshed every 2 s while it is scheduled or
    // running; when its status changes the page reloads (new buttons, the log).
    (function () {
      var panel = document.querySelector('[data-progress-url]');
      if (!panel) return;
      var url = panel.getAttribute('data-progress-url');
      var status = null;
      function refresh() {
        fetch(url, { credentials: 'same-origin' })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (figures) {
            if (!figures) return;
            panel.querySelectorAll('[data-stat]').forEach(function (out) {
              var value = figures[out.getAttribute('data-stat')];
              if (value !== undefined) out.textContent = value;
            });
            var bar = panel.querySelector('[data-stat-progress]');
            if (bar) { bar.value = figures.percent; bar.textContent = figures.percent + '%'; }
            if (status !== null && status !== figures.status) { window.location.reload(); return; }
            status = figures.status;
            if (figures.live) setTimeout(refresh, 2000); else if (status !== null) window.location.reload();
          })
          .catch(function () { setTimeout(refresh, 5000); });
      }
      refresh();
    })();

    // The rule form: the window-policy warnings for the trigger and delay as they change.
    (function () {
      var form = document.querySelector('form[data-warnings-url]');
      if (!form) return;
      var url = form.getAttribute('data-warnings-url');
      var box = form.querySelector('[data-warnings]'), list = form.querySelector('[data-warnings-list]');
      var none = form.querySelector('[data-warnings-none]');
      var asked = 0;
      function check() {
        var query = '?trigger_kind=' + encodeURIComponent(form.elements.trigger_kind.value) +
          '&delay_seconds=' + encodeURIComponent(form.elements.delay_seconds.value);
        var ask = ++asked;  // answers can arrive out of order: only the latest question counts
        fetch(url + query, { credentials: 'same-origin' })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (answer) {
            if (!answer || ask !== asked) return;
            while (list.firstChild) list.removeChild(list.firstChild);
            answer.warnings.forEach(function (text) {
              var item = document.createElement('li');
              item.textContent = text;
              list.appendChild(item);
            });
            box.hidden = answer.warnings.length === 0;
            none.hidden = answer.warnings.length > 0;
          })
          .catch(function () {});
      }
      form.querySelectorAll('[data-warn]').forEach(function (input) {
        input.addEventListener('input', check);
        input.addEventListener('change', check);
      });
    })();
    """
}
