// Plaudit admin: select-all for bulk actions and confirmation prompts. The page works
// without it (deletion asks on a page of its own); nothing here touches item text.
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
});
