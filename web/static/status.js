// The complainant's status link carries its token in the fragment (#token=...), which the
// browser never sends to the server, so no access log keeps it. This posts it from the
// "open your complaint" form, then drops it from the address bar. Without JavaScript the
// person types the status code from their letter into the same form.
(() => {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const token = params.get("token");
  // An old link (?token=...) opened the page directly: keep the token out of the history.
  const url = new URL(window.location.href);
  if (url.searchParams.has("token")) {
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  if (!token) return;
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("open-status");
    if (!form) return;
    form.querySelector("input[name=token]").value = token;
    form.submit();
  });
})();
