// blogsift review: keyboard shortcuts and auto-submitting filters. The pages work without it.
(function () {
  "use strict";

  // filters and the month picker apply as soon as they change
  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });

  var rows = Array.prototype.slice.call(document.querySelectorAll("li.post"));
  var current = -1;

  function select(i, scroll) {
    if (!rows.length) return;
    i = Math.max(0, Math.min(rows.length - 1, i));
    if (current >= 0 && rows[current]) rows[current].classList.remove("current");
    current = i;
    rows[current].classList.add("current");
    if (scroll) rows[current].scrollIntoView({ block: "nearest" });
  }

  // after an action the page comes back to the row it acted on (#p-<id>); when a filter hid that row,
  // to the row that took its place, so that a/r/j can go on without the mouse
  var KEY = "blogsift-review-row";
  var stored = null;
  try { stored = sessionStorage.getItem(KEY); sessionStorage.removeItem(KEY); } catch (e) { /* storage off */ }
  if (location.hash && rows.length) {
    var index = rows.indexOf(document.getElementById(location.hash.slice(1)));
    if (index < 0 && stored !== null) index = Math.min(parseInt(stored, 10) || 0, rows.length - 1);
    if (index >= 0) select(index, true);
  }

  document.querySelectorAll("li.post form.actions").forEach(function (form) {
    form.addEventListener("submit", function () {
      var row = rows.indexOf(form.closest("li.post"));
      try { if (row >= 0) sessionStorage.setItem(KEY, String(row)); } catch (e) { /* storage off */ }
    });
  });

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function press(action) {
    var root = current >= 0 ? rows[current] : document.querySelector(".edit-view");
    if (!root) return;
    var el = root.querySelector('[data-act="' + action + '"]');
    if (el) el.click();
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    switch (ev.key) {
      case "j": select(current + 1, true); break;
      case "k": select(current < 0 ? 0 : current - 1, true); break;
      case "a": press("accept"); break;
      case "r": press("reject"); break;
      case "e": press("edit"); break;
      case "o": {
        var root = current >= 0 ? rows[current] : null;
        var link = root && root.querySelector("a.title");
        if (link) window.open(link.href, "_blank", "noopener");
        break;
      }
      case "/": {
        var search = document.getElementById("search");
        if (search) { search.focus(); search.select(); }
        break;
      }
      default: return;
    }
    ev.preventDefault();
  });
})();
