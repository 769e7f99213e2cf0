// django-celery-beat's inline script of the periodic task form (portal/templates/admin/djcelery/
// change_periodictask_form.html), as a static file for the Content-Security-Policy: under the crontab's help
// text, show the chosen crontab in words.
"use strict";

(function () {
  const script = document.getElementById("periodic-task-overrides");
  const readable = JSON.parse(document.getElementById("readable-crontabs").textContent);
  const field = document.querySelector(".field-crontab");
  const translation = document.querySelector(".field-crontab_translation");
  if (translation) translation.style.display = "none";
  if (!field) return;
  field.addEventListener("change", () => {
    const help = field.querySelector(".help");
    const crontab = document.getElementById("id_crontab");
    if (!help || !crontab) return;
    help.replaceChildren(
      script.dataset.crontabHelp, document.createElement("br"), `Translation: ${readable[crontab.value]}`,
    );
  });
})();
