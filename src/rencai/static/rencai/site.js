/* Behaviour every page shares, without inline script (the Content-Security-Policy allows none):
   a button with data-confirm asks before its form is submitted; with data-confirm-when="<selector>" it asks
   only when its form holds a match (e.g. the "reject" choice checked). */
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirm]");
  if (!button) return;
  var when = button.getAttribute("data-confirm-when");
  if (when && !(button.form && button.form.querySelector(when))) return;
  if (!window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

/* A select with data-submit sends its form when its choice changes (a year picker). */
document.addEventListener("change", function (event) {
  var select = event.target.closest("select[data-submit]");
  if (select && select.form) select.form.submit();
});

/* A button with data-print prints the page (a report, a circular, a certificate) with its print stylesheet. */
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});

/* A button or link with data-busy="计算中…" cannot start its work twice: once its form is submitted (or the
   link followed) it says so and is disabled until the page changes. A link that downloads leaves the page
   where it is and no event tells when the file has come, so it comes back after BUSY_LINK_MS. */
var BUSY_LINK_MS = 15000;

function markBusy(element) {
  if (element.classList.contains("busy")) return;
  element.setAttribute("data-idle-label", element.textContent);
  element.textContent = element.getAttribute("data-busy");
  element.classList.add("busy");
  element.setAttribute("aria-disabled", "true");
  if (element.tagName === "BUTTON") {
    // after this turn: the form's data (the clicked button's own name and value too) is read first
    window.setTimeout(function () { element.disabled = true; }, 0);
  }
}

function markIdle(element) {
  if (!element.classList.contains("busy")) return;
  element.textContent = element.getAttribute("data-idle-label");
  element.classList.remove("busy");
  element.removeAttribute("aria-disabled");
  if (element.tagName === "BUTTON") element.disabled = false;
}

document.addEventListener("submit", function (event) {
  event.target.querySelectorAll("button[data-busy]").forEach(markBusy);
});

document.addEventListener("click", function (event) {
  var link = event.target.closest("a[data-busy]");
  if (!link || event.defaultPrevented) return;
  if (link.classList.contains("busy")) {
    event.preventDefault();
    return;
  }
  markBusy(link);
  window.setTimeout(function () { markIdle(link); }, BUSY_LINK_MS);
});

// back to a page kept in the browser's cache: its buttons work again
window.addEventListener("pageshow", function () {
  document.querySelectorAll("[data-busy].busy").forEach(markIdle);
});
