/* CityWall — wall control (大屏控制): a named wall screen follows the views an operator sends from /console.
 *
 * Runs only on a wall opened with ``screen=`` (``/wall?screen=main&kiosk=1``), and on a page sent to
 * that screen (the screen's name is kept in sessionStorage). It asks GET /wall-control/state about once
 * a second (dashboard/wall_control_http.py: a few bytes from the server's memory), apart from the
 * data poll, and applies the answer:
 *  - wall (全市 / a district): the wall's view store (wall-view) is set in place and the rotation holds;
 *    the address bar gets view=…, so a reload draws that view at once;
 *  - drill (a drill-down page): the screen opens the page (a full load: another kind of page);
 *  - rotation (恢复轮播): the wall's default view again, and the rotation resumes.
 * A reloaded screen gets its current command on its first check. Each check says which command the
 * screen shows (shows=<id>), which the server writes as a coarse heartbeat for /console.
 * A refused claim (a token issued for another name) stops the checks and says so, in Chinese.
 */
(function () {
  'use strict';

  var CW = (window.CityWall = window.CityWall || {});
  var PATH = '/wall-control/state';
  var KEY = 'citywall.screen';
  var RETRY_MS = 2000;
  var RETRY_LOGIN_MS = 30000; // a kiosk session that ended: every refused check is audited, so rarely
  var ctl = { name: null, shows: 0, held: null, opened: 0, onWall: false, home: '/wall', stopped: true, timer: null };

  function saved() {
    try { return JSON.parse(window.sessionStorage.getItem(KEY)) || null; } catch (e) { return null; }
  }
  function save() {
    try {
      if (ctl.name) window.sessionStorage.setItem(KEY, JSON.stringify({ name: ctl.name, home: ctl.home, held: ctl.held,
                                                                opened: ctl.opened }));
      else window.sessionStorage.removeItem(KEY);
    } catch (e) { /* no sessionStorage: a page sent to the screen cannot come back by itself */ }
  }

  function isWallPath(path) { return path === '/' || path === '/wall' || path === '/wall/'; }

  function urlView() { return new URL(window.location.href).searchParams.get('view'); }

  function setView(view) {
    // the address bar follows, as with the rotation (wall.js): a reload draws this view
    var url = new URL(window.location.href);
    if (view) url.searchParams.set('view', view); else url.searchParams.delete('view');
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    if (CW.rememberWall) CW.rememberWall();
  }

  function homeWith(view) {
    var url = new URL(ctl.home, window.location.origin);
    if (view) url.searchParams.set('view', view);
    return url.pathname + url.search;
  }

  function defaultView() { // as the server's (dashboard/wall_view.py wall_request): the playlist's first when it rotates
    var cfg = CW.wallConfig ? CW.wallConfig() : null;
    return cfg && cfg.rotate && cfg.views && cfg.views.length > 1 ? cfg.views[0].id : 'city';
  }

  function setWallView(view) {
    if (!document.getElementById('wall-canvas') || !window.dash_clientside || !window.dash_clientside.set_props) return false;
    if (CW.hideTip) CW.hideTip();
    window.dash_clientside.set_props('wall-view', { data: view });
    return true;
  }

  // → true when the command is shown (or being opened); false: try again on the next answer
  function apply(answer) {
    if (answer.kind === 'drill') {
      // opened already (a page may rewrite its own address: its sort, its page), or open it now
      if (ctl.onWall || ctl.opened !== answer.id) {
        ctl.opened = answer.id;
        save();
        window.location.assign(answer.url);
      }
      return true;
    }
    if (!ctl.onWall) {
      ctl.held = answer.kind === 'wall' ? answer.view : null;
      save();
      window.location.assign(homeWith(ctl.held));
      return true;
    }
    if (answer.kind === 'wall') {
      if (urlView() !== answer.view && !setWallView(answer.view)) return false;
      ctl.held = answer.view;
      setView(answer.view);
    } else if (ctl.held !== null) { // 恢复轮播: back to the wall's default view, the rotation resumes
      var view = defaultView();
      if (!setWallView(view)) return false;
      ctl.held = null;
      setView(null);
    }
    save();
    return true;
  }

  function notice(text) {
    var host = document.getElementById('wall-canvas') || document.body;
    var box = document.createElement('div');
    box.className = 'cw-notice cw-control-notice';
    box.setAttribute('role', 'alert');
    box.textContent = text;
    host.appendChild(box);
  }

  function schedule(ms) {
    clearTimeout(ctl.timer);
    if (!ctl.stopped) ctl.timer = setTimeout(check, ms);
  }

  function check() {
    var url = PATH + '?screen=' + encodeURIComponent(ctl.name) + '&shows=' + ctl.shows;
    window.fetch(url, { cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) {
        return r.json().then(function (body) { return { status: r.status, body: body }; },
                             function () { return { status: r.status, body: {} }; });
      })
      .then(function (res) {
        if (res.status === 400 || res.status === 403) { // not this screen's name: stop, and say so
          ctl.stopped = true;
          ctl.name = null;
          save();
          notice((res.body && res.body.error) || '此屏不能认领该大屏名称');
          return;
        }
        if (res.status !== 200) { schedule(res.status === 401 ? RETRY_LOGIN_MS : RETRY_MS); return; }
        var answer = res.body;
        if (answer.id !== ctl.shows && apply(answer)) ctl.shows = answer.id;
        schedule(answer.poll || 1000);
      }, function () { schedule(RETRY_MS); });
  }

  function start() {
    var path = window.location.pathname;
    var params = isWallPath(path) && CW.wallParams ? CW.wallParams(window.location.search, {}) : null;
    var before = saved();
    if (params && params.screen) {
      var home = new URL(window.location.href);
      home.searchParams.delete('view');
      home.searchParams.delete('token');
      ctl.name = params.screen;
      ctl.home = home.pathname + home.search;
      ctl.onWall = true;
      // the view in the address bar was commanded (a reload): 恢复轮播 must undo it
      ctl.held = before && before.name === params.screen && before.held === urlView() ? before.held : null;
    } else if (before && before.name && !isWallPath(path)) {
      ctl.name = before.name;
      ctl.home = before.home || '/wall';
      ctl.held = before.held || null;
      ctl.opened = before.opened || 0;
    } else {
      return;
    }
    ctl.stopped = false;
    check();
  }

  CW.wallControl = {
    // wall.js's rotation holds while a commanded view is shown
    holding: function () { return ctl.onWall && !ctl.stopped && ctl.held !== null; },
    screen: function () { return ctl.name; },
    shows: function () { return ctl.shows; }
  };

  if (window.fetch && window.URL && window.history && window.history.replaceState) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
    else setTimeout(start, 0); // after wall-params.js, loaded after this file
  }
})();
