/* Behaviour every page shares, without inline script (the Content-Security-Policy allows none):
   a button with data-confirm asks before its form is submitted. */
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
