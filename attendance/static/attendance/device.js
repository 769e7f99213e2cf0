// "Tarik sekarang" on a device page (attendance/device.html): enqueue a pull through the API, then poll the
// device's sync runs until a new one has finished. The button carries the URLs and the translated texts in
// data- attributes, so that this file stays static and the Content-Security-Policy forbids inline scripts.
"use strict";

(function () {
  const button = document.getElementById("pull-now");
  if (!button) return;
  const status = document.getElementById("pull-status");
  const text = button.dataset;
  const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  const latestRun = async () => (await (await fetch(text.runs)).json()).results[0];

  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = text.msgScheduling;
    const before = await latestRun();
    const response = await fetch(text.url, {method: "POST", headers: {"X-CSRFToken": csrf ? csrf.split("=")[1] : ""}});
    if (!response.ok) {
      status.textContent = text.msgScheduleFailed;
      button.disabled = false;
      return;
    }
    status.textContent = text.msgPulling;
    for (let i = 0; i < 120; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const run = await latestRun();
      if (run && (!before || run.id !== before.id) && run.outcome !== "running") {
        status.textContent = run.outcome === "success"
          ? `${text.msgDone}: ${run.records_read} ${text.msgRead}, ${run.records_new} ${text.msgNew}, ${run.duplicates} ${text.msgDuplicates}.`
          : `${text.msgFailed}: ${run.error}`;
        button.disabled = false;
        return;
      }
    }
    status.textContent = text.msgPending;
    button.disabled = false;
  });
})();
