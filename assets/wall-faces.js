/* CityWall wall (大屏) — panels that take turns in one box (#wall-faces: 省级目标指标, then 指挥调度).
 *
 *  - the first panel shows first; once the wall is drawn, the next one every cfg.faces seconds
 *    (layouts/wall_canvas.py FACE_SECONDS), never while the pointer is over the box;
 *  - a panel whose body says data-idle (指挥调度 with nothing open and nothing issued or moved today)
 *    is skipped, so a city that does not dispatch keeps its targets in view;
 *  - when a later panel is redrawn (a new instruction, a step taken) it comes to the front at once,
 *    for a whole turn: what just happened in the room is what the wall shows;
 *  - a capture (?capture=1) keeps the first panel;
 *  - the panel in front is the box's data-front (its index); assets/wall-command.css fades the others.
 */
(function () {
  'use strict';

  var CW = (window.CityWall = window.CityWall || {});
  var capture = /(?:^|[?&])capture=1(?:&|$)/.test(window.location.search);
  var state = { box: null, shownAt: 0, drawnAt: 0, hover: false, watched: [], observers: [] };

  function faces(box) {
    return Array.prototype.filter.call(box.children, function (c) { return c.classList.contains('cw-panel'); });
  }

  function body(face) {
    return face.querySelector('.cw-html-body');
  }

  function idle(face) {
    var b = body(face);
    return !b || !b.firstElementChild || b.firstElementChild.hasAttribute('data-idle');
  }

  function period() {
    var cfg = CW.wallConfig && CW.wallConfig();
    return Math.max(5, Number(cfg && cfg.faces) || 20) * 1000;
  }

  function show(box, index) {
    if (String(index) !== (box.getAttribute('data-front') || '0') && CW.hideTip) CW.hideTip();
    box.setAttribute('data-front', String(index));
    faces(box).forEach(function (face, i) { face.setAttribute('aria-hidden', i === index ? 'false' : 'true'); });
    state.shownAt = Date.now();
  }

  // a redraw of a later panel's body (Dash sets its markup): that panel to the front
  function watch(box) {
    var list = faces(box);
    var bodies = list.map(body);
    if (state.box === box && bodies.every(function (b, i) { return b === state.watched[i]; })) return;
    state.observers.forEach(function (o) { o.disconnect(); });
    state.observers = [];
    state.watched = bodies;
    bodies.forEach(function (b, i) {
      if (!b || i === 0) return;
      var observer = new MutationObserver(function () {
        if (!capture && !idle(list[i])) show(box, i);
      });
      observer.observe(b, { childList: true, subtree: true, characterData: true });
      state.observers.push(observer);
    });
  }

  function attach(box) {
    state.box = box;
    state.hover = false;
    state.drawnAt = 0;
    show(box, 0);
    box.addEventListener('mouseenter', function () { state.hover = true; });
    box.addEventListener('mouseleave', function () { state.hover = false; });
  }

  function turn() {
    var box = document.getElementById('wall-faces');
    if (!box) { state.box = null; return; }
    if (box !== state.box) attach(box);
    watch(box);
    if (capture) return;
    var list = faces(box), at = +(box.getAttribute('data-front') || 0);
    if (at > 0 && idle(list[at])) { show(box, 0); return; }  // nothing left to show there
    if (!state.drawnAt) {  // the turns start once the wall is drawn (a slow first paint takes no turn away)
      if (!document.documentElement.dataset.cwDrawn) return;
      state.drawnAt = state.shownAt = Date.now();
    }
    if (state.hover || Date.now() - state.shownAt < period()) return;
    for (var step = 1; step < list.length; step++) {
      var next = (at + step) % list.length;
      if (next === 0 || !idle(list[next])) { show(box, next); return; }
    }
  }

  CW.frontFace = function () {
    var box = document.getElementById('wall-faces');
    return box ? +(box.getAttribute('data-front') || 0) : null;
  };
  window.setInterval(turn, 1000);
})();
