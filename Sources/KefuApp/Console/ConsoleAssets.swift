/// The console's stylesheet and script, written by hand and served by kefu itself (no build
/// step, nothing from a CDN). The script only adds to pages that work without it.
enum ConsoleAssets {
    static let css = """
    :root { --green: #07c160; --ink: #1f2329; --muted: #646a73; --line: #e4e6eb; --bg: #f5f6f7; --warn: #b26a00; --bad: #c62828; }
    * { box-sizing: border-box; }
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
    """
}
