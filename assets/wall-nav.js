/* CityWall wall — navigation, the kiosk lock and the hover details. Plain JS, nothing fetched.
 *
 *  - a click on a panel, a row or a link inside the wall's markup opens its drill-down in place
 *    (CityWall.go: Dash's history route, no reload);
 *  - kiosk mode (#wall-root.is-kiosk): clicks and taps never navigate, on any part of the wall. A
 *    deliberate gesture, a key press or a long press (about 1 s, held still), shows the controls for
 *    30 s (class cw-controls on <html>), then they hide again; moving the mouse does nothing;
 *  - "‹ 返回大屏" (a.cw-back) returns to the wall's last address in this tab, with its own parameters
 *    (kiosk, rotate, view, scale), not to a bare /wall;
 *  - the wall's hover details (data-tip, layouts/meters.py): one box on <body> follows the pointer; it
 *    hides on every click, navigation and view change, so it never stays on the next page. (A drill-down
 *    page's numbers have theirs from assets/drill-tips.js, which shows them on a tap too: one box a page.)
 */
(function () {
  'use strict';

  var CW = (window.CityWall = window.CityWall || {});
  var CONTROLS_MS = 30000, LONG_PRESS_MS = 1000, PRESS_SLOP = 12;
  var WALL_KEY = 'citywall.wall';
  var kiosk = { timer: null, press: null, longPressed: false, swallowUntil: 0 };
  var lastWall = null; // when sessionStorage is not available

  // ---- hover details -----------------------------------------------------------------------------------
  // one element on <body>, outside the scaled canvas and its clipped panels
  var tip = null;
  function hideTip() { if (tip) tip.classList.remove('is-shown'); }
  function showTip(ev) {
    var holder = ev.target && ev.target.closest && ev.target.closest('#wall-root [data-tip]');
    if (!holder || holder.closest('.is-kiosk')) { hideTip(); return; }
    if (!tip) { tip = document.createElement('div'); tip.className = 'cw-tip'; document.body.appendChild(tip); }
    var text = holder.getAttribute('data-tip');
    if (tip.textContent !== text) tip.textContent = text;
    tip.classList.add('is-shown');
    var x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth - 4) x = ev.clientX - tip.offsetWidth - 14;
    if (y + tip.offsetHeight > window.innerHeight - 4) y = ev.clientY - tip.offsetHeight - 14;
    tip.style.transform = 'translate(' + Math.max(4, x) + 'px, ' + Math.max(4, y) + 'px)';
  }
  document.addEventListener('mousemove', showTip, { passive: true });
  document.addEventListener('mouseleave', hideTip);
  window.addEventListener('popstate', hideTip);
  window.addEventListener('_dashprivate_pushstate', hideTip);
  window.addEventListener('blur', hideTip);
  document.addEventListener('visibilitychange', hideTip);
  CW.hideTip = hideTip;

  // ---- kiosk: locked against clicks, controls on a deliberate gesture ----------------------------------
  function kioskWall() { return document.querySelector('#wall-root.is-kiosk'); }
  function controlsShown() { return document.documentElement.classList.contains('cw-controls'); }

  function showControls() {
    document.documentElement.classList.add('cw-controls');
    clearTimeout(kiosk.timer);
    kiosk.timer = setTimeout(function () { document.documentElement.classList.remove('cw-controls'); }, CONTROLS_MS);
  }
  CW.controlsShown = controlsShown;

  function cancelPress() {
    if (kiosk.press) clearTimeout(kiosk.press.timer);
    kiosk.press = null;
  }

  document.addEventListener('keydown', function () { if (kioskWall()) showControls(); });
  document.addEventListener('pointerdown', function (ev) {
    cancelPress();
    if (!kioskWall()) return;
    kiosk.press = { x: ev.clientX, y: ev.clientY, timer: setTimeout(function () {
      kiosk.press = null;
      kiosk.longPressed = true;
      showControls();
    }, LONG_PRESS_MS) };
  }, true);
  document.addEventListener('pointermove', function (ev) {
    if (kiosk.press && Math.abs(ev.clientX - kiosk.press.x) + Math.abs(ev.clientY - kiosk.press.y) > PRESS_SLOP) cancelPress();
  }, { passive: true, capture: true });
  document.addEventListener('pointerup', function () {
    cancelPress();
    // the click that ends a long press only brought the controls back
    if (kiosk.longPressed) { kiosk.longPressed = false; kiosk.swallowUntil = Date.now() + 600; }
  }, true);
  document.addEventListener('pointercancel', cancelPress, true);
  document.addEventListener('contextmenu', function (ev) { if (kioskWall()) ev.preventDefault(); });

  // ---- navigation ------------------------------------------------------------------------------------
  // A link from the wall to a page that selects by region carries the wall's district view as it is
  // when clicked (the rotation changes the view in place): layouts/links.py's in_view, REGION_PATHS.
  var REGION_PATHS = ['/incidents'];
  function regionFor(href) {
    if (!document.getElementById('wall-root')) return href;
    try {
      var url = new URL(href, window.location.origin);
      if (REGION_PATHS.indexOf(url.pathname) < 0) return href;
      var view = new URL(window.location.href).searchParams.get('view') || '';
      if (view.indexOf('district:') === 0 && view.length > 9) url.searchParams.set('region', view.slice(9));
      else url.searchParams.delete('region');
      return url.pathname + url.search + url.hash;
    } catch (e) { return href; }
  }
  CW.regionFor = regionFor;

  function go(href) {
    if (!href || href.charAt(0) !== '/' || href.charAt(1) === '/') return false;
    if (kioskWall()) return false; // a kiosk wall never leaves itself (its toolbar's links are dcc.Links)
    href = regionFor(href);
    hideTip();
    if (CW.leavesPageKind && CW.leavesPageKind(href)) { window.location.assign(href); return true; } // pages.js
    window.history.pushState({}, '', href);
    window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
    window.scrollTo(0, 0);
    return true;
  }
  CW.go = go;

  // the wall's address (its parameters already checked by wall.js), for "‹ 返回大屏"
  CW.rememberWall = function () {
    lastWall = window.location.pathname + window.location.search;
    try { window.sessionStorage.setItem(WALL_KEY, lastWall); } catch (e) { /* private mode: memory only */ }
  };
  function wallHref() {
    var href = lastWall;
    try { href = window.sessionStorage.getItem(WALL_KEY) || href; } catch (e) { /* memory only */ }
    return href && /^\/(wall)?(\?|$)/.test(href) ? href : null;
  }

  // capture phase, before Dash's own link handlers: the kiosk lock, the back link, hiding the hover box
  window.addEventListener('click', function (ev) {
    hideTip();
    var target = ev.target && ev.target.closest ? ev.target : null;
    if (!target) return;
    var locked = kioskWall() && target.closest('#wall-root') && !(controlsShown() && target.closest('.cw-toolbar'));
    if (locked || Date.now() < kiosk.swallowUntil) {
      kiosk.swallowUntil = 0;
      ev.preventDefault();
      ev.stopPropagation();
      return;
    }
    var back = target.closest('a.cw-back');
    var href = back && !(ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button) ? wallHref() : null;
    if (href) {
      ev.preventDefault();
      ev.stopPropagation();
      go(href);
    }
  }, true);

  document.addEventListener('click', function (ev) {
    var target = ev.target;
    if (!target || !target.closest) return;
    var scaleBtn = target.closest('#wall-root [data-scale]');
    if (scaleBtn) { if (CW.setMode) CW.setMode(scaleBtn.getAttribute('data-scale')); return; }
    if (!target.closest('#wall-root') || ev.defaultPrevented || target.closest('button')) return;
    var link = target.closest('a[href]');
    if (link) {
      // a dcc.Link handled its click above (defaultPrevented); a link inside server-rendered markup
      // (layouts/markup.py) opens in place too, unless asked for a new tab
      var path = link.getAttribute('href');
      if (path.charAt(0) !== '/' || link.target || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button) return;
      ev.preventDefault();
      go(path);
      return;
    }
    if (target.closest('.cw-graph--points')) return; // those graphs navigate per point (clickData)
    var holder = target.closest('[data-href]');
    var href = holder && holder.getAttribute('data-href');
    if (href) go(href);
  });
})();
