// Behaviour shared by every page, kept out of the HTML so that the Content-Security-Policy can forbid
// inline scripts and on…= handler attributes.
"use strict";

// <select data-autosubmit> submits its form as soon as a value is picked (language, budget year).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});
