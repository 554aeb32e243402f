// Starts Swagger UI or ReDoc on the API's OpenAPI document; a file of its own, so that the
// pages' Content-Security-Policy needs no inline script.
(function () {
  var root = document.getElementById("api-docs");
  var url = root.dataset.openapi;
  if (root.dataset.viewer === "swagger") {
    window.SwaggerUIBundle({ url: url, domNode: root, deepLinking: true });
  } else {
    window.Redoc.init(url, {}, root);
  }
})();
