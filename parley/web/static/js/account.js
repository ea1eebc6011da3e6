// The account page: "Notifications on this device" (Web Push) on and off.
import { t } from "./page-data.js";
import { disablePush, enablePush, pushState } from "./push.js";

const section = document.getElementById("push-device");
const button = section?.querySelector("button");
const status = section?.querySelector("[data-push-status]");

function show(state) {
  status.textContent = t(`push.${state}`);
  button.hidden = state === "unsupported" || state === "denied";
  button.textContent = t(state === "on" ? "push.disable" : "push.enable");
  button.dataset.state = state;
}

if (section && button && status) {
  pushState().then(show, () => show("unsupported"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      show(button.dataset.state === "on" ? await disablePush() : await enablePush());
    } catch {
      status.textContent = t("push.failed");
    } finally {
      button.disabled = false;
    }
  });
}
