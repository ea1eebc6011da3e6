// Starts Swagger UI 5 from local assets only; kept out of the page so no inline script is needed.
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    validatorUrl: null, // never ask an outside validator about this API
    persistAuthorization: false,
  });
});
