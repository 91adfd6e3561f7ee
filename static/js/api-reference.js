// The interactive API reference: swagger-ui on /api/v1/openapi.json (vendored, no CDN).
// "Authorize" takes an API token; requests then go to this console with it.
(function () {
  "use strict";
  function start() {
    var target = document.getElementById("api-reference");
    if (!target || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    window.SwaggerUIBundle({
      url: target.getAttribute("data-spec-url"),
      domNode: target,
      deepLinking: true,
      persistAuthorization: false,
      tryItOutEnabled: false,
      validatorUrl: null
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
