// Plaudit admin: select-all for bulk actions, confirmation prompts and copy buttons. The
// page works without it (deletion asks on a page of its own, links can be selected by
// hand); nothing here touches item text.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const all of document.querySelectorAll("input[data-select-all]")) {
    const formId = all.dataset.selectAll;
    const boxes = () =>
      Array.from(document.querySelectorAll("input[type=checkbox][name=ids]")).filter(
        (box) => box.getAttribute("form") === formId,
      );
    const counter = document.querySelector(`output[data-selected-count="${formId}"]`);
    const update = () => {
      const list = boxes();
      const checked = list.filter((box) => box.checked).length;
      all.checked = checked > 0 && checked === list.length;
      all.indeterminate = checked > 0 && checked < list.length;
      if (counter) counter.textContent = checked ? `${checked} selected` : "";
    };
    all.addEventListener("change", () => {
      for (const box of boxes()) box.checked = all.checked;
      update();
    });
    document.addEventListener("change", (event) => {
      if (event.target !== all && event.target.name === "ids") update();
    });
    all.closest("[data-needs-js]")?.removeAttribute("hidden");
    update();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });

  // Invitations: a button copies a review link (the read-only field holds it, to
  // select by hand without the script); a live region says that it worked.
  const copyStatus = document.querySelector("output[data-copy-status]");
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.closest("[data-needs-js]")?.removeAttribute("hidden");
  }
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    const field = document.getElementById(button.dataset.copy);
    if (!field) return;
    let copied = false;
    try {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } catch {
      field.select(); // no clipboard access: selected, for Ctrl+C
    }
    if (copyStatus) {
      const label = field.getAttribute("aria-label") || "Link";
      copyStatus.textContent = copied
        ? `${label} copied.`
        : `${label} selected: press Ctrl+C to copy it.`;
    }
  });
});
