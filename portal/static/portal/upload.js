// Upload progress for forms marked data-upload-progress: the form is sent with XMLHttpRequest so that its
// upload events can move the form's <progress>; the answer (the page after a redirect, or the form again with
// its errors) then replaces the page, as a normal submit would. Without JavaScript, or without XHR upload
// events, the form submits the ordinary way.
"use strict";

(() => {
  if (!window.XMLHttpRequest || !window.FormData || !("upload" in new XMLHttpRequest())) {
    return;
  }

  function showAnswer(xhr, form) {
    // A redirect was followed: show its page under its own address. The form again (400) keeps the address of
    // the page it was sent from, so that reloading does not GET the POST-only URL.
    if (xhr.status < 400 && xhr.responseURL && xhr.responseURL !== form.action) {
      window.history.replaceState(null, "", xhr.responseURL);
    }
    document.open();
    document.write(xhr.responseText);
    document.close();
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload-progress")) {
      return;
    }
    const box = form.querySelector(".upload-progress");
    const bar = box && box.querySelector("progress");
    if (!bar) {
      return; // nothing to show progress on: submit normally
    }
    event.preventDefault();
    const label = box.querySelector("[aria-live]");
    const buttons = form.querySelectorAll("button[type=submit], input[type=submit]");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", (progress) => {
      if (progress.lengthComputable) {
        const percent = Math.round((progress.loaded / progress.total) * 100);
        bar.value = percent;
        if (label) {
          label.textContent = `${percent} %`;
        }
      } else {
        bar.removeAttribute("value"); // an indeterminate bar: still shows that something is moving
      }
    });
    xhr.addEventListener("load", () => showAnswer(xhr, form));
    xhr.addEventListener("error", () => {
      // The line dropped: let the browser try the ordinary way, which also shows its own error page.
      box.hidden = true;
      buttons.forEach((button) => { button.disabled = false; });
      form.submit();
    });
    box.hidden = false;
    bar.value = 0;
    buttons.forEach((button) => { button.disabled = true; });
    xhr.send(new FormData(form));
  });
})();
