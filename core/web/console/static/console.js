/* The staff console's one script beside htmx: what boosted navigation (hx-boost on the layout) needs.
   Everything still works without it, and without JavaScript at all, as plain links and forms. */
(function () {
  "use strict";
  // htmx leaves the page as it was when an answer is an error; a boosted link or form must show the
  // error page (not found, not allowed, a form's errors, something went wrong) as a full load would.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.boosted && detail.xhr.status >= 400 && (detail.xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
})();
