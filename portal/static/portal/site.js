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

// A wide table scrolls inside its .table-responsive box. While it does, the box is a named region that can
// take focus, so a keyboard user can scroll it with the arrow keys (WCAG 2.1.1); a box that fits stays out
// of the tab order.
function labelScrollBoxes() {
  for (const box of document.querySelectorAll(".table-responsive")) {
    const scrolls = box.scrollWidth > box.clientWidth;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.dataset.scrollFocus = "";
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
        const caption = box.querySelector("caption");
        const heading = caption || box.closest("section, .card, main")?.querySelector("h1, h2, h3, h4, .card-header");
        box.setAttribute("aria-label", (heading?.textContent || document.title).trim().replace(/\s+/g, " "));
      }
    } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
      box.removeAttribute("data-scroll-focus");
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
    }
  }
}
labelScrollBoxes();
window.addEventListener("resize", labelScrollBoxes);
