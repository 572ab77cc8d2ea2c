/* CityWall — the explicit "all panels drawn" flag, and the capture stamp.
 *
 * When every Plotly graph of the page has had its first draw (its _fullLayout and SVG exist), every
 * HtmlBlock panel body has its markup, every AG Grid shows its first rows (or its "no rows" notice;
 * an infinite grid's rows come from a server callback), no component's code is still loading (Dash
 * loads dcc.Graph's and AG Grid's code on first use, and draws nothing in their place meanwhile),
 * nothing is loading (Dash's data-dash-is-loading) and the web fonts are ready, the page sets
 *     document.documentElement.dataset.cwDrawn = "<data version signature>"
 * (the wall's data-cw-version; a drill-down page without one sets "1"). Server-side captures
 * (dashboard/capture.py) and the browser tests wait for this flag, never for a fixed sleep, so a
 * capture never shows a spinner or an empty panel.
 *
 * With ?capture=1 (read here, before wall.js drops parameters it does not know from the address bar)
 * the page first adds a small stamp: the view (全市, a district or the drill-down's breadcrumb), the
 * data version, the data's update time and the time of the capture. On the wall the version follows
 * the redraws (callbacks/wall.py sets data-cw-version once a new version's redraws have all answered),
 * and so do the flag and the stamp; a wall page kept warm for captures restamps itself per capture.
 */
(function () {
  'use strict';

  var capture = /(?:^|[?&])capture=1(?:&|$)/.test(window.location.search);

  function pageRoot() {
    return document.getElementById('wall-root') || document.querySelector('.cw-drill-page, .cw-briefing');
  }

  function graphsDrawn(root) {
    var graphs = root.querySelectorAll('.dash-graph');
    for (var i = 0; i < graphs.length; i++) {
      var gd = graphs[i].classList.contains('js-plotly-plot') ? graphs[i] : graphs[i].querySelector('.js-plotly-plot');
      if (!gd || !gd._fullLayout || !gd.querySelector('.main-svg')) return false;
    }
    return true;
  }

  function blocksMounted(root) {
    var bodies = root.querySelectorAll('.cw-html-body, .cw-kpi-body');
    for (var i = 0; i < bodies.length; i++) if (!bodies[i].firstChild) return false;
    return true;
  }

  // an infinite grid stands one empty row in for the rows its server callback has not sent yet
  function gridShown(grid) {
    if (grid.querySelector('.ag-overlay-no-rows-center')) return true;
    var cells = grid.querySelectorAll('.ag-center-cols-container .ag-cell');
    for (var i = 0; i < cells.length && i < 50; i++) if (cells[i].textContent.trim()) return true;
    return false;
  }

  function gridsShown(root) {
    var grids = root.querySelectorAll('.ag-root-wrapper');
    for (var i = 0; i < grids.length; i++) {
      if (!grids[i].offsetHeight) continue; // a hidden grid draws no rows
      if (grids[i].querySelector('.ag-row-loading') || !gridShown(grids[i])) return false;
    }
    return true;
  }

  // a component's code chunk (async-graph.js, async-community.js …) requested and not yet arrived:
  // its component is not on the page yet, so the checks above cannot see it
  function chunksLoaded() {
    var scripts = document.querySelectorAll('script[src*="async-"]');
    for (var i = 0; i < scripts.length; i++) {
      if (!performance.getEntriesByName(scripts[i].src, 'resource').length) return false;
    }
    return true;
  }

  function drawn(root) {
    if (!root || root.querySelector('[data-dash-is-loading="true"]')) return false;
    if (document.querySelector('._dash-loading, .dash-spinner')) return false;
    var canvas = document.getElementById('wall-canvas');
    if (root.id === 'wall-root' && !(canvas && canvas.classList.contains('is-scaled'))) return false;
    if (document.fonts && document.fonts.status !== 'loaded') return false;
    return chunksLoaded() && graphsDrawn(root) && blocksMounted(root) && gridsShown(root);
  }

  function signature(root) {
    return root.getAttribute('data-cw-version') || '1';
  }

  function viewName(root) {
    if (root.id === 'wall-root') {
      var label = document.getElementById('wall-view-label');
      var text = label ? label.textContent : '';
      return text.replace(/^当前视图：/, '').replace(/\s*·\s*轮播.*$/, '') || '全市';
    }
    var crumbs = root.querySelectorAll('.cw-breadcrumb .cw-crumb');
    var names = [];
    for (var i = 0; i < crumbs.length; i++) names.push(crumbs[i].textContent.trim());
    return names.join(' › ') || document.title;
  }

  function stampText(root) {
    var d = new Date();
    var p = function (n) { return n < 10 ? '0' + n : String(n); };
    var updated = document.getElementById('wall-updated');
    var parts = [viewName(root), '数据版本 ' + signature(root)];
    if (updated && updated.textContent.trim()) parts.push(updated.textContent.trim());
    parts.push('截图于 ' + d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' +
               p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()));
    return parts.join(' · ');
  }

  // written again with each version drawn, and by each capture of a page kept warm (restamp, below)
  function stamp(root) {
    var el = document.getElementById('cw-capture-stamp');
    if (!el) {
      el = document.createElement('div');
      el.id = 'cw-capture-stamp';
      el.className = 'cw-capture-stamp';
      var s = Math.max(1, window.innerWidth / 1920);
      el.style.cssText = 'position:fixed;right:' + 12 * s + 'px;bottom:' + 8 * s + 'px;z-index:2147483647;' +
        'padding:' + 3 * s + 'px ' + 10 * s + 'px;font:' + 14 * s + 'px "Noto Sans CJK SC","Noto Sans SC",sans-serif;' +
        'color:#e6f1ff;background:rgba(4,16,36,.82);border:1px solid rgba(90,170,255,.5);border-radius:' + 4 * s + 'px;' +
        'pointer-events:none;white-space:nowrap';
      document.body.appendChild(el);
    }
    el.textContent = stampText(root);
    return el.textContent;
  }

  if (capture) {
    var CW = (window.CityWall = window.CityWall || {});
    // a still: no ticker scroll (wall.js), no KPI flip or badge pulse (wall.css .cw-capture)
    CW.still = true;
    document.documentElement.classList.add('cw-capture');
    // a capture of a wall page kept warm (dashboard/warm_pages.py): the stamp says the time of this
    // capture, not of the page's load; resolved once painted (two frames)
    CW.restamp = function () {
      var text = stamp(pageRoot());
      return new Promise(function (resolve) {
        window.requestAnimationFrame(function () { window.requestAnimationFrame(function () { resolve(text); }); });
      });
    };
    // a Dash update request that failed (a panel's redraw, a poll) leaves a panel with older data than
    // the flag's version: counted in data-cw-failed, and such a warm page is loaded again instead
    var fetchFirst = window.fetch;
    window.fetch = function (input, init) {
      var answer = fetchFirst.apply(this, arguments);
      if (!init || String(init.method || '').toUpperCase() !== 'POST') return answer;
      var failed = function () {
        var html = document.documentElement;
        html.dataset.cwFailed = String(Number(html.dataset.cwFailed || 0) + 1);
      };
      return answer.then(function (r) { if (r.status >= 400) failed(); return r; },
                         function (e) { failed(); throw e; });
    };
  }

  // checked on a short timer (cheap: a few selectors); the flag follows a later redraw's version
  function check() {
    var root = pageRoot();
    var html = document.documentElement;
    if (!drawn(root)) {
      if (!html.dataset.cwDrawn) return;
      delete html.dataset.cwDrawn; // a page moved on (another view, a reload of its panels)
      return;
    }
    var sig = signature(root);
    if (html.dataset.cwDrawn === sig) return;
    if (capture) stamp(root);
    // two frames: the flag goes up once the drawn state has been painted
    window.requestAnimationFrame(function () {
      window.requestAnimationFrame(function () {
        if (drawn(pageRoot())) html.dataset.cwDrawn = sig;
      });
    });
  }

  window.setInterval(check, 100);
  // until the first draw, also check as soon as the page changes (at most once a frame), so the flag
  // rises when the page is drawn rather than up to one timer period later
  var pending = false;
  var observer = new MutationObserver(function () {
    if (document.documentElement.dataset.cwDrawn) { observer.disconnect(); return; }
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; check(); });
  });
  observer.observe(document.documentElement, {childList: true, subtree: true, attributes: true});
})();
