// Loaded as a module from the page (no inline script: the CSP allows scripts from this site only).
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
