/* CityWall wall (大屏) — browser side. Plain JS, no libraries, nothing fetched off the host.
 *
 *  - scales the fixed design canvas (#wall-canvas) to the window with one CSS transform:
 *    fit (letterboxed, centred) | fill-width | stretch; resizing is debounced;
 *  - the clock (date, weekday, time) ticks here, without a server round trip;
 *  - the 最新事件 ticker scrolls with requestAnimationFrame and stays anchored on the row it was
 *    showing when the list changes (new incidents arrive at the top, out of sight, so nothing jumps);
 *  - kiosk mode hides the controls and the cursor (CSS, .is-kiosk); its lock against clicks and the
 *    gestures that bring the controls back are in wall-nav.js, with navigation and hover details;
 *  - the URL's parameters are checked again here (wall-params.js): the address bar keeps only the
 *    valid ones, and corrections show as a small Chinese notice outside kiosk mode;
 *  - the connection watch and the retry of a page that failed to load are in wall-watch.js;
 *  - a named screen (screen=) follows the views sent from /console: wall-control.js;
 *  - an optional nightly full reload (settings.app.nightly_reload, HH:MM in the city's zone) contains
 *    memory growth over days: it first checks the server answers, so a wall never reloads into an error page;
 *  - the clientside callbacks of callbacks/wall.py live in window.dash_clientside.citywall.
 */
(function () {
  'use strict';

  var CW = (window.CityWall = window.CityWall || {});
  var WEEKDAYS = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];
  var MODES = ['fit', 'fill-width', 'stretch'];
  var state = { cfg: null, mode: 'fit', ticker: null, clock: null, nightly: null, resizeTimer: null };

  function noUpdate() {
    return window.dash_clientside.no_update;
  }

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  function canvasEl() {
    return document.getElementById('wall-canvas');
  }

  // ---- scaling -------------------------------------------------------------------------------------
  function applyScale() {
    var el = canvasEl();
    if (!el || !state.cfg) return;
    var W = state.cfg.canvas[0], H = state.cfg.canvas[1];
    var vw = window.innerWidth, vh = window.innerHeight;
    var t;
    if (state.mode === 'stretch') {
      t = 'scale(' + vw / W + ',' + vh / H + ')';
    } else if (state.mode === 'fill-width') {
      var sw = vw / W;
      t = 'translate(0px,' + Math.max(0, (vh - H * sw) / 2) + 'px) scale(' + sw + ')';
    } else {
      var s = Math.min(vw / W, vh / H);
      t = 'translate(' + (vw - W * s) / 2 + 'px,' + (vh - H * s) / 2 + 'px) scale(' + s + ')';
    }
    el.style.transform = t;
    el.classList.add('is-scaled');
    var root = document.getElementById('wall-root');
    if (root) root.setAttribute('data-mode', state.mode);
  }

  window.addEventListener('resize', function () {
    clearTimeout(state.resizeTimer);
    state.resizeTimer = setTimeout(applyScale, 150);
  });

  function setMode(mode) {
    if (MODES.indexOf(mode) < 0) return;
    state.mode = mode;
    applyScale();
    var buttons = document.querySelectorAll('#wall-root [data-scale]');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].classList.toggle('is-active', buttons[i].getAttribute('data-scale') === mode);
    }
    setParam('scale', mode);
  }
  CW.setMode = setMode;

  function setParam(key, value) {
    try {
      var url = new URL(window.location.href);
      if (value === null || value === undefined || value === '') url.searchParams.delete(key);
      else url.searchParams.set(key, value);
      window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
      if (CW.rememberWall) CW.rememberWall();
    } catch (e) { /* very old browser: the URL just does not follow */ }
  }

  // ---- URL parameters: the same rules as the server's (wall-params.js) -----------------------------
  function checkParams(cfg) {
    var checked = CW.wallParams(window.location.search, cfg);
    if (checked.search !== window.location.search) {
      // a cut-off, hand-typed or 100 kB query stays out of the address bar (and of the next reload)
      window.history.replaceState(window.history.state, '', window.location.pathname + checked.search + window.location.hash);
    }
    if (CW.rememberWall) CW.rememberWall();
    var notices = CW.mergeNotices(cfg.notices, checked.notices);
    var canvas = canvasEl();
    if (cfg.kiosk || !notices.length || !canvas) return;
    var box = document.createElement('div');
    box.className = 'cw-notice';
    box.setAttribute('role', 'status');
    box.title = '点击关闭';
    notices.forEach(function (text) {
      var line = document.createElement('div');
      line.textContent = text;
      box.appendChild(line);
    });
    box.addEventListener('click', function () { box.parentNode && box.parentNode.removeChild(box); });
    canvas.appendChild(box);
  }

  // ---- clock ---------------------------------------------------------------------------------------
  // the city's time (city.timezone), not the screen's: a wall PC set to another zone shows the city's clock
  var clockFormat = null;
  function cityParts(d) {
    var zone = state.cfg && state.cfg.timezone;
    if (clockFormat === null && zone) {
      try {
        clockFormat = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric',
          month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' });
      } catch (e) { clockFormat = false; }  // an unknown zone: the screen's own time
    }
    if (!clockFormat) {
      return { y: d.getFullYear(), m: d.getMonth() + 1, d: d.getDate(), H: d.getHours(), M: d.getMinutes(),
               S: d.getSeconds(), w: d.getDay() };
    }
    var p = {};
    clockFormat.formatToParts(d).forEach(function (part) { p[part.type] = part.value; });
    return { y: +p.year, m: +p.month, d: +p.day, H: +p.hour, M: +p.minute, S: +p.second,
             w: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(p.weekday) };
  }

  // how far the city's clock is ahead of UTC at the moment ms
  function cityOffset(ms) {
    var n = cityParts(new Date(ms));
    return Date.UTC(n.y, n.m - 1, n.d, n.H, n.M, n.S) - Math.floor(ms / 1000) * 1000;
  }

  // the moment (epoch ms) the city's clock next shows HH:MM after nowMs; the zone's offset is read
  // again at that moment, so a daylight-saving change in between is counted
  function nextCityTime(hhmm, nowMs) {
    var parts = hhmm.split(':'), n = cityParts(new Date(nowMs));
    var wall = Date.UTC(n.y, n.m - 1, n.d, +parts[0], +parts[1], 0, 0);
    var at = wall - cityOffset(nowMs);
    if (at <= nowMs) {
      wall += 86400000;
      at = wall - cityOffset(wall - cityOffset(nowMs));
    }
    return at;
  }
  CW.nextCityTime = nextCityTime;

  function tickClock() {
    var n = cityParts(new Date());
    var t = document.getElementById('wall-clock-time');
    var day = document.getElementById('wall-clock-date');
    if (t) t.textContent = pad(n.H) + ':' + pad(n.M) + ':' + pad(n.S);
    if (day) day.textContent = n.y + '年' + n.m + '月' + n.d + '日 ' + WEEKDAYS[n.w];
  }

  function startClock() {
    tickClock();
    if (state.clock) return;
    // align to the second boundary, then tick every second
    state.clock = setTimeout(function loop() {
      tickClock();
      state.clock = setTimeout(loop, 1000 - (Date.now() % 1000) + 5);
    }, 1000 - (Date.now() % 1000) + 5);
  }

  // ---- ticker --------------------------------------------------------------------------------------
  // #wall-ticker-list (rendered by Dash) sits in a track that moves up; a copy of its rows, owned by
  // this script, follows it so the loop is seamless. When Dash replaces the rows, the MutationObserver
  // runs before the next paint: the copy is rebuilt and the offset re-anchored on the row that was at
  // the top, so new incidents (arriving at the top, out of sight) never make the list jump.
  function Ticker(list, speed) {
    this.list = list;
    this.track = list.parentNode;
    this.speed = speed; // canvas px per second
    this.offset = 0;
    this.last = 0;
    this.tops = [];
    this.keys = [];
    this.half = 0;
    this.anchorKey = null;
    this.anchorDelta = 0;
    this.stopped = false;
    this.paused = false;
    this.copy = document.createElement('ul');
    this.copy.className = 'cw-ticker-list is-copy';
    this.copy.setAttribute('aria-hidden', 'true');
    this.track.appendChild(this.copy);
    var self = this;
    this.sync();
    this.observer = new MutationObserver(function () { self.onChange(); });
    this.observer.observe(list, { childList: true, subtree: true, characterData: true, attributes: true });
    this.frame = function (ts) { self.step(ts); };
    // a capture is a still (drawn.js's CW.still): the list stays at its newest rows, and a page kept
    // warm for captures draws no frames while it waits
    if (!CW.still) window.requestAnimationFrame(this.frame);
  }

  Ticker.prototype.sync = function () {
    this.copy.innerHTML = this.list.innerHTML;
    var rows = this.list.children;
    this.tops = [];
    this.keys = [];
    for (var i = 0; i < rows.length; i++) {
      this.tops.push(rows[i].offsetTop - this.list.offsetTop);
      this.keys.push(rows[i].getAttribute('data-key'));
    }
    this.half = this.list.offsetHeight; // the copy starts right below the list
    var viewport = this.track.parentNode ? this.track.parentNode.clientHeight : 0;
    this.scrolls = this.half > viewport; // a list that fits does not move
    this.copy.style.display = this.scrolls ? '' : 'none';
  };

  Ticker.prototype.remember = function () {
    // the row at the top of the viewport, and how far into it the scroll is
    var lo = 0, hi = this.tops.length - 1, idx = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (this.tops[mid] <= this.offset) { idx = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (idx >= 0) {
      this.anchorKey = this.keys[idx];
      this.anchorDelta = this.offset - this.tops[idx];
    }
  };

  Ticker.prototype.onChange = function () {
    this.remember();
    this.sync();
    var j = this.anchorKey === null ? -1 : this.keys.indexOf(this.anchorKey);
    if (j >= 0) this.offset = this.tops[j] + this.anchorDelta;
    if (!this.scrolls) this.offset = 0;
    else if (this.half > 0) this.offset = this.offset % this.half;
    this.apply();
  };

  Ticker.prototype.apply = function () {
    this.track.style.transform = 'translate3d(0,' + (-this.offset).toFixed(2) + 'px,0)';
  };

  Ticker.prototype.step = function (ts) {
    if (this.stopped) return;
    if (!document.body.contains(this.list)) { this.stop(); return; }
    var dt = this.last ? Math.min((ts - this.last) / 1000, 0.25) : 0;
    this.last = ts;
    if (this.scrolls && this.half > 0 && !this.paused) {
      this.offset = (this.offset + this.speed * dt) % this.half;
      this.remember();
      this.apply();
    }
    window.requestAnimationFrame(this.frame);
  };

  Ticker.prototype.stop = function () {
    this.stopped = true;
    if (this.observer) this.observer.disconnect();
    if (this.copy && this.copy.parentNode) this.copy.parentNode.removeChild(this.copy);
  };

  function startTicker() {
    var list = document.getElementById('wall-ticker-list');
    if (!list) return;
    if (state.ticker && state.ticker.list === list && !state.ticker.stopped) return;
    if (state.ticker) state.ticker.stop();
    var s = (state.cfg && state.cfg.canvas) ? Math.min(state.cfg.canvas[0] / 1920, state.cfg.canvas[1] / 1080) : 1;
    var ticker = state.ticker = new Ticker(list, 26 * s);
    var box = list.parentNode.parentNode;
    box.addEventListener('mouseenter', function () { ticker.paused = true; });
    box.addEventListener('mouseleave', function () { ticker.paused = false; });
  }

  // ---- KPI 翻牌: a short flip when a number changes -------------------------------------------------
  function watchKpis() {
    var bodies = document.querySelectorAll('#wall-canvas .cw-kpi-body');
    for (var i = 0; i < bodies.length; i++) {
      if (bodies[i].__cwWatched) continue;
      bodies[i].__cwWatched = true;
      new MutationObserver(function (records) {
        var body = records[0].target.closest ? records[0].target.closest('.cw-kpi-body') : null;
        var nums = body ? body.querySelectorAll('.cw-num') : [];
        for (var j = 0; j < nums.length; j++) {
          nums[j].classList.remove('is-flip');
          void nums[j].offsetWidth; // restart the animation
          nums[j].classList.add('is-flip');
        }
      }).observe(bodies[i], { childList: true, subtree: true, characterData: true });
    }
  }

  // ---- nightly reload ------------------------------------------------------------------------------
  function scheduleNightly(hhmm) {
    if (state.nightly || !hhmm || !/^\d{2}:\d{2}$/.test(hhmm)) return;
    // HH:MM on the city's clock (city.timezone), like the header's clock: not the screen's own zone
    var now = Date.now();
    var at = nextCityTime(hhmm, now);
    state.nightlyAt = at;
    state.nightly = setTimeout(function attempt() {
      // reload only when the server answers; otherwise keep showing the last good wall and retry
      fetch(window.location.href, { cache: 'no-store', credentials: 'same-origin' }).then(function (r) {
        if (r.ok) window.location.reload();
        else state.nightly = setTimeout(attempt, 60000);
      }).catch(function () { state.nightly = setTimeout(attempt, 60000); });
    }, CW.safeDelay(at - now));
  }
  CW.nightlyAt = function () { return state.nightlyAt || null; };
  CW.wallConfig = function () { return state.cfg; };

  // ---- mount ---------------------------------------------------------------------------------------
  function mount(cfg, tries) {
    state.cfg = cfg;
    if (!canvasEl()) {
      // the page layout arrives with this store; React may not have committed it yet
      if ((tries || 0) < 200) window.requestAnimationFrame(function () { mount(cfg, (tries || 0) + 1); });
      return;
    }
    state.mode = MODES.indexOf(cfg.mode) >= 0 ? cfg.mode : 'fit';
    applyScale();
    checkParams(cfg);
    startClock();
    scheduleNightly(cfg.nightly);
    // the ticker measures its rows and the KPI watchers observe the tiles: neither is needed for the
    // first paint, so they wait until the browser is idle (after the graphs are drawn)
    whenIdle(function () { startTicker(); watchKpis(); });
  }

  function whenIdle(fn) {
    if (window.requestIdleCallback) window.requestIdleCallback(fn, { timeout: 2000 });
    else setTimeout(fn, 500);
  }
  CW.mount = mount;

  // ---- clientside callbacks (callbacks/wall.py) --------------------------------------------------------
  function pickWorst(fresh, datasets) {
    var worst = null;
    for (var i = 0; i < datasets.length; i++) {
      var info = fresh && fresh[datasets[i]];
      if (!info) continue;
      if (info.a === null || info.a === undefined) return info;
      if (!worst || info.a > worst.a) worst = info;
    }
    return worst;
  }

  // a capture of a page kept warm (dashboard/warm_pages.py) asks for a poll now rather than at the
  // next tick: a tick for the gate (which reads only the poll's own count, never n_intervals)
  CW.pollNow = function () {
    window.dash_clientside.set_props('wall-tick', { n_intervals: Date.now() });
  };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.citywall = {
    // pass a tick on to the server poll only when the previous poll has been answered
    gate: function (n, poll, ack, cfg) {
      var now = Date.now();
      var period = ((cfg && cfg.refresh) || 15) * 1000;
      var pending = poll && ack && poll.n !== ack.n;
      if (pending && CW.conn.failedPoll !== poll.n) {
        if (now - poll.t < 3 * period) return noUpdate(); // still running: skip this tick
        CW.conn.failed(poll.n); // no answer in 3 periods: a server that accepts but never answers
      }
      return { n: ((poll && poll.n) || 0) + 1, t: now };
    },

    // the versions drawn (data-cw-version, the value of drawn.js's flag), set once every redraw a new
    // version set off has answered: Dash runs a callback only when no callback upstream of its inputs,
    // here every redraw's output, is still pending (callbacks/wall.py)
    drawnVersion: function () {
      var ack = arguments[arguments.length - 1];
      return (ack && ack.d) || noUpdate();
    },

    // wall-versions → one store per dataset, touching only those whose version changed
    fanout: function (versions) {
      var states = Array.prototype.slice.call(arguments, 1);
      var outs = window.dash_clientside.callback_context.outputs_list;
      return outs.map(function (o, i) {
        var ds = String(o.id).replace(/^wall-v-/, '');
        var v = versions ? versions[ds] : undefined;
        return v === undefined || v === states[i] ? noUpdate() : v;
      });
    },

    // mark stale panels (class is-stale) and fill their badges
    stale: function (fresh, classNames) {
      var outs = window.dash_clientside.callback_context.outputs_list;
      var panels = outs[0], badges = outs[1];
      var classes = panels.map(function (o, i) {
        var ds = String(o.id.ds).split(' ');
        var base = String(classNames[i] || '').replace(/(^|\s)is-stale(?=\s|$)/g, '').trim();
        return pickWorst(fresh, ds) ? base + ' is-stale' : base;
      });
      var texts = [], titles = [];
      badges.forEach(function (o) {
        var w = pickWorst(fresh, String(o.id.ds).split(' '));
        texts.push(w ? w.b : '');
        titles.push(w ? w.r : '');
      });
      return [classes, texts, titles];
    },

    rotate: function (n, view, cfg) {
      if (CW.wallControl && CW.wallControl.holding()) return noUpdate(); // a view sent from /console (wall-control.js)
      var views = (cfg && cfg.views) || [];
      var period = CW.clampRotate(Number(cfg && cfg.rotate) || 0) * 1000;
      var now = Date.now();
      // a timer that fires faster than the (clamped) period never turns the views over faster
      if (views.length < 2 || !period || now - (state.rotatedAt || 0) < 0.9 * period) return noUpdate();
      state.rotatedAt = now;
      CW.hideTip();
      var idx = -1;
      for (var i = 0; i < views.length; i++) if (views[i].id === view) idx = i;
      var next = views[(idx + 1) % views.length].id;
      setParam('view', next === 'city' ? null : next);
      return next;
    },

    viewLabel: function (view, cfg) {
      var views = (cfg && cfg.views) || [];
      var label = '全市', idx = -1;
      for (var i = 0; i < views.length; i++) if (views[i].id === view) { label = views[i].label; idx = i; }
      if (idx < 0 && view && view.indexOf('district:') === 0) label = ((cfg && cfg.names) || {})[view.slice(9)] || view.slice(9);
      var text = '当前视图：' + label;
      if (cfg && cfg.rotate && views.length > 1 && idx >= 0) text += ' · 轮播 ' + (idx + 1) + '/' + views.length;
      return text;
    },

    mount: function (cfg) {
      if (cfg) mount(cfg, 0);
      return noUpdate();
    },

    navigate: function () {
      var trig = window.dash_clientside.callback_context.triggered;
      if (!trig || !trig.length || !trig[0].value || !trig[0].value.points) return noUpdate();
      var p = trig[0].value.points[0] || {};
      var cd = p.customdata;
      // A click on a filled area (the SVG map's districts) has no point number. dcc.Graph then passes
      // the whole trace's customdata, and only for traces whose mode has lines; otherwise the clicked
      // trace's own customdata (its first element is the district's URL) is read from the graph.
      if ((cd === undefined || cd === null) && typeof p.curveNumber === 'number' && typeof p.pointNumber !== 'number') {
        var propId = trig[0].prop_id || '';
        var holder = document.getElementById(propId.slice(0, propId.lastIndexOf('.')));
        var gd = holder && (holder.classList.contains('js-plotly-plot') ? holder : holder.querySelector('.js-plotly-plot'));
        var trace = gd && gd.data && gd.data[p.curveNumber];
        cd = trace && trace.customdata;
      }
      var href = typeof cd === 'string' ? cd : (Array.isArray(cd) && typeof cd[0] === 'string' ? cd[0] : null);
      if (!href && p.location) href = '/district/' + encodeURIComponent(p.location);
      if (href && CW.go(href)) return href; // a kiosk wall does not navigate
      return noUpdate();
    }
  };
})();
