// Plaudit admin: select-all for bulk actions, confirmation prompts, copy buttons and
// import progress. The page works without it (deletion asks on a page of its own, links
// can be selected by hand, a running import's page can be reloaded); nothing here
// touches item text.
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

  // Import & export: a running import's progress bar follows the job's JSON status
  // (every second); once the job has ended the page reloads to show its report.
  // Without the script the page says to reload it.
  for (const job of document.querySelectorAll("[data-import-job]")) {
    job.querySelector("[data-needs-reload]")?.setAttribute("hidden", "");
    const bar = job.querySelector("progress");
    const count = job.querySelector("[data-job-count]");
    const label = job.querySelector("[data-job-label]");
    const poll = async () => {
      let state;
      try {
        const response = await fetch(job.dataset.importJob, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) throw new Error(String(response.status));
        state = await response.json();
      } catch {
        window.setTimeout(poll, 5000); // the server restarting: try again later
        return;
      }
      if (state.status === "done" || state.status === "failed") {
        window.location.reload();
        return;
      }
      if (bar && state.total) {
        bar.max = state.total;
        bar.value = state.read;
      }
      if (count) {
        count.textContent = state.total
          ? `${state.read} of ${state.total} rows read`
          : `${state.read} rows read`;
      }
      if (label) label.textContent = state.label;
      window.setTimeout(poll, 1000);
    };
    window.setTimeout(poll, 500);
  }
});
