// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to an error summary so keyboard and screen-reader users hear it first.
  const summary = document.querySelector("[data-autofocus]");
  if (summary) summary.focus();

  // An error-summary link puts the cursor in its field (a bare #fragment only scrolls).
  document.querySelectorAll(".error-summary a[href^='#']").forEach((link) => {
    link.addEventListener("click", (event) => {
      const target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      const control = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
      target.scrollIntoView({ block: "center" });
      (control || target).focus();
    });
  });

  // The report's Print button (hidden without JavaScript, where the browser's own Print works).
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
});
