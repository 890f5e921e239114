// If the app ever stops on an error, the page says so instead of going blank: a Rust panic ends in a wasm trap
// (WebAssembly.RuntimeError), whether it came from a tap, a timer, a sync task or the start. The message is the
// one place that says what to do; the edits are already in IndexedDB. Inlined into both apps' index pages.
(function () {
  function crashed(error) {
    if (!(typeof WebAssembly === "object" && error instanceof WebAssembly.RuntimeError)) return;
    if (document.getElementById("crash")) return;
    console.error("zhigai stopped:", error);
    document.body.innerHTML =
      '<main class="page"><div id="crash" class="banner error" role="alert">' +
      "<p>质改出错了。您的修改已保存在本机，请刷新页面后继续。</p>" +
      "<p>zhigai hit an error. Your edits are saved on this device; reload the page to continue.</p>" +
      '<button class="button primary" type="button">刷新 Reload</button></div></main>';
    // A listener, not an onclick attribute: the server's Content-Security-Policy forbids inline handlers.
    document.querySelector("#crash button").addEventListener("click", function () { location.reload(); });
  }
  window.addEventListener("error", function (e) { crashed(e.error); });
  window.addEventListener("unhandledrejection", function (e) { crashed(e.reason); });
})();
