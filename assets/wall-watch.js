/* CityWall — a wall that never dies: the connection to the server, and a page that failed to load.
 *
 *  - the wall's poll (callbacks/wall.py: the callback whose output includes wall-ack.data) is watched
 *    as it goes out: after FAILED_POLLS failed polls in a row (no answer, or a 5xx) the wall says
 *    "与服务器连接中断 · 显示 09:15 的数据" and dims its numbers (class cw-offline on <html>); the first
 *    poll answered clears it. A failed poll re-opens the poll gate at once (CityWall.conn.failed), so
 *    the wall notices in a few refresh periods, not in three times as many;
 *  - when dash-renderer gives up on the first load ("Error loading layout" / "… dependencies", a
 *    ._dash-error), the page says so in Chinese and checks the server again after 2, 4, 8 … 60 s;
 *    once /_dash-layout and /_dash-dependencies answer, it reloads. The count of attempts survives
 *    the reload (sessionStorage) and is reset when a page has drawn.
 */
(function () {
  'use strict';

  var CW = (window.CityWall = window.CityWall || {});
  var FAILED_POLLS = 3;
  var RETRY_BASE_MS = 2000, RETRY_MAX_MS = 60000, RETRY_KEY = 'citywall.loadRetries';
  var POLL_OUTPUT = 'wall-ack.data'; // layouts.wall.IDS["ack"]: only the poll outputs it

  function pad(n) { return n < 10 ? '0' + n : String(n); }

  // ---- the connection ----------------------------------------------------------------------------------
  var conn = { failures: 0, failedPoll: null, down: false, lastOk: Date.now(), banner: null };

  function shownTime() {
    // the header's "数据更新于 09:15:31" names the data on screen; else the last answered poll
    var updated = document.getElementById('wall-updated');
    var m = updated && /(\d{1,2}:\d{2}):\d{2}/.exec(updated.textContent || '');
    if (m) return m[1];
    var d = new Date(conn.lastOk);
    return pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  function setOffline(down) {
    conn.down = down;
    document.documentElement.classList.toggle('cw-offline', down);
    if (conn.banner && conn.banner.parentNode) conn.banner.parentNode.removeChild(conn.banner);
    conn.banner = null;
    var canvas = document.getElementById('wall-canvas');
    if (!down || !canvas) return;
    conn.banner = document.createElement('div');
    conn.banner.className = 'cw-offline-banner';
    conn.banner.setAttribute('role', 'alert');
    conn.banner.textContent = '与服务器连接中断 · 显示 ' + shownTime() + ' 的数据';
    canvas.appendChild(conn.banner);
  }

  conn.failed = function (n) {
    if (n !== undefined && n !== null && n === conn.failedPoll) return; // counted already
    conn.failedPoll = n;
    conn.failures += 1;
    if (conn.failures >= FAILED_POLLS && !conn.down) setOffline(true);
  };
  conn.answered = function () {
    conn.failures = 0;
    conn.failedPoll = null;
    conn.lastOk = Date.now();
    if (conn.down) setOffline(false);
  };
  CW.conn = conn;

  function pollNumber(body) {
    try { return JSON.parse(body).inputs[0].value.n; } catch (e) { return null; }
  }

  if (window.fetch) {
    var nativeFetch = window.fetch;
    window.fetch = function (input, init) {
      var promise = nativeFetch.apply(this, arguments);
      var body = init && typeof init.body === 'string' ? init.body : '';
      if (body.indexOf(POLL_OUTPUT) < 0) return promise;
      var n = pollNumber(body);
      promise.then(function (r) {
        if (r.status >= 500) conn.failed(n); else conn.answered();
      }, function () { conn.failed(n); });
      return promise;
    };
  }

  // ---- a page that failed to load ------------------------------------------------------------------
  function retries(value) {
    try {
      if (value === undefined) return Number(window.sessionStorage.getItem(RETRY_KEY)) || 0;
      if (value) window.sessionStorage.setItem(RETRY_KEY, String(value));
      else window.sessionStorage.removeItem(RETRY_KEY);
    } catch (e) { /* no sessionStorage: every reload starts the backoff again */ }
    return value || 0;
  }

  function dashUrl(name) {
    var prefix = '/';
    try { prefix = JSON.parse(document.getElementById('_dash-config').textContent).requests_pathname_prefix || '/'; }
    catch (e) { /* the default prefix */ }
    return prefix + name;
  }

  function serverAnswers() {
    var ask = function (name) {
      return window.fetch(dashUrl(name), { cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok; }, function () { return false; });
    };
    return Promise.all([ask('_dash-layout'), ask('_dash-dependencies')]).then(function (oks) {
      return oks[0] && oks[1];
    });
  }

  var note = null;
  function retryLoad() {
    var attempt = retries();
    var delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * Math.pow(2, attempt));
    var due = Date.now() + delay;
    if (!note) {
      note = document.createElement('div');
      note.className = 'cw-load-retry';
      note.setAttribute('role', 'alert');
      document.body.appendChild(note);
    }
    var show = function () {
      var left = Math.max(0, Math.ceil((due - Date.now()) / 1000));
      note.textContent = '页面加载失败，' + left + ' 秒后自动重试（第 ' + (attempt + 1) + ' 次）';
    };
    show();
    var tick = setInterval(show, 1000);
    setTimeout(function () {
      clearInterval(tick);
      retries(attempt + 1);
      note.textContent = '正在连接服务器…';
      serverAnswers().then(function (ok) {
        if (ok) window.location.reload();
        else retryLoad();
      });
    }, delay);
  }
  CW.loadRetries = function () { return retries(); };

  // dash-renderer shows ._dash-error when the layout or the dependencies failed; a page that drew
  // (the Pages container is there) ends the watch
  var watch = setInterval(function () {
    if (document.getElementById('_pages_content')) { clearInterval(watch); retries(0); return; }
    if (document.querySelector('._dash-error')) { clearInterval(watch); retryLoad(); }
  }, 300);
})();
