// The account form shows another platform's settings when the platform changes, and opens the
// sign-in in a window of its own: sign-in pages refuse to be framed, and this form is framed
// by Zendesk. Back from the platform, that window tells this form (same origin only) to go on.
(function () {
  "use strict";
  const MESSAGE = "murmur:signed-in";
  const select = document.getElementById("platform");
  const show = document.getElementById("show-platform");
  if (select && show) {
    show.hidden = true;
    select.addEventListener("change", () => show.click());
  }
  const open = document.getElementById("sign-in-open");
  const collect = document.getElementById("sign-in-collect");
  if (open && collect) {
    let popup = null;
    open.addEventListener("click", (event) => {
      popup = window.open(open.href, open.target, "popup,width=600,height=720");
      if (popup) event.preventDefault();  // blocked: the link opens it as a tab instead
    });
    window.addEventListener("message", (event) => {
      if (event.origin === window.location.origin && event.data === MESSAGE &&
          (popup === null || event.source === popup)) {
        collect.click();
      }
    });
  }
  if (document.getElementById("signed-in") && window.opener) {
    window.opener.postMessage(MESSAGE, window.location.origin);
    window.close();
  }
})();
