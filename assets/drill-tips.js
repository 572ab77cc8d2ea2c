/* CityWall drill-down pages — the hover details of their numbers ([data-tip], layouts/drill_parts.py):
 * the wall's box (.cw-tip) follows the mouse; on a touch screen, which has no hover, a tap on a
 * number shows its details and a tap elsewhere hides them. The only tip box of these pages (wall-nav.js's
 * serves the wall). Plain JS, nothing fetched. */
(function () {
  'use strict';
  var box = null;
  function holderOf(ev) {
    return ev.target && ev.target.closest && ev.target.closest('.cw-drill-page [data-tip]');
  }
  function show(holder, x, y) {
    if (!box) { box = document.createElement('div'); box.className = 'cw-tip cw-drill-tip'; document.body.appendChild(box); }
    box.textContent = holder.getAttribute('data-tip');
    box.classList.add('is-shown');
    if (x + box.offsetWidth > window.innerWidth - 4) x = Math.max(4, x - box.offsetWidth - 28);
    if (y + box.offsetHeight > window.innerHeight - 4) y = Math.max(4, y - box.offsetHeight - 28);
    box.style.transform = 'translate(' + x + 'px, ' + y + 'px)';
  }
  function hide() { if (box) box.classList.remove('is-shown'); }
  document.addEventListener('mousemove', function (ev) {
    var holder = holderOf(ev);
    if (holder) show(holder, ev.clientX + 14, ev.clientY + 14);
    else if (box && !box.tapped) hide();
  }, { passive: true });
  document.addEventListener('pointerup', function (ev) {
    if (ev.pointerType === 'mouse') return;
    var holder = holderOf(ev);
    if (!holder) { hide(); if (box) box.tapped = false; return; }
    show(holder, ev.clientX + 14, ev.clientY + 14);
    box.tapped = true;
  });
  window.addEventListener('popstate', hide);
  window.addEventListener('_dashprivate_pushstate', hide); // Dash's in-place navigation
})();
